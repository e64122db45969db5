// @hato/core: router, typed events, module API, sessions, client streams, configuration, errors.
export * from "./accounts.js";
export * from "./admin/index.js";
export * from "./admin-socket.js";
export * from "./audit/index.js";
export type { PreauthIqHandler, StreamExtensions } from "./c2s/context.js";
export { type ClientSession, intakeStanza } from "./c2s/intake.js";
export * from "./component/registry.js";
export { handshakeDigest } from "./component/stream.js";
export * from "./config.js";
export * from "./errors.js";
export * from "./events.js";
export {
  adminContentSecurityPolicy,
  chatContentSecurityPolicy,
  SECURITY_HEADERS,
  secureHeaders,
  sendError,
  sendJson,
} from "./http/headers.js";
export type { HttpHandler, HttpRouteOptions } from "./http/router.js";
export { staticFiles } from "./http/static.js";
export * from "./limits.js";
export * from "./logger.js";
export * from "./module-api.js";
export * from "./policy/index.js";
export * from "./router.js";
export * from "./server.js";
export * from "./session.js";
