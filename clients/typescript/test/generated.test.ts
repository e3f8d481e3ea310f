// src/generated is what `codex app-server generate-ts-client --experimental` writes today: the
// package's types cannot drift from the protocol unnoticed.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { test } from "node:test";

test("src/generated matches the protocol", () => {
  const script = join(__dirname, "..", "..", "scripts", "generate.js");
  let output = "";
  try {
    output = execFileSync(process.execPath, [script, "--check"], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  } catch (error) {
    const failed = error as { stdout?: string; stderr?: string };
    assert.fail(`${failed.stdout ?? ""}${failed.stderr ?? ""}`);
  }
  assert.match(output, /src\/generated is current/);
});
