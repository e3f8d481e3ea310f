// The client core: request ids and answer pairing, notification dispatch by method, handlers
// for the server's requests, the initialize handshake, and (over WebSocket) reconnecting with
// replay from the last `seq` seen on each thread.
//
// Everything is typed by method through `generated/methods.ts`, which `codex app-server
// generate-ts-client` writes from the protocol's method table.

import type { InitializeParams, InitializeResponse, RequestId } from "./generated/protocol";
import type { ClientRequestMethods, ServerNotificationMethods, ServerRequestMethods } from "./generated/methods";
import type { CloseInfo, Connector, Transport } from "./transport";

export type { ClientRequestMethods, ServerNotificationMethods, ServerRequestMethods };

/** A request method the client may send. */
export type ClientMethod = keyof ClientRequestMethods;
/** The params of a client request method. */
export type ParamsOf<M extends ClientMethod> = ClientRequestMethods[M]["params"];
/** The result a client request method is answered with. */
export type ResultOf<M extends ClientMethod> = ClientRequestMethods[M]["result"];
/** A notification method the server may send. */
export type NotificationMethod = keyof ServerNotificationMethods;
/** A request method the server may send. */
export type ServerRequestMethod = keyof ServerRequestMethods;

/**
 * What the replay journal adds to messages (experimental; only for clients that initialize with
 * `capabilities.experimentalApi: true`): each notification about a thread carries `seq` (per
 * thread, from 1), and `thread/start`, `thread/resume` and `thread/fork` answer with `journalId`.
 */
export type ReplayStamp = { seq?: number };

/** Methods without params may be called without them. */
type ParamsArgs<M extends ClientMethod> = undefined extends ParamsOf<M> ? [params?: ParamsOf<M>] : [params: ParamsOf<M>];

/** A JSON-RPC error answer, as thrown by `request`. */
export class JsonRpcError extends Error {
  constructor(
    readonly method: string,
    readonly code: number,
    readonly rpcMessage: string,
    readonly data: unknown,
  ) {
    super(`${method} failed: ${rpcMessage} (code ${code})`);
    this.name = "JsonRpcError";
  }
}

/** The connection ended before the answer came; whether the server acted on it is unknown. */
export class ConnectionClosedError extends Error {
  constructor(reason: string) {
    super(`the connection closed: ${reason}`);
    this.name = "ConnectionClosedError";
  }
}

/** JSON-RPC's code for "no such method", sent back for server requests nobody handles. */
export const METHOD_NOT_FOUND = -32601;
/** JSON-RPC's code for an internal error, sent back when a handler throws. */
export const INTERNAL_ERROR = -32603;
/** The code `thread/resume` answers with when the journal no longer holds the asked events. */
export const INVALID_REQUEST = -32600;

/** What a server-request handler is told besides the params. */
export type ServerRequestContext = { id: RequestId; method: ServerRequestMethod };

/** Answers one kind of server request; throw a JsonRpcError to answer with an error. */
export type ServerRequestHandler<M extends ServerRequestMethod> = (
  params: ServerRequestMethods[M]["params"],
  context: ServerRequestContext,
) => ServerRequestMethods[M]["result"] | Promise<ServerRequestMethods[M]["result"]>;

/** Events about the connection itself. */
export type ConnectionEvents = {
  /** The connection dropped unexpectedly; a reconnect is under way when `reconnecting`. */
  disconnected: { reason: string; reconnecting: boolean };
  /** A new connection is initialized and every followed thread resumed. */
  reconnected: { attempt: number };
  /**
   * The server no longer holds the events after `afterSeq` on this thread, so some were missed:
   * read the thread (`thread/read`) to catch up. The thread is followed again from now on.
   */
  replayLost: { threadId: string; afterSeq: number; oldestSeq: number | null };
  /** The client gave up (closed by us, or reconnecting failed); nothing more will arrive. */
  closed: { reason: string };
};

export type ReconnectOptions = {
  /** Attempts before giving up; default 10. */
  maxAttempts?: number;
  /** The first wait, doubled after each failure; default 200 ms. */
  initialDelayMs?: number;
  /** The longest wait between attempts; default 5000 ms. */
  maxDelayMs?: number;
};

export type ClientOptions = {
  /** Reconnect after an unexpected drop (WebSocket only makes sense); off by default. */
  reconnect?: ReconnectOptions | boolean;
  /** Rejects a request not answered within this time; none by default. */
  requestTimeoutMs?: number;
};

/** A thread whose notifications the client follows across reconnects. */
type Followed = { journalId: string | null; lastSeq: number };

type Pending = {
  method: string;
  resolve: (result: unknown) => void;
  reject: (error: Error) => void;
  timer: ReturnType<typeof setTimeout> | undefined;
};

type Listener = (params: never) => void;

/** The thread methods whose answers start following a thread. */
const FOLLOWING_METHODS: ReadonlySet<string> = new Set(["thread/start", "thread/resume", "thread/fork"]);

export class CodexClient {
  private transport: Transport | null = null;
  private nextId = 1;
  private readonly pending = new Map<RequestId, Pending>();
  private readonly listeners = new Map<string, Set<Listener>>();
  private readonly anyListeners = new Set<(method: string, params: unknown) => void>();
  private readonly eventListeners = new Map<keyof ConnectionEvents, Set<(event: never) => void>>();
  private readonly handlers = new Map<string, ServerRequestHandler<ServerRequestMethod>>();
  /** Server requests whose handler has not finished, by id: a re-sent one is not handled twice. */
  private readonly inFlight = new Set<string>();
  private readonly followed = new Map<string, Followed>();
  private initializeParams: InitializeParams | null = null;
  private closedReason: string | null = null;
  /** Whether a reconnect loop runs: a connection it opens that drops is its business alone. */
  private reconnecting = false;
  private readonly reconnect: Required<ReconnectOptions> | null;

  private constructor(
    private readonly connector: Connector,
    private readonly options: ClientOptions,
  ) {
    const reconnect = options.reconnect;
    this.reconnect =
      reconnect === undefined || reconnect === false
        ? null
        : {
            maxAttempts: (reconnect === true ? undefined : reconnect.maxAttempts) ?? 10,
            initialDelayMs: (reconnect === true ? undefined : reconnect.initialDelayMs) ?? 200,
            maxDelayMs: (reconnect === true ? undefined : reconnect.maxDelayMs) ?? 5000,
          };
  }

  /**
   * Connects and runs the handshake (`initialize`, then `initialized`). Register server-request
   * handlers right after: the server sends none before a thread exists.
   */
  static async connect(
    connector: Connector,
    initialize: InitializeParams,
    options: ClientOptions = {},
  ): Promise<{ client: CodexClient; initialized: InitializeResponse }> {
    const client = new CodexClient(connector, options);
    const initialized = await client.open(initialize);
    return { client, initialized };
  }

  /** Sends a request and resolves with its typed result; an error answer throws JsonRpcError. */
  request<M extends ClientMethod>(method: M, ...args: ParamsArgs<M>): Promise<ResultOf<M>> {
    return this.send(method, args[0]) as Promise<ResultOf<M>>;
  }

  /** Calls `handler` with the params of every `method` notification; returns an unsubscribe. */
  on<M extends NotificationMethod>(method: M, handler: (params: ServerNotificationMethods[M] & ReplayStamp) => void): () => void {
    let set = this.listeners.get(method);
    if (set === undefined) {
      set = new Set();
      this.listeners.set(method, set);
    }
    const listener = handler as Listener;
    set.add(listener);
    return () => set.delete(listener);
  }

  /**
   * Resolves with the params of the next `method` notification that `matches` accepts; rejects
   * after `timeoutMs` (default 60 s) or when the client closes.
   */
  next<M extends NotificationMethod>(
    method: M,
    matches: (params: ServerNotificationMethods[M] & ReplayStamp) => boolean = () => true,
    timeoutMs = 60_000,
  ): Promise<ServerNotificationMethods[M] & ReplayStamp> {
    return new Promise((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        off();
        offClosed();
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`no ${method} notification within ${timeoutMs} ms`));
      }, timeoutMs);
      const off = this.on(method, (params) => {
        if (matches(params)) {
          done();
          resolve(params);
        }
      });
      const offClosed = this.onConnection("closed", ({ reason }) => {
        done();
        reject(new ConnectionClosedError(reason));
      });
    });
  }

  /** Calls `handler` with every notification, including legacy `codex/event/*` ones. */
  onAny(handler: (method: string, params: unknown) => void): () => void {
    this.anyListeners.add(handler);
    return () => this.anyListeners.delete(handler);
  }

  /** Calls `handler` on connection events (drops, reconnects, lost replays, the end). */
  onConnection<E extends keyof ConnectionEvents>(event: E, handler: (event: ConnectionEvents[E]) => void): () => void {
    let set = this.eventListeners.get(event);
    if (set === undefined) {
      set = new Set();
      this.eventListeners.set(event, set);
    }
    const listener = handler as (event: never) => void;
    set.add(listener);
    return () => set.delete(listener);
  }

  /**
   * Answers the server's `method` requests (approvals, user input, client tool calls, token
   * refresh) with what `handler` returns. One handler per method; without one the server is
   * answered with METHOD_NOT_FOUND.
   */
  handle<M extends ServerRequestMethod>(method: M, handler: ServerRequestHandler<M>): void {
    this.handlers.set(method, handler as unknown as ServerRequestHandler<ServerRequestMethod>);
  }

  /** The last `seq` seen on each followed thread (for display or tests). */
  lastSeq(threadId: string): number | undefined {
    return this.followed.get(threadId)?.lastSeq;
  }

  /** Stops following a thread: it is no longer resumed after a reconnect. */
  unfollow(threadId: string): void {
    this.followed.delete(threadId);
  }

  /** Closes the connection; pending requests reject with ConnectionClosedError. */
  close(): void {
    this.finish("closed by the client");
  }

  private async open(initialize: InitializeParams): Promise<InitializeResponse> {
    this.initializeParams = initialize;
    const transport = await this.connector();
    this.attach(transport);
    try {
      return await this.handshake();
    } catch (error) {
      this.finish(`the handshake failed: ${error instanceof Error ? error.message : String(error)}`);
      throw error;
    }
  }

  private async handshake(): Promise<InitializeResponse> {
    const initialized = (await this.send("initialize", this.initializeParams)) as InitializeResponse;
    this.write({ method: "initialized" });
    return initialized;
  }

  private attach(transport: Transport): void {
    this.transport = transport;
    transport.onmessage = (message) => this.receive(message);
    transport.onclose = (info) => this.dropped(transport, info);
  }

  private send(method: string, params: unknown): Promise<unknown> {
    if (this.closedReason !== null) {
      return Promise.reject(new ConnectionClosedError(this.closedReason));
    }
    if (this.transport === null) {
      return Promise.reject(new ConnectionClosedError("not connected (reconnecting)"));
    }
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timeout = this.options.requestTimeoutMs;
      const timer =
        timeout === undefined
          ? undefined
          : setTimeout(() => {
              this.pending.delete(id);
              reject(new Error(`no answer to ${method} (id ${id}) within ${timeout} ms`));
            }, timeout);
      this.pending.set(id, {
        method,
        resolve: (result) => {
          this.noteFollowing(method, result);
          resolve(result);
        },
        reject,
        timer,
      });
      try {
        this.write(params === undefined ? { id, method } : { id, method, params });
      } catch (error) {
        this.settle(id)?.reject(error instanceof Error ? error : new Error(String(error)));
      }
    });
  }

  private write(message: object): void {
    if (this.transport === null) {
      throw new ConnectionClosedError(this.closedReason ?? "not connected");
    }
    this.transport.send(JSON.stringify(message));
  }

  private settle(id: RequestId): Pending | undefined {
    const pending = this.pending.get(id);
    if (pending !== undefined) {
      this.pending.delete(id);
      clearTimeout(pending.timer);
    }
    return pending;
  }

  private receive(text: string): void {
    let message: Record<string, unknown>;
    try {
      const parsed: unknown = JSON.parse(text);
      if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
        return;
      }
      message = parsed as Record<string, unknown>;
    } catch {
      return;
    }
    const method = message["method"];
    const id = message["id"];
    if (typeof method !== "string") {
      if (typeof id === "number" || typeof id === "string") {
        this.answered(id, message);
      }
      return;
    }
    if (id !== undefined) {
      if (typeof id === "number" || typeof id === "string") {
        void this.serverRequest(id, method, message["params"]);
      }
      return;
    }
    this.notification(method, message["params"]);
  }

  private answered(id: RequestId, message: Record<string, unknown>): void {
    const pending = this.settle(id);
    if (pending === undefined) {
      return;
    }
    const error = message["error"];
    if (typeof error === "object" && error !== null) {
      const fields = error as Record<string, unknown>;
      const code = typeof fields["code"] === "number" ? fields["code"] : INTERNAL_ERROR;
      const text = typeof fields["message"] === "string" ? fields["message"] : JSON.stringify(error);
      pending.reject(new JsonRpcError(pending.method, code, text, fields["data"]));
    } else {
      pending.resolve(message["result"]);
    }
  }

  private notification(method: string, params: unknown): void {
    if (!this.fresh(params)) {
      return;
    }
    for (const listener of this.listeners.get(method) ?? []) {
      listener(params as never);
    }
    for (const listener of this.anyListeners) {
      listener(method, params);
    }
  }

  /**
   * Whether a notification is new: one stamped with a `seq` no larger than the last seen on its
   * thread was already delivered (a replay overlapping what arrived before the drop).
   */
  private fresh(params: unknown): boolean {
    if (typeof params !== "object" || params === null) {
      return true;
    }
    const fields = params as Record<string, unknown>;
    const seq = fields["seq"];
    const threadId = fields["threadId"];
    if (typeof seq !== "number" || typeof threadId !== "string") {
      return true;
    }
    const followed = this.followed.get(threadId);
    if (followed === undefined) {
      this.followed.set(threadId, { journalId: null, lastSeq: seq });
      return true;
    }
    if (seq <= followed.lastSeq) {
      return false;
    }
    followed.lastSeq = seq;
    return true;
  }

  /** Remembers the thread (and its journal) a start, resume or fork answer is about. */
  private noteFollowing(method: string, result: unknown): void {
    if (!FOLLOWING_METHODS.has(method) || typeof result !== "object" || result === null) {
      return;
    }
    const fields = result as { thread?: { id?: unknown }; journalId?: unknown };
    const threadId = fields.thread?.id;
    if (typeof threadId !== "string") {
      return;
    }
    const journalId = typeof fields.journalId === "string" ? fields.journalId : null;
    // A thread already followed keeps its count: `seq` goes on across resumes.
    const lastSeq = this.followed.get(threadId)?.lastSeq ?? 0;
    this.followed.set(threadId, { journalId, lastSeq });
  }

  private async serverRequest(id: RequestId, method: string, params: unknown): Promise<void> {
    const key = `${typeof id}:${id}`;
    if (this.inFlight.has(key)) {
      // Re-sent after a reconnect while its handler still works: the answer goes out when done.
      return;
    }
    if (!this.fresh(params)) {
      return;
    }
    const handler = this.handlers.get(method);
    if (handler === undefined) {
      this.answerServer({ id, error: { code: METHOD_NOT_FOUND, message: `this client does not handle ${method}` } });
      return;
    }
    this.inFlight.add(key);
    try {
      const result = await handler(params as never, { id, method: method as ServerRequestMethod });
      this.answerServer({ id, result });
    } catch (error) {
      if (error instanceof JsonRpcError) {
        this.answerServer({ id, error: { code: error.code, message: error.rpcMessage, data: error.data } });
      } else {
        const message = error instanceof Error ? error.message : String(error);
        this.answerServer({ id, error: { code: INTERNAL_ERROR, message } });
      }
    } finally {
      this.inFlight.delete(key);
    }
  }

  /** Sends an answer on the current connection; while reconnecting it waits for the re-send. */
  private answerServer(message: object): void {
    if (this.transport === null) {
      return;
    }
    try {
      this.write(message);
    } catch {
      // The connection is going away; the server re-sends the request after a resume.
    }
  }

  private dropped(transport: Transport, info: CloseInfo): void {
    if (this.transport !== transport) {
      return;
    }
    this.transport = null;
    for (const id of [...this.pending.keys()]) {
      this.settle(id)?.reject(new ConnectionClosedError(info.reason));
    }
    if (this.reconnecting) {
      // A connection the loop opened dropped during its handshake or resumes: the rejected
      // requests above make the loop try again.
      return;
    }
    if (info.expected || this.reconnect === null || this.closedReason !== null) {
      this.finish(info.reason);
      return;
    }
    this.emit("disconnected", { reason: info.reason, reconnecting: true });
    this.reconnecting = true;
    void this.reconnectLoop(info.reason);
  }

  /** Connects again with backoff until a connection is initialized and resumed, or gives up. */
  private async reconnectLoop(lastReason: string): Promise<void> {
    const outcome = await this.tryReconnecting(lastReason);
    // Cleared before anyone hears the outcome, so a drop right after is handled afresh.
    this.reconnecting = false;
    if (typeof outcome === "number") {
      this.emit("reconnected", { attempt: outcome });
    } else if (outcome !== null) {
      this.finish(outcome);
    }
  }

  /** The attempt that succeeded, why it gave up, or null when the client was closed meanwhile. */
  private async tryReconnecting(lastReason: string): Promise<number | string | null> {
    const policy = this.reconnect;
    if (policy === null) {
      return lastReason;
    }
    let delay = policy.initialDelayMs;
    for (let attempt = 1; attempt <= policy.maxAttempts; attempt++) {
      await sleep(delay);
      delay = Math.min(delay * 2, policy.maxDelayMs);
      if (this.closedReason !== null) {
        return null;
      }
      let transport: Transport;
      try {
        transport = await this.connector();
      } catch (error) {
        lastReason = error instanceof Error ? error.message : String(error);
        continue;
      }
      if (this.closedReason !== null) {
        transport.close();
        return null;
      }
      this.attach(transport);
      try {
        await this.handshake();
        await this.resumeFollowed();
      } catch (error) {
        lastReason = error instanceof Error ? error.message : String(error);
        if (this.transport === transport) {
          // Still connected but the server refused: start over on a new connection.
          this.transport = null;
          transport.onclose = null;
          transport.close();
        }
        continue;
      }
      return attempt;
    }
    return `gave up reconnecting after ${policy.maxAttempts} attempts: ${lastReason}`;
  }

  /** Resumes every followed thread from its last `seq`; a lost replay is reported, not fatal. */
  private async resumeFollowed(): Promise<void> {
    for (const [threadId, followed] of [...this.followed]) {
      const params: Record<string, unknown> = { threadId, afterSeq: followed.lastSeq };
      if (followed.journalId !== null) {
        params["journalId"] = followed.journalId;
      }
      try {
        await this.send("thread/resume", params);
      } catch (error) {
        if (!(error instanceof JsonRpcError) || error.code !== INVALID_REQUEST) {
          throw error;
        }
        const data = error.data as { oldestSeq?: unknown } | null | undefined;
        const oldestSeq = typeof data?.oldestSeq === "number" ? data.oldestSeq : null;
        this.emit("replayLost", { threadId, afterSeq: followed.lastSeq, oldestSeq });
        // Follow it again from now on; what was missed is for the app to read.
        this.followed.delete(threadId);
        await this.send("thread/resume", { threadId });
      }
    }
  }

  private emit<E extends keyof ConnectionEvents>(event: E, value: ConnectionEvents[E]): void {
    for (const listener of this.eventListeners.get(event) ?? []) {
      listener(value as never);
    }
  }

  private finish(reason: string): void {
    if (this.closedReason !== null) {
      return;
    }
    this.closedReason = reason;
    const transport = this.transport;
    this.transport = null;
    for (const id of [...this.pending.keys()]) {
      this.settle(id)?.reject(new ConnectionClosedError(reason));
    }
    if (transport !== null) {
      transport.onclose = null;
      transport.close();
    }
    this.emit("closed", { reason });
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
