// @hato/sdk: a DOM-free XMPP client (browsers and Node 20) for the web client, tests and bots.
export { HatoClient } from "./client.js";
export type {
  ChatMessage,
  ChatState,
  ClientEvents,
  ClientOptions,
  Contact,
  Show,
  Status,
  WebSocketLike,
} from "./types.js";

export const SDK_VERSION = "0.1.0";
