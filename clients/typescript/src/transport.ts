// How the client reaches a server: a Transport carries whole JSON-RPC messages as text, one per
// line on stdio or one per text frame on WebSocket. The client core knows nothing else of it,
// so the same core runs in Node (stdio, the `ws` package) and in browsers (native WebSocket).

/** Why a transport ended. `expected` is true when our side closed it. */
export type CloseInfo = { expected: boolean; reason: string };

/** One open connection to a server. */
export interface Transport {
  /** Sends one JSON-RPC message (already serialized). */
  send(message: string): void;
  /** Ends the connection; `onclose` then fires with `expected: true`. */
  close(): void;
  /** Set by the client: called with each message the server sends. */
  onmessage: ((message: string) => void) | null;
  /** Set by the client: called once when the connection ends, for whatever reason. */
  onclose: ((info: CloseInfo) => void) | null;
}

/** Opens a new connection; the reconnecting client calls it again after a drop. */
export type Connector = () => Promise<Transport>;

/**
 * The part of the WHATWG WebSocket API this client uses; both browsers' `WebSocket` and the `ws`
 * package provide it.
 */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onerror: ((event: unknown) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
}

/** Makes a WebSocket for a URL: `(url) => new WebSocket(url)` in a browser. */
export type WebSocketFactory = (url: string) => WebSocketLike;

/** The `readyState` of an open WebSocket. */
const OPEN = 1;

/**
 * A Connector over WebSocket. In a browser, `webSocketConnector(url)` uses the native
 * `WebSocket`; in Node use `nodeWebSocketConnector` from `@codex-app-server/client/node`.
 */
export function webSocketConnector(url: string, factory?: WebSocketFactory): Connector {
  const make: WebSocketFactory =
    factory ??
    ((target) => {
      const native = (globalThis as { WebSocket?: new (url: string) => WebSocketLike }).WebSocket;
      if (native === undefined) {
        throw new Error("this runtime has no global WebSocket; pass a factory (in Node, use nodeWebSocketConnector)");
      }
      return new native(target);
    });
  return () => openWebSocket(url, make);
}

function openWebSocket(url: string, make: WebSocketFactory): Promise<Transport> {
  return new Promise((resolve, reject) => {
    let socket: WebSocketLike;
    try {
      socket = make(url);
    } catch (error) {
      reject(error instanceof Error ? error : new Error(String(error)));
      return;
    }
    let opened = false;
    let closedByUs = false;
    const transport: Transport = {
      send(message) {
        if (socket.readyState !== OPEN) {
          throw new Error("the WebSocket is not open");
        }
        socket.send(message);
      },
      close() {
        closedByUs = true;
        socket.close(1000, "client closed");
      },
      onmessage: null,
      onclose: null,
    };
    socket.onopen = () => {
      opened = true;
      resolve(transport);
    };
    socket.onmessage = (event) => {
      if (typeof event.data === "string") {
        transport.onmessage?.(event.data);
      } else {
        // The server speaks only in text frames; anything else is a broken peer.
        transport.onmessage?.(String(event.data));
      }
    };
    // Browsers say nothing useful in `error`; the close that follows carries the code.
    socket.onerror = () => {};
    socket.onclose = (event) => {
      const reason = `WebSocket closed (code ${event.code}${event.reason ? `: ${event.reason}` : ""})`;
      if (!opened) {
        reject(new Error(`could not connect to ${url}: ${reason}`));
        return;
      }
      transport.onclose?.({ expected: closedByUs, reason });
    };
  });
}
