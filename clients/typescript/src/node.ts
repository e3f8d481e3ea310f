// Node-only connectors: `codex app-server` as a child process on stdio, and WebSocket through
// the `ws` package (Node 20 has no WebSocket client of its own).

import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { createInterface } from "node:readline";

import WebSocket from "ws";

import { webSocketConnector, type Connector, type Transport, type WebSocketLike } from "./transport";

export type StdioOptions = {
  /** The `codex` executable; default `codex` on PATH. */
  codex?: string;
  /** Arguments after `app-server` (`-c key=value` overrides, for one). */
  args?: string[];
  /** The child's environment; default this process's. */
  env?: NodeJS.ProcessEnv;
  /** The child's working directory. */
  cwd?: string;
  /** Called with each line the server writes on stderr (its logs); default: dropped. */
  onStderr?: (line: string) => void;
};

/** A transport on a spawned `codex app-server`, with the child it spawned. */
export type StdioTransport = Transport & { readonly child: ChildProcessWithoutNullStreams };

/**
 * Spawns `codex app-server` and speaks JSON lines on its stdin and stdout. Closing the
 * transport closes the server's stdin, which ends it.
 */
export function stdioConnector(options: StdioOptions = {}): Connector {
  return () => spawnStdio(options);
}

export function spawnStdio(options: StdioOptions = {}): Promise<StdioTransport> {
  const codex = options.codex ?? "codex";
  const child = spawn(codex, ["app-server", ...(options.args ?? [])], {
    env: options.env ?? process.env,
    cwd: options.cwd,
    stdio: ["pipe", "pipe", "pipe"],
  });
  return new Promise((resolve, reject) => {
    let closedByUs = false;
    let ended = false;
    const transport: StdioTransport = {
      child,
      send(message) {
        child.stdin.write(`${message}\n`);
      },
      close() {
        closedByUs = true;
        child.stdin.end();
      },
      onmessage: null,
      onclose: null,
    };
    const end = (reason: string) => {
      if (!ended) {
        ended = true;
        transport.onclose?.({ expected: closedByUs, reason });
      }
    };
    child.once("error", (error) => {
      reject(new Error(`could not run ${codex}: ${error.message}`));
      end(`could not run ${codex}: ${error.message}`);
    });
    child.once("spawn", () => resolve(transport));
    child.once("exit", (code, signal) => end(`the server exited (code ${code}, signal ${signal})`));
    // A write after the server is gone fails here; the exit handler reports the end.
    child.stdin.on("error", () => {});
    createInterface({ input: child.stdout }).on("line", (line) => {
      if (line.trim() !== "") {
        transport.onmessage?.(line);
      }
    });
    const onStderr = options.onStderr;
    createInterface({ input: child.stderr }).on("line", (line) => onStderr?.(line));
  });
}

export type NodeWebSocketOptions = {
  /** Extra handshake headers: `Authorization: Bearer <token>` for a server started with `--ws-auth`. */
  headers?: Record<string, string>;
};

/** A Connector over WebSocket in Node, using the `ws` package. */
export function nodeWebSocketConnector(url: string, options: NodeWebSocketOptions = {}): Connector {
  return webSocketConnector(url, (target) => new WebSocket(target, { headers: options.headers ?? {} }) as unknown as WebSocketLike);
}
