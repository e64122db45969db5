/**
 * @hato/sdk: a DOM-free XMPP client for browsers and Node 20 — what the Hato web client,
 * the tests and bots use. It speaks RFC 7395 (XMPP over WebSocket) with SCRAM-SHA-256/1,
 * resumes sessions (XEP-0198) across network drops, and covers roster and presence,
 * 1:1 chat with receipts, read markers, corrections and chat states, archive history
 * (XEP-0313), avatars (XEP-0084, XEP-0153) and file sharing (XEP-0363 upload, XEP-0066 x:oob).
 *
 * An echo bot in Node (`ws` supplies the WebSocket; browsers have their own):
 *
 * ```ts
 * import { HatoClient } from "@hato/sdk";
 * import WebSocket from "ws";
 *
 * const bot = new HatoClient({
 *   service: "wss://chat.example.org/xmpp-websocket",
 *   jid: "echo@chat.example.org",
 *   password: process.env.ECHO_PASSWORD ?? "",
 *   WebSocket,
 * });
 * bot.on("subscriptionRequest", (from) => bot.approve(from));
 * bot.on("message", (m) => {
 *   if (!m.outgoing) bot.send(m.peer, `you said: ${m.body}`);
 * });
 * await bot.connect();
 * ```
 *
 * Files (XEP-0363): `upload(peer, file, { put, onProgress })` asks the server for a slot, PUTs the
 * bytes and, once the server's scanner found them clean (the PUT answers 201), sends the URL
 * as a message with XEP-0066 x:oob (`ChatMessage.file`). It rejects with an `UploadError`
 * (`file-too-large` with `maxFileSize`, `quota`, `type-refused`, `infected`, `not-scanned`,
 * `scanner-unavailable`, ...) whose `reason` is the server's text, and then nothing is sent.
 * The PUT itself is the host's: `put` defaults to `fetch`, which cannot report upload progress,
 * so a browser passes an XMLHttpRequest-based one and Node one that trusts its CA:
 *
 * ```ts
 * await client.upload("bob@chat.example.org", { name: f.name, size: f.size, type: f.type, body: f }, {
 *   put: xhrPut, onProgress: (sent, total) => show(sent / total),
 * });
 * ```
 *
 * Accounts: `registerAccount({ service, domain, username, password, preauth })` registers
 * in-band (XEP-0077), with an invite token (XEP-0445) when given; then log in as usual.
 * `policySummary()` lists the organisation's rules that apply to us (urn:hato:policy:0).
 *
 * End-to-end encryption: give `omemo: new MemoryOmemoStore()` (or a persistent OmemoStore) in
 * the options and the client creates and publishes OMEMO keys (XEP-0384 0.3.0, the
 * eu.siacs.conversations.axolotl namespace) when it connects; `sendEncrypted(peer, text)`
 * encrypts to the peer's and our other devices; incoming messages carry `encryption`
 * ("omemo", "none", or "failed" with `problem`, plus a `cannotDecrypt` event).
 * Files in encrypted chats (XEP-0454): `sendEncryptedFile(peer, { name, type, body }, { put })`
 * encrypts with AES-256-GCM, uploads the ciphertext and sends the `aesgcm://` link in an OMEMO
 * message (handing the key to the organisation's scanner first when it requires scanning);
 * received links arrive as `message.encryptedFile`, and `downloadEncryptedFile(link)` fetches,
 * checks and decrypts them (`DownloadError` otherwise).
 * The archive holds only ciphertext, so the client keeps the texts it decrypted and sent in a
 * `HistoryStore` (`history: new MemoryHistoryStore()` or a persistent one) and `history()`
 * pages take them from there; one it does not have comes with `unavailable` and a reason.
 * See docs/e2ee.md.
 *
 * Events: `message` fires for every new message, including the one `send()` returns and
 * our own messages sent from another device (carbons); `updated` fires when a message's
 * state (pending → sent → delivered → displayed) or its body (a correction) changes.
 * Objects handed out are copies: match messages by `peer` and `id`.
 */
export { fromBase64, toBase64 } from "./base64.js";
export { CAPS_NODE, capsHash, type Identity, SDK_VERSION, verificationString } from "./caps.js";
export { HatoClient, type UploadFile, type UploadOptions } from "./client.js";
export {
  DEFAULT_MAX_DOWNLOAD,
  type DecryptedFile,
  DownloadError,
  type DownloadErrorCode,
  type DownloadOptions,
} from "./encrypted-files/download.js";
export {
  fetchHttp,
  type HttpFunction,
  type HttpRequest,
  type HttpResponse,
} from "./encrypted-files/http.js";
export {
  type AesgcmLink,
  encryptedFileOf,
  formatAesgcmLink,
  parseAesgcmLink,
} from "./encrypted-files/link.js";
export { HandoffError, NS_SCAN, type ScanVerdict } from "./encrypted-files/scan.js";
export type {
  EncryptedUploadFile,
  EncryptedUploadOptions,
} from "./encrypted-files/send.js";
export { ENCRYPTED_BEFORE_DEVICE, ENCRYPTED_HISTORY, type HistoryPage } from "./history.js";
export {
  KeyLog,
  KeyLogError,
  type KeyLogProblem,
  type KeyLogRequest,
  type LoggedKey,
  NS_KEYLOG,
} from "./keylog/client.js";
export {
  canonicalLeaf,
  headMessage,
  identityKeyHash,
  type KeyLeaf,
  leafHashOf,
  type SignedHead,
} from "./keylog/leaf.js";
export * as merkle from "./keylog/merkle.js";
export {
  type ContactCheck,
  type DeviceCheck,
  type DeviceKey,
  type KeyLogMemory,
  type KeyLogPorts,
  type KeyLogState,
  type KeyLogWatchEvents,
  KeyLogWatcher,
  type LogStatus,
  type OwnAlert,
  type WatchOptions,
  type WatchProblem,
} from "./keylog/watch.js";
export {
  type HistoryRecord,
  type HistoryStore,
  LOCAL_HISTORY_LIMITS,
  MemoryHistoryStore,
} from "./local-history.js";
export {
  comparisonCode,
  fingerprintHex,
  formatFingerprint,
  parseVerificationUri,
  URI_LIMITS,
  VerificationError,
  verificationUri,
} from "./omemo/fingerprint.js";
export { FALLBACK_BODY, OmemoError } from "./omemo/omemo.js";
export {
  type KeyPair,
  MemoryOmemoStore,
  type OmemoStore,
  type OwnDevice,
  type RemoteIdentity,
  type RetiredSignedPreKey,
  type SignedPreKey,
  type Trust,
} from "./omemo/store.js";
export { DEFAULT_TIMING as OMEMO_DEFAULT_TIMING, type OmemoTiming } from "./omemo/timing.js";
export type {
  DeviceFingerprint,
  KeyChangeInfo,
  NewDeviceInfo,
  TrustSpace,
  UriVerified,
} from "./omemo/verify.js";
export type { RawPair } from "./omemo2/crypto.js";
export {
  MemoryOmemo2Store,
  type Omemo2Own,
  type Omemo2Session,
  type Omemo2Store,
} from "./omemo2/store.js";
export type { PolicyLine } from "./policy.js";
export {
  inviteToken,
  type RegisterOptions,
  RegistrationError,
  registerAccount,
} from "./register.js";
export { type ScramClient, type ScramHash, scramClient } from "./scram.js";
export type {
  ChatMessage,
  ChatState,
  ClientEvents,
  ClientOptions,
  Contact,
  EncryptedFileInfo,
  FileInfo,
  Show,
  Status,
  WebSocketLike,
} from "./types.js";
export {
  fetchPut,
  type PutFunction,
  type PutResult,
  type Slot,
  UploadError,
  type UploadErrorCode,
  type UploadService,
} from "./upload.js";
