// The SDK's public data types: contacts, messages, options and events.

import type { HistoryStore } from "./local-history.js";
import type { OmemoStore } from "./omemo/store.js";
import type { OmemoTiming } from "./omemo/timing.js";
import type { KeyChangeInfo, NewDeviceInfo } from "./omemo/verify.js";
import type { Omemo2Store } from "./omemo2/store.js";
import type { PolicyLine } from "./policy.js";
/** A contact's best presence; "offline" when no resource is available. */
export type Show = "chat" | "available" | "away" | "xa" | "dnd" | "offline";

/** The client's connection status. */
export type Status = "disconnected" | "connecting" | "online" | "reconnecting" | "auth-failed";

/** XEP-0085 chat states a peer can be in. */
export type ChatState = "active" | "composing" | "paused" | "inactive" | "gone";

/** A roster entry with its presence and avatar. */
export interface Contact {
  /** Bare JID. */
  jid: string;
  /** Roster name. */
  name?: string;
  subscription: "none" | "to" | "from" | "both";
  /** ask='subscribe': we asked and the contact has not answered yet. */
  pendingOut: boolean;
  groups: string[];
  /** Best presence over resources; "offline" when none. */
  show: Show;
  statusText?: string;
  /** XEP-0084 (or XEP-0153 vCard) avatar, its SHA-1 verified. */
  avatar?: { type: string; bytes: Uint8Array; hash: string };
}

/** A 1:1 chat message. */
export interface ChatMessage {
  /** The sender's stanza id (origin-id/id), used by 0184/0333/0308. */
  id: string;
  /** XEP-0359 stanza-id by our server (MAM paging). */
  archiveId?: string;
  /** Bare JID of the other side of the 1:1 chat. */
  peer: string;
  outgoing: boolean;
  /** Plain text, never markup. */
  body: string;
  time: Date;
  /** Replaced by a XEP-0308 correction from the original sender. */
  corrected?: boolean;
  /** Outgoing only (SM ack, 0184, 0333). */
  state?: "pending" | "sent" | "delivered" | "displayed";
  /** A shared file (XEP-0363 upload, XEP-0066 x:oob): the body is exactly its URL. */
  file?: FileInfo;
  /**
   * An end-to-end encrypted file (XEP-0454): the decrypted body is exactly its aesgcm:// link.
   * Only in messages with encryption "omemo"; fetch it with downloadEncryptedFile().
   */
  encryptedFile?: EncryptedFileInfo;
  /**
   * Set when the client has OMEMO on: "omemo" (end-to-end encrypted), "none" (it arrived
   * or was sent in plain text), "failed" (it could not be decrypted: the body is empty and
   * `problem` says why; the sender's fallback text is never shown as the message).
   */
  encryption?: "omemo" | "none" | "failed";
  /** Why an encrypted message could not be decrypted. */
  problem?: string;
  /**
   * History only: an archived encrypted message whose text this device does not have
   * (`problem` says it in words). "before-device": it was encrypted before this device's
   * OMEMO keys were created, so this device never could read it; "not-kept": this device
   * did not keep its text (docs/e2ee.md, local history).
   */
  unavailable?: "before-device" | "not-kept";
}

/**
 * A file shared by URL. On the sender's side name, size and type are what was uploaded; on the
 * receiver's side the name comes from the URL and the type is guessed from its extension (the
 * wire carries only the URL, as Conversations and Dino send it): neither is to be trusted.
 */
export interface FileInfo {
  url: string;
  name?: string;
  size?: number;
  type?: string;
}

/**
 * An encrypted file shared by an aesgcm:// link. `link` holds the key: never show or log it.
 * On the sender's side name, size and type are the file's; on the receiver's side the name
 * comes from the URL (random when Hato's web client sent it) and is not to be trusted.
 */
export interface EncryptedFileInfo {
  link: string;
  /** The https URL of the ciphertext. */
  url: string;
  name?: string;
  /** Plaintext bytes, when known (the sender's side). */
  size?: number;
  type?: string;
}

/**
 * The minimal WebSocket surface the SDK uses (browsers' WebSocket and `ws` both fit). The
 * handlers take `any` so that both implementations' own event types are assignable.
 */
export interface WebSocketLike {
  readonly protocol: string;
  readonly readyState: number;
  // biome-ignore lint/suspicious/noExplicitAny: each implementation has its own event types
  onopen: ((ev: any) => void) | null;
  // biome-ignore lint/suspicious/noExplicitAny: as above
  onclose: ((ev: any) => void) | null;
  // biome-ignore lint/suspicious/noExplicitAny: as above
  onerror: ((ev: any) => void) | null;
  // biome-ignore lint/suspicious/noExplicitAny: as above
  onmessage: ((ev: any) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

/** How to reach and log in to the server. */
export interface ClientOptions {
  /** wss://host:port/xmpp-websocket */
  service: string;
  /** Bare JID. */
  jid: string;
  password: string;
  resource?: string;
  /** The WebSocket constructor; defaults to globalThis.WebSocket. */
  WebSocket?: new (
    url: string,
    protocols?: string | string[],
  ) => WebSocketLike;
  /** Default true: resume (XEP-0198) after a drop, with backoff. */
  reconnect?: boolean;
  /**
   * OMEMO (XEP-0384 0.3.0, eu.siacs.conversations.axolotl): where this device keeps its keys
   * and sessions. With it, the client creates and publishes keys when it connects,
   * `sendEncrypted()` works and incoming encrypted messages are decrypted.
   */
  omemo?: OmemoStore;
  /**
   * With OMEMO: where this device keeps the text of the messages it decrypted or sent
   * encrypted (the archive holds only ciphertext). Default: in memory, gone with the client.
   */
  history?: HistoryStore;
  /**
   * OMEMO 2 (XEP-0384 0.8+, urn:xmpp:omemo:2) beside the legacy namespace: its keys and
   * sessions. `sendEncrypted()` uses it for a peer that has OMEMO 2 devices but no legacy one.
   */
  omemo2?: Omemo2Store;
  /** Seconds of silence before asking the server for a sign of life (default 30); a second silent period means the connection is dead. */
  keepaliveSeconds?: number;
  /** OMEMO's periods (signed pre-key rotation, device list freshness); defaults in omemo/timing.ts. */
  omemoTiming?: Partial<OmemoTiming>;
}

/** Events a HatoClient emits. */
export interface ClientEvents {
  status: (s: Status, detail?: string) => void;
  /** Any roster/presence/avatar change. */
  contacts: (all: Contact[]) => void;
  /** New live message (incoming or carbon/own). */
  message: (m: ChatMessage) => void;
  /** Correction, receipt, marker, ack changed it. */
  updated: (m: ChatMessage) => void;
  chatState: (peer: string, state: ChatState) => void;
  /** Incoming presence type=subscribe. */
  subscriptionRequest: (from: string) => void;
  error: (text: string) => void;
  /** An encrypted message could not be decrypted (also delivered as a message with encryption "failed"). */
  cannotDecrypt: (peer: string, reason: string, id?: string) => void;
  /** OMEMO: a device of `jid` we had not seen (trusted blindly or not, by the rule in docs/e2ee.md). */
  omemoNewDevice: (jid: string, device: number, info: NewDeviceInfo) => void;
  /** OMEMO: a known device of `jid` presented another identity key; refused until `omemo.acceptNewKey()`. */
  omemoKeyChanged: (jid: string, info: KeyChangeInfo) => void;
  /** The server pushed a new policy summary (after its policy was reloaded). */
  policy: (lines: PolicyLine[]) => void;
  /** A PEP notification brought a new OMEMO device list of `jid` (bare; ours included), either namespace. */
  omemoDevices: (jid: string) => void;
}
