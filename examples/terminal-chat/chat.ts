// A terminal chat on `codex app-server`: starts a thread, sends each line you type as a turn,
// prints the answer as it streams, and asks you before the agent runs a command or edits files.
//
//   node dist/terminal-chat/chat.js [--codex PATH] [--cwd DIR]
//
// The server is spawned over stdio with your environment (so your CODEX_HOME and login).
// Type /quit or end the input (Ctrl-D) to leave.

import { createInterface, type Interface } from "node:readline/promises";

import { CodexClient } from "@codex-app-server/client";
import { stdioConnector } from "@codex-app-server/client/node";

type Options = { codex: string; cwd: string };

function parseArgs(argv: string[]): Options {
  const options: Options = { codex: process.env["CODEX_BIN"] ?? "codex", cwd: process.cwd() };
  for (let i = 0; i < argv.length; i++) {
    const value = argv[i + 1];
    if (argv[i] === "--codex" && value !== undefined) {
      options.codex = value;
      i++;
    } else if (argv[i] === "--cwd" && value !== undefined) {
      options.cwd = value;
      i++;
    } else {
      throw new Error(`unknown argument ${argv[i]}; usage: chat.js [--codex PATH] [--cwd DIR]`);
    }
  }
  return options;
}

/** Asks a yes/no question on the terminal; anything but y/yes is a no. */
async function confirm(terminal: Interface, question: string): Promise<boolean> {
  const answer = await terminal.question(`${question} [y/N] `);
  return /^y(es)?$/i.test(answer.trim());
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const terminal = createInterface({ input: process.stdin, output: process.stdout, terminal: process.stdin.isTTY });
  const out = (text: string) => process.stdout.write(text);

  const { client } = await CodexClient.connect(stdioConnector({ codex: options.codex, cwd: options.cwd }), {
    clientInfo: { name: "terminal-chat", title: "Terminal chat example", version: "0.1.0" },
    capabilities: null,
  });

  // The agent asks before running a command or changing files (the thread runs `untrusted`).
  client.handle("item/commandExecution/requestApproval", async (params) => {
    out("\n");
    const yes = await confirm(terminal, `Run \`${params.command ?? "a command"}\`${params.reason ? ` (${params.reason})` : ""}?`);
    return { decision: yes ? "accept" : "decline" };
  });
  client.handle("item/fileChange/requestApproval", async (params) => {
    out("\n");
    const yes = await confirm(terminal, `Apply the agent's file changes${params.reason ? ` (${params.reason})` : ""}?`);
    return { decision: yes ? "accept" : "decline" };
  });
  client.on("item/agentMessage/delta", (params) => out(params.delta));
  client.on("item/started", ({ item }) => {
    if (item.type === "commandExecution") out(`\n$ ${item.command}\n`);
  });
  client.on("item/completed", ({ item }) => {
    if (item.type === "commandExecution") out(`${item.aggregatedOutput ?? ""}[exit ${item.exitCode ?? "?"}]\n`);
  });

  const { thread, model } = await client.request("thread/start", { cwd: options.cwd, approvalPolicy: "untrusted", experimentalRawEvents: false });
  out(`thread ${thread.id} (${model}) in ${options.cwd}; /quit to leave\n`);

  for (;;) {
    let line: string;
    try {
      line = (await terminal.question("\nyou> ")).trim();
    } catch {
      break; // the input ended
    }
    if (line === "/quit") break;
    if (line === "") continue;
    const completed = client.next("turn/completed", (params) => params.threadId === thread.id, 10 * 60_000);
    await client.request("turn/start", { threadId: thread.id, input: [{ type: "text", text: line, text_elements: [] }] });
    out("codex> ");
    const { turn } = await completed;
    out(turn.status === "completed" ? "\n" : `\n(turn ${turn.status}${turn.error ? `: ${turn.error.message}` : ""})\n`);
  }
  terminal.close();
  client.close();
}

main().catch((error: unknown) => {
  process.stderr.write(`chat: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
