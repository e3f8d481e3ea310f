// Reconnect with replay, against a small fake server that speaks the replay contract (each
// notification about a thread carries `seq`; thread/start|resume answer with `journalId`;
// thread/resume takes `afterSeq` and `journalId`, replays what came after, and re-sends pending
// server requests with their original ids; when it no longer holds those events it answers
// -32600 with `data.oldestSeq`). The real server's end-to-end test comes with its journal.

import assert from "node:assert/strict";
import { type AddressInfo } from "node:net";
import { after, before, test } from "node:test";

import { WebSocket, WebSocketServer } from "ws";

import { CodexClient, type ConnectionEvents } from "../src/index";
import { nodeWebSocketConnector } from "../src/node";
import { CLIENT_INFO } from "../src/testing";

type Message = { id?: number | string; method?: string; params?: Record<string, unknown>; result?: unknown; error?: unknown };

/** One accepted connection: what the client sent, in order, and a way to answer. */
class Peer {
  private readonly inbox: Message[] = [];
  private readonly waiters: Array<(message: Message) => void> = [];

  constructor(readonly socket: WebSocket) {
    socket.on("message", (data: Buffer) => {
      const message = JSON.parse(data.toString()) as Message;
      const waiter = this.waiters.shift();
      if (waiter !== undefined) waiter(message);
      else this.inbox.push(message);
    });
  }

  next(): Promise<Message> {
    const queued = this.inbox.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("the client sent nothing within 10 s")), 10_000);
      this.waiters.push((message) => {
        clearTimeout(timer);
        resolve(message);
      });
    });
  }

  /** Expects a request for `method`, and returns it. */
  async expect(method: string): Promise<Message> {
    const message = await this.next();
    assert.equal(message.method, method, `expected ${method}, got ${JSON.stringify(message)}`);
    return message;
  }

  send(message: object): void {
    this.socket.send(JSON.stringify(message));
  }

  /** Answers the handshake and checks the client asked for the experimental API. */
  async handshake(): Promise<void> {
    const initialize = await this.expect("initialize");
    assert.deepEqual(initialize.params?.["capabilities"], { experimentalApi: true });
    this.send({ id: initialize.id, result: { userAgent: "fake/1.0" } });
    await this.expect("initialized");
  }

  delta(threadId: string, seq: number): void {
    this.send({
      method: "item/agentMessage/delta",
      params: { threadId, turnId: "turn-1", itemId: "msg-1", delta: `<${seq}>`, seq },
    });
  }
}

class FakeServer {
  readonly wss: WebSocketServer;
  private readonly peers: Peer[] = [];
  private readonly waiters: Array<(peer: Peer) => void> = [];

  constructor() {
    this.wss = new WebSocketServer({ host: "127.0.0.1", port: 0 });
    this.wss.on("connection", (socket) => {
      const peer = new Peer(socket);
      const waiter = this.waiters.shift();
      if (waiter !== undefined) waiter(peer);
      else this.peers.push(peer);
    });
  }

  url(): string {
    return `ws://127.0.0.1:${(this.wss.address() as AddressInfo).port}`;
  }

  accept(): Promise<Peer> {
    const queued = this.peers.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    return new Promise((resolve) => this.waiters.push(resolve));
  }
}

function thread(id: string): object {
  return { thread: { id, turns: [] }, journalId: `journal-${id}` };
}

let server: FakeServer;

before(() => {
  server = new FakeServer();
});

after(() => {
  server.wss.close();
});

async function connect(): Promise<{ client: CodexClient; peer: Peer; events: Array<[string, unknown]> }> {
  const connecting = CodexClient.connect(
    nodeWebSocketConnector(server.url()),
    { clientInfo: CLIENT_INFO, capabilities: { experimentalApi: true } },
    { reconnect: { initialDelayMs: 10, maxDelayMs: 50, maxAttempts: 5 } },
  );
  const peer = await server.accept();
  await peer.handshake();
  const { client } = await connecting;
  const events: Array<[string, unknown]> = [];
  for (const name of ["disconnected", "reconnected", "replayLost", "closed"] as const) {
    client.onConnection(name, (event: ConnectionEvents[typeof name]) => events.push([name, event]));
  }
  return { client, peer, events };
}

test("after a drop the client resumes from the last seq, drops repeats, and answers a re-sent request once", async () => {
  const { client, peer, events } = await connect();
  const seen: number[] = [];
  client.on("item/agentMessage/delta", (params) => seen.push(params.seq ?? -1));
  let approvals = 0;
  let approve: (() => void) | undefined;
  client.handle("item/commandExecution/requestApproval", async () => {
    approvals += 1;
    // The person takes their time: the connection drops while the question is open.
    await new Promise<void>((resolve) => {
      approve = resolve;
    });
    return { decision: "accept" };
  });

  const starting = client.request("thread/start", { experimentalRawEvents: false });
  const start = await peer.expect("thread/start");
  peer.send({ id: start.id, result: thread("t1") });
  await starting;
  for (const seq of [1, 2, 3]) peer.delta("t1", seq);
  peer.send({
    id: 77,
    method: "item/commandExecution/requestApproval",
    params: { threadId: "t1", turnId: "turn-1", itemId: "call-1", command: "ls" },
  });
  await until(() => approvals === 1 && seen.length === 3);
  peer.socket.terminate();

  const again = await server.accept();
  await again.handshake();
  const resume = await again.expect("thread/resume");
  assert.deepEqual(resume.params, { threadId: "t1", afterSeq: 3, journalId: "journal-t1" });
  again.send({ id: resume.id, result: thread("t1") });
  // A replay that overlaps what already arrived is delivered once.
  for (const seq of [3, 4, 5]) again.delta("t1", seq);
  again.send({
    id: 77,
    method: "item/commandExecution/requestApproval",
    params: { threadId: "t1", turnId: "turn-1", itemId: "call-1", command: "ls" },
  });
  await until(() => events.some(([name]) => name === "reconnected") && seen.length === 5);
  assert.deepEqual(seen, [1, 2, 3, 4, 5]);
  assert.equal(client.lastSeq("t1"), 5);

  approve?.();
  const answer = await again.next();
  assert.deepEqual(answer, { id: 77, result: { decision: "accept" } });
  assert.equal(approvals, 1, "the re-sent request was not asked twice");
  assert.deepEqual(
    events.map(([name]) => name),
    ["disconnected", "reconnected"],
  );
  client.close();
});

test("when the server no longer holds the events, the app is told and the thread is followed again", async () => {
  const { client, peer, events } = await connect();
  const starting = client.request("thread/start", { experimentalRawEvents: false });
  const start = await peer.expect("thread/start");
  peer.send({ id: start.id, result: thread("t2") });
  await starting;
  peer.delta("t2", 1);
  peer.delta("t2", 2);
  await until(() => client.lastSeq("t2") === 2);
  peer.socket.terminate();

  const again = await server.accept();
  await again.handshake();
  const resume = await again.expect("thread/resume");
  assert.deepEqual(resume.params, { threadId: "t2", afterSeq: 2, journalId: "journal-t2" });
  again.send({
    id: resume.id,
    error: {
      code: -32600,
      message: "events after seq 2 are no longer held; read the thread instead",
      data: { oldestSeq: 40 },
    },
  });
  const plain = await again.expect("thread/resume");
  assert.deepEqual(plain.params, { threadId: "t2" });
  again.send({ id: plain.id, result: thread("t2") });
  await until(() => events.some(([name]) => name === "reconnected"));
  assert.deepEqual(events, [
    ["disconnected", { reason: "WebSocket closed (code 1006)", reconnecting: true }],
    ["replayLost", { threadId: "t2", afterSeq: 2, oldestSeq: 40 }],
    ["reconnected", { attempt: 1 }],
  ]);
  // Live events after the lost stretch are delivered.
  const seen: number[] = [];
  client.on("item/agentMessage/delta", (params) => seen.push(params.seq ?? -1));
  again.delta("t2", 41);
  await until(() => seen.length === 1);
  assert.deepEqual(seen, [41]);
  client.close();
});

test("a connection that drops during the re-handshake is retried by the same reconnect", async () => {
  const { client, peer, events } = await connect();
  const starting = client.request("thread/start", { experimentalRawEvents: false });
  const start = await peer.expect("thread/start");
  peer.send({ id: start.id, result: thread("t3") });
  await starting;
  peer.delta("t3", 1);
  await until(() => client.lastSeq("t3") === 1);
  peer.socket.terminate();

  // The first new connection dies before answering initialize.
  const flaky = await server.accept();
  await flaky.expect("initialize");
  flaky.socket.terminate();

  const again = await server.accept();
  await again.handshake();
  const resume = await again.expect("thread/resume");
  assert.deepEqual(resume.params, { threadId: "t3", afterSeq: 1, journalId: "journal-t3" });
  again.send({ id: resume.id, result: thread("t3") });
  await until(() => events.some(([name]) => name === "reconnected"));
  assert.deepEqual(
    events.map(([name, event]) => [name, name === "reconnected" ? event : null]),
    [
      ["disconnected", null],
      ["reconnected", { attempt: 2 }],
    ],
  );
  // Still one client on one connection: a request is answered there.
  const listing = client.request("thread/list", {});
  const list = await again.expect("thread/list");
  again.send({ id: list.id, result: { data: [], nextCursor: null } });
  assert.deepEqual(await listing, { data: [], nextCursor: null });
  client.close();
});

test("requests fail with the reason while disconnected, and the client gives up after its attempts", async () => {
  const lonely = new WebSocketServer({ host: "127.0.0.1", port: 0 });
  await new Promise<void>((resolve) => lonely.once("listening", () => resolve()));
  const url = `ws://127.0.0.1:${(lonely.address() as AddressInfo).port}`;
  const accepted = new Promise<Peer>((resolve) => lonely.once("connection", (socket) => resolve(new Peer(socket))));
  const connecting = CodexClient.connect(
    nodeWebSocketConnector(url),
    { clientInfo: CLIENT_INFO, capabilities: { experimentalApi: true } },
    { reconnect: { initialDelayMs: 5, maxDelayMs: 10, maxAttempts: 3 } },
  );
  const peer = await accepted;
  await peer.handshake();
  const { client } = await connecting;
  const closed = new Promise<ConnectionEvents["closed"]>((resolve) => client.onConnection("closed", resolve));
  const pending = client.request("thread/list", {});
  await peer.expect("thread/list");
  // The server goes away for good.
  await new Promise<void>((resolve) => {
    lonely.close(() => resolve());
    peer.socket.terminate();
  });
  await assert.rejects(pending, /the connection closed: WebSocket closed \(code 1006\)/);
  await assert.rejects(client.request("thread/list", {}), /not connected \(reconnecting\)/);
  const { reason } = await closed;
  assert.match(reason, /^gave up reconnecting after 3 attempts: could not connect to ws:/);
  await assert.rejects(client.request("thread/list", {}), /gave up reconnecting/);
});

async function until(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) {
      throw new Error(`condition not met within ${timeoutMs} ms: ${condition.toString()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
