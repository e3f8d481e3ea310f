// The terminal chat, typed into as a person would: a prompt, a "y" to the approval question,
// then /quit; against the real `codex app-server` (over stdio) and the mock model.

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";

import { MockModel, TestHome, codexBin } from "@codex-app-server/client/testing";

const ANSWER = "I wrote hello.txt for you.";

test("the terminal chat runs a turn, asks before the command, and streams the answer", async () => {
  const model = await MockModel.start([
    {
      items: [
        {
          functionCall: {
            callId: "call_chat_1",
            name: "exec_command",
            arguments: { cmd: "echo hello > hello.txt", yield_time_ms: 10_000 },
          },
        },
      ],
    },
    { items: [{ message: ANSWER }] },
  ]);
  const home = new TestHome(model.baseUrl);
  const chat = spawn(process.execPath, [join(__dirname, "..", "terminal-chat", "chat.js"), "--codex", codexBin(), "--cwd", home.work], {
    env: home.env(),
    stdio: ["pipe", "pipe", "pipe"],
  });
  let output = "";
  // Where the next waitFor starts looking: each expected text is found after the previous one.
  let mark = 0;
  let errors = "";
  chat.stderr.on("data", (chunk: Buffer) => {
    errors += chunk.toString();
  });
  const checks = new Set<() => void>();
  chat.stdout.on("data", (chunk: Buffer) => {
    output += chunk.toString();
    for (const check of [...checks]) check();
  });
  const waitFor = (text: string) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        checks.delete(check);
        reject(new Error(`never saw ${JSON.stringify(text)}; output:\n${output}\n${errors}`));
      }, 30_000);
      const check = () => {
        const at = output.indexOf(text, mark);
        if (at >= 0) {
          mark = at + text.length;
          clearTimeout(timer);
          checks.delete(check);
          resolve();
        }
      };
      checks.add(check);
      check();
    });
  const exited = new Promise<number | null>((resolve) => chat.once("exit", resolve));
  try {
    await waitFor("you> ");
    chat.stdin.write("Please write hello.txt\n");
    await waitFor("echo hello > hello.txt'`? [y/N] ");
    chat.stdin.write("y\n");
    await waitFor(`${ANSWER}\n`);
    await waitFor("you> ");
    chat.stdin.write("/quit\n");
    assert.equal(await exited, 0, errors);
    assert.equal(readFileSync(join(home.work, "hello.txt"), "utf8"), "hello\n");
    assert.match(output, /^thread \S+ \(gpt-5\.1-codex\) in /);
    assert.match(output, /\$ \/bin\/bash -lc 'echo hello > hello.txt'\n\[exit 0\]\n/);
  } finally {
    chat.kill();
    await model.stop();
    home.remove();
  }
});
