// Node-only helpers for testing a client against the real server without the network: the
// binaries (found as scripts/binaries.js says: CODEX_BIN and MOCK_MODEL_BIN, or the cargo target
// dir), `codex-mock-model` serving a JSON script of model replies, a scratch CODEX_HOME whose
// config points at it, and a WebSocket server started on a free port. The package's own tests
// and the examples' tests use them.

import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";

// Compiled to dist/src/testing.js, beside which the scripts folder is two levels up.
const binaries = require("../../scripts/binaries.js") as { codexBin: () => string; mockModelBin: () => string };

export const codexBin = binaries.codexBin;
export const mockModelBin = binaries.mockModelBin;

/** One scripted model reply (see test-support's json_script module). */
export type Reply =
  | { status: number }
  | {
      items: Array<
        | { message: string }
        | { reasoning: string[] }
        | { functionCall: { callId: string; name: string; arguments: unknown } }
      >;
      delayMs?: number;
    };

export class MockModel {
  private constructor(
    private readonly child: ChildProcessWithoutNullStreams,
    readonly baseUrl: string,
  ) {}

  static start(script: Reply[]): Promise<MockModel> {
    const child = spawn(mockModelBin(), [JSON.stringify(script)], { stdio: ["pipe", "pipe", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    return new Promise((resolve, reject) => {
      const lines = createInterface({ input: child.stdout });
      lines.once("line", (line) => resolve(new MockModel(child, line.trim())));
      child.once("exit", (code) => reject(new Error(`codex-mock-model exited (${code}): ${stderr}`)));
      child.once("error", reject);
    });
  }

  /** Stops the mock; resolves with how many requests it served and how many replies were left. */
  stop(): Promise<{ requests: number; unusedReplies: number }> {
    return new Promise((resolve, reject) => {
      const lines = createInterface({ input: this.child.stdout });
      lines.once("line", (line) => resolve(JSON.parse(line) as { requests: number; unusedReplies: number }));
      this.child.once("exit", (code) => {
        if (code !== 0) reject(new Error(`codex-mock-model exited with ${code}`));
      });
      this.child.stdin.end();
    });
  }
}

/** A scratch home for one server: CODEX_HOME with a config using the mock, and a work folder. */
export class TestHome {
  readonly root = mkdtempSync(join(tmpdir(), "codex-client-test-"));
  readonly codexHome = join(this.root, "codex-home");
  readonly work = join(this.root, "work");

  constructor(baseUrl: string) {
    for (const dir of [this.codexHome, this.work, join(this.root, "home"), join(this.root, "system")]) {
      mkdirSync(dir);
    }
    writeFileSync(
      join(this.codexHome, "config.toml"),
      [
        'model = "gpt-5.1-codex"',
        'model_provider = "mock"',
        'sandbox_mode = "danger-full-access"',
        "",
        "[model_providers.mock]",
        'name = "mock"',
        `base_url = "${baseUrl}"`,
        'wire_api = "responses"',
        "request_max_retries = 0",
        "stream_max_retries = 0",
        "",
      ].join("\n"),
    );
  }

  env(): NodeJS.ProcessEnv {
    return {
      HOME: join(this.root, "home"),
      CODEX_HOME: this.codexHome,
      CODEX_SYSTEM_CONFIG_DIR: join(this.root, "system"),
      PATH: process.env["PATH"] ?? "/usr/bin:/bin",
    };
  }

  remove(): void {
    rmSync(this.root, { recursive: true, force: true });
  }
}

export const CLIENT_INFO = { name: "codex-client-tests", title: null, version: "0.1.0" };

/**
 * Starts `codex app-server --listen ws://127.0.0.1:0` (plus `args`) for `home`, and resolves
 * with its URL once it listens.
 */
export function listenWebSocket(home: TestHome, args: string[] = []): Promise<{ url: string; stop: () => void }> {
  const child = spawn(codexBin(), ["app-server", "--listen", "ws://127.0.0.1:0", ...args], {
    env: home.env(),
    cwd: home.work,
    stdio: ["pipe", "ignore", "pipe"],
  });
  return new Promise((resolve, reject) => {
    let stderr = "";
    createInterface({ input: child.stderr }).on("line", (line) => {
      stderr += `${line}\n`;
      const match = /listening on: (ws:\/\/\S+)/.exec(line);
      if (match?.[1] !== undefined) {
        resolve({ url: match[1], stop: () => child.kill("SIGTERM") });
      }
    });
    child.once("exit", (code) => reject(new Error(`the server exited (${code}):\n${stderr}`)));
  });
}
