// HatoClient: the SDK's public face (XMPP 1:1 chat client over RFC 7395 WebSocket).

import type { ChatMessage, ClientEvents, ClientOptions, Contact, Show, Status } from "./types.js";

const notYet = (): never => {
  throw new Error("not yet");
};

/** An XMPP client for one account: roster, presence, 1:1 chat, history, avatars. */
export class HatoClient {
  readonly jid: string;
  status: Status = "disconnected";

  constructor(opts: ClientOptions) {
    this.jid = opts.jid;
  }

  /** The roster with presence and avatars. */
  contacts(): Contact[] {
    return [];
  }

  /** Bare JIDs that asked to subscribe to our presence and await an answer. */
  pendingRequests(): string[] {
    return [];
  }

  /** Subscribes to an event; returns the unsubscribe function. */
  on<K extends keyof ClientEvents>(_ev: K, _fn: ClientEvents[K]): () => void {
    return () => {};
  }

  /** Connects and logs in; resolves when online, rejects on auth failure. */
  connect(): Promise<void> {
    return Promise.reject(new Error("not yet"));
  }

  /** Closes the stream and stops reconnecting. */
  disconnect(): Promise<void> {
    return Promise.resolve();
  }

  /** Sends our presence (default available). */
  setPresence(_show?: Show, _statusText?: string): void {
    notYet();
  }

  /** Sends a chat message requesting a 0184 receipt and 0333 markers. */
  send(_peer: string, _body: string): ChatMessage {
    return notYet();
  }

  /** XEP-0308: corrects our last message `id` to `peer`. */
  correct(_peer: string, _id: string, _body: string): void {
    notYet();
  }

  /** XEP-0085: sends a standalone chat state. */
  chatState(_peer: string, _state: "active" | "composing" | "paused" | "inactive"): void {
    notYet();
  }

  /** XEP-0333: marks the peer's message `id` as displayed. */
  markDisplayed(_peer: string, _id: string): void {
    notYet();
  }

  /** Adds to the roster and sends a subscription request. */
  addContact(_jid: string, _name?: string): Promise<void> {
    return Promise.reject(new Error("not yet"));
  }

  /** Approves a subscription request (and subscribes back if not already). */
  approve(_jid: string): void {
    notYet();
  }

  /** Denies a subscription request. */
  deny(_jid: string): void {
    notYet();
  }

  /** Removes the contact from the roster (cancelling subscriptions). */
  removeContact(_jid: string): Promise<void> {
    return Promise.reject(new Error("not yet"));
  }

  /** XEP-0313: one page of history with `peer`, newest page first; `before` = archiveId. */
  history(
    _peer: string,
    _opts?: { before?: string; max?: number },
  ): Promise<{ messages: ChatMessage[]; complete: boolean }> {
    return Promise.reject(new Error("not yet"));
  }
}
