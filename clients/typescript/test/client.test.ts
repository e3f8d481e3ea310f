// The client against the real `codex app-server` and the mock model: over stdio and over
// WebSocket, a turn whose command the client approves, streamed text, typed errors, and server
// requests nobody handles.

import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";

import { CodexClient, JsonRpcError, type Connector } from "../src/index";
import { nodeWebSocketConnector, stdioConnector } from "../src/node";
import { CLIENT_INFO, MockModel, TestHome, codexBin, listenWebSocket, type Reply } from "../src/testing";

const COMMAND = "echo client-approved > approved.txt && cat approved.txt";
const ANSWER = "The file is written, as you asked.";

/** The model runs one command (which needs approval), then answers. */
function approvedCommandScript(callId: string): Reply[] {
  return [
    {
      items: [
        {
          functionCall: {
            callId,
            name: "exec_command",
            arguments: { cmd: COMMAND, yield_time_ms: 10_000 },
          },
        },
      ],
    },
    { items: [{ message: ANSWER }], delayMs: 5 },
  ];
}

/** Starts a thread under `untrusted`, runs one turn approving the command, checks what came. */
async function runApprovedTurn(client: CodexClient, home: TestHome): Promise<void> {
  const approvals: string[] = [];
  client.handle("item/commandExecution/requestApproval", (params) => {
    approvals.push(params.command ?? "");
    return { decision: "accept" };
  });
  const deltas: string[] = [];
  client.on("item/agentMessage/delta", (params) => deltas.push(params.delta));

  const started = await client.request("thread/start", { cwd: home.work, approvalPolicy: "untrusted", experimentalRawEvents: false });
  assert.equal(started.approvalPolicy, "untrusted");
  const threadId = started.thread.id;
  const completed = client.next("turn/completed", (params) => params.threadId === threadId);
  const turn = await client.request("turn/start", {
    threadId,
    input: [{ type: "text", text: "Write approved.txt, please.", text_elements: [] }],
  });
  assert.equal(turn.turn.status, "inProgress");
  const done = await completed;
  assert.equal(done.turn.id, turn.turn.id);
  assert.equal(done.turn.status, "completed");
  assert.equal(approvals.length, 1);
  assert.match(approvals[0] ?? "", /client-approved/);
  assert.equal(readFileSync(join(home.work, "approved.txt"), "utf8"), "client-approved\n");
  assert.equal(deltas.join(""), ANSWER);
  assert.ok(deltas.length > 1, `the answer arrives in pieces (got ${deltas.length})`);
}

describe("over stdio", () => {
  let model: MockModel;
  let home: TestHome;
  let client: CodexClient;

  before(async () => {
    model = await MockModel.start(approvedCommandScript("call_stdio_1"));
    home = new TestHome(model.baseUrl);
    const connector = stdioConnector({ codex: codexBin(), env: home.env(), cwd: home.work });
    const connected = await CodexClient.connect(connector, { clientInfo: CLIENT_INFO, capabilities: null });
    client = connected.client;
    assert.match(connected.initialized.userAgent, /codex/i);
  });

  after(async () => {
    client.close();
    const served = await model.stop();
    home.remove();
    assert.deepEqual(served, { requests: 2, unusedReplies: 0 });
  });

  test("a turn streams its answer and the approved command runs", async () => {
    await runApprovedTurn(client, home);
  });

  test("typed results: the new thread is listed", async () => {
    const listed = await client.request("thread/list", {});
    assert.ok(listed.data.length >= 1);
    assert.equal(typeof listed.data[0]?.id, "string");
  });

  test("a method without params can be called without them", async () => {
    const limits = client.request("account/rateLimits/read");
    // No account is logged in: the server answers with an error, typed as such.
    await assert.rejects(limits, (error: unknown) => error instanceof JsonRpcError && error.method === "account/rateLimits/read");
  });

  test("an error answer throws a JsonRpcError with the server's code and message", async () => {
    const error = await client.request("thread/read", { threadId: "not-a-thread", includeTurns: false }).then(
      () => assert.fail("thread/read of an unknown thread succeeded"),
      (error: unknown) => error,
    );
    assert.ok(error instanceof JsonRpcError, String(error));
    assert.equal(error.method, "thread/read");
    assert.equal(typeof error.code, "number");
    assert.ok(error.code < 0);
    assert.ok(error.rpcMessage.length > 0);
  });

  test("closing rejects later requests", async () => {
    const connector = stdioConnector({ codex: codexBin(), env: home.env(), cwd: home.work });
    const { client: other } = await CodexClient.connect(connector, { clientInfo: CLIENT_INFO, capabilities: null });
    other.close();
    await assert.rejects(other.request("thread/list", {}), /the connection closed: closed by the client/);
  });
});

describe("over WebSocket", () => {
  let model: MockModel;
  let home: TestHome;
  let server: { url: string; stop: () => void };

  before(async () => {
    model = await MockModel.start([
      ...approvedCommandScript("call_ws_1"),
      {
        items: [
          {
            functionCall: {
              callId: "call_ws_2",
              name: "exec_command",
              arguments: { cmd: "echo no > unhandled.txt", yield_time_ms: 10_000 },
            },
          },
        ],
      },
      { items: [{ message: "It was not allowed." }] },
    ]);
    home = new TestHome(model.baseUrl);
    server = await listenWebSocket(home);
  });

  after(async () => {
    server.stop();
    const served = await model.stop();
    home.remove();
    assert.deepEqual(served, { requests: 4, unusedReplies: 0 });
  });

  test("a turn streams its answer and the approved command runs", async () => {
    const connector: Connector = nodeWebSocketConnector(server.url);
    const { client } = await CodexClient.connect(connector, {
      clientInfo: CLIENT_INFO,
      capabilities: { experimentalApi: true },
    });
    try {
      await runApprovedTurn(client, home);
      assert.ok(existsSync(join(home.work, "approved.txt")));
    } finally {
      client.close();
    }
  });

  test("a server request without a handler is answered with an error: the command is declined", async () => {
    const { client } = await CodexClient.connect(nodeWebSocketConnector(server.url), {
      clientInfo: CLIENT_INFO,
      capabilities: null,
    });
    try {
      const started = await client.request("thread/start", { cwd: home.work, approvalPolicy: "untrusted", experimentalRawEvents: false });
      const threadId = started.thread.id;
      const completed = client.next("turn/completed", (params) => params.threadId === threadId);
      const items: string[] = [];
      client.on("item/completed", ({ item }) => items.push(item.type === "commandExecution" ? `command ${item.status}` : item.type));
      await client.request("turn/start", {
        threadId,
        input: [{ type: "text", text: "Try to write unhandled.txt.", text_elements: [] }],
      });
      const done = await completed;
      assert.ok(items.includes("command declined"), `the command was declined; items: ${items.join(", ")}`);
      assert.equal(done.turn.status, "completed");
      assert.equal(existsSync(join(home.work, "unhandled.txt")), false, "the unanswered command did not run");
    } finally {
      client.close();
    }
  });

  test("a refused connection fails connect with the reason", async () => {
    await assert.rejects(
      CodexClient.connect(nodeWebSocketConnector(server.url, { headers: { Origin: "https://elsewhere.example" } }), {
        clientInfo: CLIENT_INFO,
        capabilities: null,
      }),
      /could not connect to ws:\/\//,
    );
  });
});
