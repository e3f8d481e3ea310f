// The typed client for `codex app-server`. This entry point runs anywhere (Node and browsers);
// `@codex-app-server/client/node` adds the stdio and `ws` connectors.

export * from "./client";
export * from "./transport";
export type * as protocol from "./generated/protocol";
export {
  CLIENT_REQUEST_METHODS,
  EXPERIMENTAL_CLIENT_REQUEST_METHODS,
  SERVER_NOTIFICATION_METHODS,
  SERVER_REQUEST_METHODS,
} from "./generated/methods";
