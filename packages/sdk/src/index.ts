// @hato/sdk: a DOM-free XMPP client (browsers and Node 20) for the web client, tests and bots.
export { fromBase64, toBase64 } from "./base64.js";
export { CAPS_NODE, capsHash, type Identity, verificationString } from "./caps.js";
export { HatoClient } from "./client.js";
export { type ScramClient, type ScramHash, scramClient } from "./scram.js";
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
