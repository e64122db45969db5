// The client's view state over one HatoClient: contacts, conversations, unread counts, typing.
// DOM-free; the Preact views subscribe to it and re-render on each change.
import {
  type ChatMessage,
  type Contact,
  type HatoClient,
  OmemoError,
  type PolicyLine,
  type PutFunction,
  type Status,
  UploadError,
  type UploadFile,
} from "@hato/sdk";
import { E2ee } from "./e2ee.js";
import { TrustState } from "./trust.js";

/**
 * A file we are sharing, as the sender sees it: uploading (bytes going out), scanning (all
 * sent, the server's scanner has not answered), clean (the server released it and the
 * message went out), blocked (the scanner refused it: never sent) or failed.
 */
export interface Upload {
  key: string;
  peer: string;
  name: string;
  size: number;
  type: string;
  time: Date;
  state: "uploading" | "scanning" | "clean" | "blocked" | "failed";
  /** Bytes sent so far. */
  sent: number;
  /** Blocked or failed: the server's words. */
  reason?: string;
  /** Clean: the id of the message that shared it. */
  messageId?: string;
  /** The bytes (a File): the sender's own preview once the server found them clean. */
  body: unknown;
  /** Sent end-to-end encrypted (XEP-0454): the server stores ciphertext only. */
  encrypted: boolean;
  /**
   * Sent: whether a scanner looked at the file's content. A plain upload is always scanned; an
   * encrypted one only when the organisation requires it (the key was handed off).
   */
  scanned?: "clean" | "not-scanned";
}

/** One conversation as the views show it, oldest message first. */
export interface Conversation {
  messages: ChatMessage[];
  /** The archive has no older page. */
  complete: boolean;
  /** The archive id of the oldest message loaded from the archive: the next page ends there. */
  cursor?: string;
  /** The newest archive page was asked for (live messages alone may skip some). */
  started: boolean;
  loading: boolean;
  /** The peer's last chat state was "composing". */
  typing: boolean;
  unread: number;
  /** The id of the newest incoming message we sent a displayed marker for. */
  markedId?: string;
  /** Files we shared in this session, oldest first. */
  uploads: Upload[];
}

/** Messages per archive page (the SDK tops a page up past receipts and markers). */
const PAGE = 50;

/** Holds what the UI shows and turns SDK events into changes of it. */
export class ChatStore {
  status: Status;
  statusDetail = "";
  contacts: Contact[] = [];
  requests: string[] = [];
  errors: string[] = [];
  /** The organisation's rules for us (urn:hato:policy:0); undefined until the server answered. */
  policy: PolicyLine[] | undefined;
  /** The open chat's peer (bare JID), if any. */
  active: string | undefined;
  /** Our own message being corrected in the composer (XEP-0308), if any. */
  editing: ChatMessage | undefined;
  /** The page is visible (document.visibilityState), maintained by the view. */
  visible = true;
  private readonly chats = new Map<string, Conversation>();
  private readonly approving = new Set<string>();
  private uploadCount = 0;
  private readonly listeners = new Set<() => void>();
  private readonly unsubscribe: (() => void)[] = [];
  /** Called for incoming live messages (desktop notifications). */
  onIncoming: ((m: ChatMessage) => void) | undefined;
  /** End-to-end encryption per conversation; sending goes through it. */
  readonly e2ee: E2ee = new E2ee(this);
  /** Contacts' devices: the Security panel and the chat's key-change and new-device notices. */
  readonly trust: TrustState = new TrustState(this);

  constructor(readonly client: HatoClient) {
    this.status = client.status;
    this.contacts = client.contacts();
    this.requests = client.pendingRequests();
    this.unsubscribe.push(
      ...this.trust.listen(),
      client.on("status", (s, detail) => {
        this.status = s;
        this.statusDetail = detail ?? "";
        // Asked again on every (re)connection: the policy may have changed while we were away.
        if (s === "online") this.loadPolicy();
        this.changed();
      }),
      client.on("policy", (lines) => {
        this.policy = lines;
        this.changed();
      }),
      client.on("contacts", (all) => {
        this.contacts = all;
        this.settleRequests();
      }),
      client.on("subscriptionRequest", () => this.settleRequests()),
      client.on("message", (m) => this.onMessage(m)),
      client.on("updated", (m) => {
        this.upsert(m);
        this.changed();
      }),
      client.on("chatState", (peer, state) => {
        this.chat(peer).typing = state === "composing";
        this.changed();
      }),
      client.on("error", (text) => this.error(text)),
    );
  }

  /** Shows an error in the error bar (the last five are kept). */
  error(text: string): void {
    this.errors = [...this.errors.slice(-4), text];
    this.changed();
  }

  /** Asks the server for our policy summary; a server without one leaves the panel away. */
  loadPolicy(): void {
    this.client.policySummary().then(
      (lines) => {
        this.policy = lines;
        this.changed();
      },
      () => undefined,
    );
  }

  /**
   * Approves requests from people we asked to subscribe to (adding each other is one gesture
   * per side); everyone else's request waits for Approve or Deny.
   */
  private settleRequests(): void {
    for (const jid of this.client.pendingRequests()) {
      const c = this.contacts.find((x) => x.jid === jid);
      const weAsked = c !== undefined && (c.pendingOut || c.subscription === "to");
      if (weAsked && !this.approving.has(jid)) {
        this.approving.add(jid);
        this.client.approve(jid);
        this.approving.delete(jid);
      }
    }
    this.requests = this.client.pendingRequests();
    this.changed();
  }

  /** Registers a change listener; returns its removal. */
  subscribe(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Stops listening to the client. */
  dispose(): void {
    for (const off of this.unsubscribe) off();
    this.listeners.clear();
  }

  /** The conversation with `peer`, created empty on first use. */
  chat(peer: string): Conversation {
    let c = this.chats.get(peer);
    if (c === undefined) {
      c = {
        messages: [],
        complete: false,
        started: false,
        loading: false,
        typing: false,
        unread: 0,
        uploads: [],
      };
      this.chats.set(peer, c);
    }
    return c;
  }

  /** Opens (or closes, with undefined) a chat. */
  open(peer: string | undefined): void {
    this.active = peer;
    this.editing = undefined;
    if (peer !== undefined && !this.chat(peer).started) void this.loadOlder(peer);
    this.changed();
  }

  /** Puts our message `m` in the composer for correction. */
  startEdit(m: ChatMessage): void {
    this.editing = m;
    this.changed();
  }

  /** Leaves correction mode. */
  stopEdit(): void {
    this.editing = undefined;
    this.changed();
  }

  /** Our newest message to `peer`, the only one a correction may replace. */
  lastOwn(peer: string): ChatMessage | undefined {
    return this.chat(peer).messages.findLast((m) => m.outgoing && m.unavailable === undefined);
  }

  /** Loads the archive page before the oldest message we have. */
  async loadOlder(peer: string): Promise<void> {
    const c = this.chat(peer);
    if (c.loading || c.complete) return;
    c.loading = true;
    c.started = true;
    this.changed();
    try {
      const before = c.cursor;
      const page = await this.client.history(peer, before ? { before, max: PAGE } : { max: PAGE });
      let oldest: ChatMessage | undefined;
      for (const m of page.messages) {
        this.upsert(m);
        if (m.archiveId !== undefined && (oldest === undefined || m.time < oldest.time)) oldest = m;
      }
      // The archive also holds markers, which make no message: page on from the SDK's `first`
      // (where the page started in the archive), else from the oldest message we got.
      const first = page.first ?? oldest?.archiveId;
      c.cursor = first ?? c.cursor;
      c.complete = page.complete || first === undefined;
    } catch (err) {
      this.errors = [...this.errors.slice(-4), `Could not load history: ${String(err)}`];
    } finally {
      c.loading = false;
      this.changed();
    }
  }

  /** Sends a displayed marker for the newest incoming message of `peer` and clears unread. */
  markRead(peer: string): void {
    const c = this.chat(peer);
    const last = c.messages.findLast((m) => !m.outgoing);
    const dirty = c.unread !== 0;
    c.unread = 0;
    if (last !== undefined && c.markedId !== last.id && this.status === "online") {
      c.markedId = last.id;
      this.client.markDisplayed(peer, last.id);
    }
    if (dirty) this.changed();
  }

  /**
   * Uploads a file and shares it with `peer`; its state shows in the conversation. `put` sends
   * the bytes (the browser's XMLHttpRequest, for progress).
   */
  async attach(peer: string, file: UploadFile, put: PutFunction): Promise<void> {
    // In an encrypted chat the file is encrypted too (an aesgcm:// link in an OMEMO message).
    const encrypted = !this.e2ee.plainFor(peer);
    const u: Upload = {
      key: `u${++this.uploadCount}`,
      peer,
      name: file.name,
      size: file.size,
      type: file.type,
      time: new Date(),
      state: "uploading",
      sent: 0,
      body: file.body,
      encrypted,
    };
    const c = this.chat(peer);
    c.uploads.push(u);
    this.changed();
    // A plain file's link goes out in plain text (marked so): never where plain text is
    // refused. (plainFor() is false then, so files go encrypted; this is the safety net.)
    if (!encrypted && this.e2ee.required) {
      u.state = "failed";
      u.reason =
        "your organisation requires end-to-end encryption, and this file's link would be sent unencrypted";
      this.changed();
      return;
    }
    let shown = -1;
    const onProgress = (sent: number, total: number) => {
      u.sent = Math.min(Math.floor((sent * u.size) / (total || 1)), u.size);
      if (sent >= total) u.state = "scanning";
      // A re-render per whole percent is plenty.
      const pct = u.state === "scanning" ? 101 : Math.floor((100 * sent) / (total || 1));
      if (pct !== shown) {
        shown = pct;
        this.changed();
      }
    };
    let handedOff = false;
    try {
      const m = encrypted
        ? await this.client.sendEncryptedFile(
            peer,
            { name: file.name, type: file.type, body: file.body as Blob },
            {
              put,
              onProgress,
              onHandoff: () => {
                handedOff = true;
                u.state = "scanning";
                this.changed();
              },
            },
          )
        : await this.client.upload(peer, file, { put, onProgress });
      u.state = "clean";
      u.sent = u.size;
      u.messageId = m.id;
      u.scanned = !encrypted || handedOff ? "clean" : "not-scanned";
    } catch (err) {
      const e = err instanceof UploadError ? err : undefined;
      u.state = e?.code === "infected" || e?.code === "not-scanned" ? "blocked" : "failed";
      u.reason = e?.reason ?? (err instanceof Error ? err.message : String(err));
      // Nobody to encrypt to: nothing was uploaded, and the file never goes in plain text.
      if (err instanceof OmemoError)
        u.reason = this.e2ee.required
          ? `your organisation requires end-to-end encryption, and the file cannot be encrypted for ${peer}: ${err.message}`
          : `the file cannot be encrypted for ${peer}: ${err.message}`;
    }
    this.changed();
  }

  /** Our upload that became message `id` to `peer`, if it was in this session. */
  uploadOf(peer: string, id: string): Upload | undefined {
    return this.chat(peer).uploads.find((u) => u.messageId === id);
  }

  /** Total unread messages over all chats (for the page title). */
  totalUnread(): number {
    let n = 0;
    for (const c of this.chats.values()) n += c.unread;
    return n;
  }

  private onMessage(m: ChatMessage): void {
    const c = this.chat(m.peer);
    this.upsert(m);
    this.e2ee.seen(m);
    if (!m.outgoing) {
      c.typing = false;
      if (this.active !== m.peer || !this.visible) c.unread += 1;
      this.onIncoming?.(m);
    }
    this.changed();
  }

  /** Adds a message or replaces the one with the same direction and id, keeping time order. */
  upsert(m: ChatMessage): void {
    const list = this.chat(m.peer).messages;
    const i = list.findIndex(
      (x) =>
        x.outgoing === m.outgoing &&
        (x.id === m.id || (m.archiveId !== undefined && x.archiveId === m.archiveId)),
    );
    if (i !== -1) {
      const old = list[i]!;
      // An archived copy whose text this device lacks never hides the text shown already.
      if (
        m.unavailable !== undefined &&
        old.unavailable === undefined &&
        old.encryption !== "failed"
      ) {
        if (old.archiveId === undefined && m.archiveId !== undefined)
          list[i] = { ...old, archiveId: m.archiveId };
        return;
      }
      const merged = { ...old, ...m, archiveId: m.archiveId ?? old.archiveId };
      if (m.unavailable === undefined) delete merged.unavailable; // read live after all
      if (m.file === undefined) delete merged.file; // corrected into text
      if (m.encryptedFile === undefined) delete merged.encryptedFile;
      if (m.problem === undefined) delete merged.problem; // decrypted after all
      list[i] = merged;
      return;
    }
    // Most messages are newer than all we have: walk from the end.
    let at = list.length;
    while (at > 0 && list[at - 1]!.time.getTime() > m.time.getTime()) at--;
    list.splice(at, 0, m);
  }

  /** Notifies the views (called after every change). */
  changed(): void {
    for (const fn of this.listeners) fn();
  }
}
