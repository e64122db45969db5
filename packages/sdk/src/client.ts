// HatoClient: the SDK's public face. One account over RFC 7395 WebSocket; the connection
// machinery is in connection.ts, each feature in its own file.

import { type Element, xml } from "@hato/xml";
import { Avatars } from "./avatars.js";
import {
  CAPS_NODE,
  capsElement,
  capsHash,
  discoInfo,
  FEATURES,
  IDENTITY,
  SDK_VERSION,
} from "./caps.js";
import { Chat } from "./chat.js";
import { Connection } from "./connection.js";
import { E2ee } from "./e2ee.js";
import { Emitter } from "./emitter.js";
import {
  type DecryptedFile,
  type DownloadOptions,
  downloadEncrypted,
} from "./encrypted-files/download.js";
import { type AesgcmLink, httpsOrigin } from "./encrypted-files/link.js";
import { ScanHandoff } from "./encrypted-files/scan.js";
import {
  type EncryptedUploadFile,
  type EncryptedUploadOptions,
  uploadEncrypted,
} from "./encrypted-files/send.js";
import { History, type HistoryPage } from "./history.js";
import { iqError, iqResult } from "./iq.js";
import { bare, domainOf } from "./jid.js";
import { KeyLog } from "./keylog/client.js";
import type { KeyLogState, KeyLogWatcher, WatchOptions } from "./keylog/watch.js";
import { watchClient } from "./keylog/watch-client.js";
import { NS_CARBONS, NS_DISCO_INFO, NS_HATO_POLICY, NS_PING, NS_ROSTER, NS_VERSION } from "./ns.js";
import { FALLBACK_BODY, type Omemo } from "./omemo/omemo.js";
import type { LazyOmemo2 } from "./omemo2/lazy.js";
import { type PolicyLine, policyLines } from "./policy.js";
import { Roster, rosterSet } from "./roster.js";
import { MessageStore } from "./store.js";
import type {
  ChatMessage,
  ChatState,
  ClientEvents,
  ClientOptions,
  Contact,
  FileInfo,
  Show,
  Status,
} from "./types.js";
import {
  checkPut,
  fetchPut,
  type PutFunction,
  type Slot,
  UploadError,
  type UploadService,
  Uploads,
} from "./upload.js";

/** A file to upload: its name, size in bytes, media type, and the bytes in the put function's form. */
export interface UploadFile {
  name: string;
  size: number;
  type: string;
  /** A Blob/File in browsers, a Uint8Array in Node: handed to the put function as is. */
  body: unknown;
}

/** How upload() sends the bytes and reports its progress. */
export interface UploadOptions {
  /** The HTTP PUT (default: fetch, which cannot report progress). */
  put?: PutFunction;
  /** Bytes sent so far; when sent equals total, the server is scanning the file. */
  onProgress?: (sent: number, total: number) => void;
  /** The slot, once the server granted it (before any byte is sent). */
  onSlot?: (slot: Slot) => void;
}

/** An XMPP client for one account: roster, presence, 1:1 chat, history, avatars. */
export class HatoClient {
  /** Our bare JID. */
  readonly jid: string;
  status: Status = "disconnected";

  private readonly events = new Emitter<ClientEvents>();
  private readonly conn: Connection;
  private readonly roster: Roster;
  private readonly store = new MessageStore();
  private readonly chat: Chat;
  private readonly archive: History;
  private readonly avatars: Avatars;
  private readonly uploads: Uploads;
  private readonly scan: ScanHandoff;
  private show: Show = "available";
  private statusText: string | undefined;
  private capsVer: string | undefined;
  /** What we answer to disco#info (and hash into caps). */
  private readonly features: readonly string[];
  private contactsScheduled = false;
  private readonly e2ee: E2ee;
  /** OMEMO, when the options gave it a store. */
  readonly omemo: Omemo | undefined;
  /** OMEMO 2 (urn:xmpp:omemo:2), when the options gave it a store. */
  readonly omemo2: LazyOmemo2 | undefined;

  constructor(opts: ClientOptions) {
    this.jid = bare(opts.jid);
    this.events.onError = (e) => this.events.emit("error", `an event listener threw: ${String(e)}`);
    this.conn = new Connection(opts, {
      status: (s, detail) => {
        this.status = s;
        this.e2ee.setOnline(s === "online");
        this.events.emit("status", s, detail);
      },
      setUp: () => this.setUp(),
      sessionLost: () => this.roster.clearPresence(),
      stanza: (el) => this.stanza(el),
      error: (text) => this.events.emit("error", text),
    });
    this.roster = new Roster(() => this.contactsChanged());
    this.chat = new Chat(
      {
        self: () => this.jid,
        send: (el, acked) => this.conn.write(el, acked),
        mayReceipt: (peer) => peer === this.jid || this.roster.has(peer),
        message: (m) => this.events.emit("message", m),
        updated: (m) => this.events.emit("updated", m),
        chatState: (peer, s) => this.events.emit("chatState", peer, s),
        error: (text) => this.events.emit("error", text),
      },
      this.store,
    );
    this.e2ee = new E2ee(
      {
        self: () => this.jid,
        request: (type, to, payload, direct) => this.conn.iq.request(type, to, payload, direct),
        write: (el) => this.conn.write(el),
        chat: this.chat,
        events: this.events,
      },
      opts,
    );
    this.omemo = this.e2ee.omemo;
    this.omemo2 = this.e2ee.omemo2;
    this.archive = new History(
      (q) => this.conn.iq.request("set", undefined, q),
      () => this.jid,
      this.store,
      {
        lookup: async (peer, outgoing, stanzaId, id) =>
          (await this.e2ee.local?.lookup(peer, outgoing, stanzaId, id))?.body,
        device: () => ({ id: this.omemo?.deviceId, created: this.omemo?.created }),
        settled: () => this.e2ee.settled(),
      },
    );
    this.avatars = new Avatars({
      self: () => this.jid,
      request: (type, to, payload) => this.conn.iq.request(type, to, payload),
      contact: (jid) => this.roster.get(jid),
      changed: () => this.contactsChanged(),
    });
    this.uploads = new Uploads(
      (type, to, payload) => this.conn.iq.request(type, to, payload),
      () => this.jid,
    );
    this.scan = new ScanHandoff(
      (type, to, payload) => this.conn.iq.request(type, to, payload),
      () => domainOf(this.jid),
      httpsOrigin(opts.service),
    );
    this.features = [...FEATURES, ...this.e2ee.features()];
  }

  /** The roster with presence and avatars. */
  contacts(): Contact[] {
    return this.roster.list();
  }

  /** Bare JIDs that asked to subscribe to our presence and await approve() or deny(). */
  pendingRequests(): string[] {
    return this.roster.pending();
  }

  /** Our own XEP-0084 avatar, once published or announced by our server. */
  ownAvatar(): Contact["avatar"] {
    return this.avatars.own;
  }

  /** Subscribes to an event; returns the unsubscribe function. */
  on<K extends keyof ClientEvents>(ev: K, fn: ClientEvents[K]): () => void {
    return this.events.on(ev, fn);
  }

  /**
   * Connects and logs in; resolves when online. Rejects when the first attempt fails (status
   * "auth-failed" for refused credentials, "disconnected" otherwise); later drops reconnect.
   */
  async connect(): Promise<void> {
    this.capsVer ??= await capsHash([IDENTITY], this.features);
    await this.conn.connect();
  }

  /** Ends the session (unavailable presence, stream close) and stops reconnecting. */
  disconnect(): Promise<void> {
    return this.conn.disconnect();
  }

  /** Sets and sends our presence; "offline" sends unavailable but stays connected. */
  setPresence(show: Show = "available", statusText?: string): void {
    this.show = show;
    this.statusText = statusText;
    if (this.conn.online) this.conn.write(this.presenceStanza());
  }

  /**
   * Sends a chat message requesting a XEP-0184 receipt and XEP-0333 markers ("pending" until
   * acked), in plain text (marked encryption "none" when OMEMO is on; see sendEncrypted()).
   */
  send(peer: string, body: string): ChatMessage {
    return this.chat.send(bare(peer), body, undefined, this.e2ee.on ? "plain" : undefined);
  }

  /**
   * OMEMO: sends `body` end-to-end encrypted to every trusted device of `peer` and our own
   * other devices (XEP-0384 0.3.0, or OMEMO 2 for a peer that has only that). Rejects with OmemoError, sending nothing, when OMEMO is
   * off or no device of `peer` can read it: it never falls back to plain text.
   */
  async sendEncrypted(peer: string, body: string): Promise<ChatMessage> {
    const elements = await this.e2ee.encryptFor(bare(peer), body);
    const sent = this.chat.send(bare(peer), body, undefined, { fallback: FALLBACK_BODY, elements });
    // Our own copy in the archive is ciphertext too: keep the text (its id is the origin-id).
    await this.e2ee.local?.keepSent(sent.peer, sent.id, body, sent.time.getTime());
    return sent;
  }

  /** XEP-0308: corrects our message `id` to `peer` (normally our last one), in plain text. */
  correct(peer: string, id: string, body: string): void {
    this.chat.correct(bare(peer), id, body, this.e2ee.on ? "plain" : undefined);
  }

  /**
   * XEP-0308 with OMEMO: the new text end-to-end encrypted (the <replace/> stays outside, as
   * Conversations sends it). Rejects with OmemoError, sending nothing, as sendEncrypted() does.
   */
  async correctEncrypted(peer: string, id: string, body: string): Promise<void> {
    const elements = await this.e2ee.encryptFor(bare(peer), body);
    const cid = this.chat.correct(bare(peer), id, body, { fallback: FALLBACK_BODY, elements });
    // Kept under the correction's own id: the archived correction finds its text by it.
    await this.e2ee.local?.keepSent(bare(peer), cid, body, Date.now());
  }

  /**
   * OMEMO: repairs the session with `peer` (one device, or all of them): drops it, builds a new
   * one from the peer's bundle and sends a key-transport message (no text), so that the peer's
   * device gets a fresh PreKey session. Rejects with OmemoError when no device can be reached.
   */
  repairOmemo(peer: string, device?: number): Promise<void> {
    return this.e2ee.repair(bare(peer), device);
  }

  /** XEP-0085: sends a standalone chat state notification. */
  chatState(peer: string, state: "active" | "composing" | "paused" | "inactive"): void {
    if (this.conn.online) this.chat.chatState(bare(peer), state as ChatState); // stale later
  }

  /** XEP-0333: tells `peer` we displayed its message `id`. */
  markDisplayed(peer: string, id: string): void {
    this.chat.markDisplayed(bare(peer), id);
  }

  /** Adds `jid` to the roster and asks to see its presence. */
  async addContact(jid: string, name?: string): Promise<void> {
    const b = bare(jid);
    await this.conn.iq.request("set", undefined, rosterSet(b, name ? { name } : {}));
    this.conn.write(xml("presence", { to: b, type: "subscribe" }));
  }

  /** Approves a subscription request, asking back when we do not see the contact yet. */
  approve(jid: string): void {
    const b = bare(jid);
    this.conn.write(xml("presence", { to: b, type: "subscribed" }));
    const c = this.roster.get(b);
    if (
      c === undefined ||
      ((c.subscription === "none" || c.subscription === "from") && !c.pendingOut)
    ) {
      this.conn.write(xml("presence", { to: b, type: "subscribe" }));
    }
    this.roster.dropRequest(b);
    this.contactsChanged();
  }

  /** Denies a subscription request. */
  deny(jid: string): void {
    const b = bare(jid);
    this.conn.write(xml("presence", { to: b, type: "unsubscribed" }));
    this.roster.dropRequest(b);
    this.contactsChanged();
  }

  /** Removes the contact from the roster (the server cancels both subscriptions). */
  async removeContact(jid: string): Promise<void> {
    await this.conn.iq.request("set", undefined, rosterSet(bare(jid), { remove: true }));
  }

  /**
   * XEP-0313: one page with `peer`, oldest first; without `before`, the newest page. Pass
   * `first` (or the oldest message's archiveId) as `before` for the page before it.
   */
  history(peer: string, opts?: { before?: string; max?: number }): Promise<HistoryPage> {
    return this.archive.page(bare(peer), opts);
  }

  /** XEP-0084: publishes our avatar (at most 256 KiB). */
  setAvatar(bytes: Uint8Array, type: string): Promise<void> {
    return this.avatars.publish(bytes, type);
  }

  // ---- files (XEP-0363, XEP-0066) ----

  /** The server's XEP-0363 upload service and its size limit; undefined when there is none. */
  uploadService(): Promise<UploadService | undefined> {
    return this.uploads.service();
  }

  /**
   * XEP-0363: asks for an upload slot. Rejects with UploadError: `file-too-large` (with
   * `maxFileSize`), `quota`, `type-refused`, `no-service`, ... and the server's text in `reason`.
   */
  requestSlot(name: string, size: number, type: string): Promise<Slot> {
    return this.uploads.requestSlot(name, size, type);
  }

  /**
   * Shares an uploaded file's URL: the body is the URL, with XEP-0066 x:oob (as Conversations
   * and Dino send it). In plain text: marked encryption "none" when OMEMO is on.
   */
  sendFile(peer: string, url: string, meta: Omit<FileInfo, "url"> = {}): ChatMessage {
    return this.chat.send(bare(peer), url, { ...meta, url }, this.e2ee.on ? "plain" : undefined);
  }

  /**
   * Uploads a file and shares it with `peer`: slot, PUT (the server answers only once its
   * scanner found the file clean), then the message. Rejects with UploadError when the slot is
   * refused or the PUT is (`infected` and `not-scanned` with the scanner's reason,
   * `scanner-unavailable`); nothing is sent to `peer` then.
   */
  async upload(peer: string, file: UploadFile, opts: UploadOptions = {}): Promise<ChatMessage> {
    const slot = await this.requestSlot(file.name, file.size, file.type);
    opts.onSlot?.(slot);
    const headers: Record<string, string> = { ...slot.headers };
    if (file.type !== "") headers["Content-Type"] = file.type;
    let res: Awaited<ReturnType<PutFunction>>;
    try {
      res = await (opts.put ?? fetchPut)(slot.put, file.body, headers, opts.onProgress);
    } catch (err) {
      throw new UploadError("failed", `the upload did not reach the server (${String(err)})`);
    }
    checkPut(res);
    return this.sendFile(peer, slot.get, { name: file.name, size: file.size, type: file.type });
  }

  /**
   * XEP-0454: encrypts `file` (AES-256-GCM, fresh key and IV), uploads the ciphertext and sends
   * its aesgcm:// link in an OMEMO message. When our organisation requires scanning, the key
   * goes to its scanner first and the message only when the verdict is clean. Rejects with
   * UploadError (`infected`, `not-scanned`, `scanner-unavailable`, the slot's and PUT's
   * errors) or OmemoError (nobody to encrypt to), and then nothing is sent to `peer`.
   */
  async sendEncryptedFile(
    peer: string,
    file: EncryptedUploadFile,
    opts: EncryptedUploadOptions = {},
  ): Promise<ChatMessage> {
    // Checked before anything is uploaded.
    if (!this.e2ee.on) throw new Error("OMEMO is off: the client has no omemo store");
    const to = bare(peer);
    let elements: Element[] = [];
    const up = await uploadEncrypted(
      { requestSlot: (n, size, type) => this.requestSlot(n, size, type), scan: this.scan },
      file,
      opts,
      async (link) => {
        elements = await this.e2ee.encryptFor(to, link);
      },
    );
    return this.chat.send(
      to,
      up.link,
      undefined,
      { fallback: FALLBACK_BODY, elements },
      {
        link: up.link,
        url: up.url,
        name: file.name,
        size: up.size,
        ...(file.type !== "" ? { type: file.type } : {}),
      },
    );
  }

  /**
   * XEP-0454: fetches and decrypts the file of an aesgcm:// link (its GCM tag verified), at
   * most `maxBytes`. When our organisation requires scanning, only a file its scanner found
   * clean (these bytes, this key) is accepted. Rejects with DownloadError.
   */
  downloadEncryptedFile(
    link: string | AesgcmLink,
    opts: DownloadOptions = {},
  ): Promise<DecryptedFile> {
    return downloadEncrypted({ scan: this.scan }, link, opts);
  }

  // ---- session ----

  private contactsChanged(): void {
    if (this.contactsScheduled) return;
    this.contactsScheduled = true;
    void Promise.resolve().then(() => {
      this.contactsScheduled = false;
      this.events.emit("contacts", this.roster.list());
    });
  }

  /** A new session: carbons, the roster, then our presence. */
  private async setUp(): Promise<void> {
    this.uploads.reset();
    this.scan.reset();
    await this.conn.iq
      .request("set", undefined, xml("enable", { xmlns: NS_CARBONS }), true)
      .catch(() => undefined);
    const roster = await this.conn.iq.request(
      "get",
      undefined,
      xml("query", { xmlns: NS_ROSTER }),
      true,
    );
    this.roster.load(roster.getChild("query", NS_ROSTER));
    this.conn.direct(this.presenceStanza());
    // The server handles a stream's stanzas in order: once this ping is answered, our presence
    // is in place (carbons and presence reach us), so "online" means ready.
    const ping = xml("ping", { xmlns: NS_PING });
    await this.conn.iq.request("get", domainOf(this.jid), ping, true).catch(() => undefined);
    await this.e2ee.start();
  }

  private presenceStanza(): Element {
    if (this.show === "offline") return xml("presence", { type: "unavailable" });
    const show = this.show === "available" ? undefined : this.show;
    return xml(
      "presence",
      null,
      show && xml("show", null, show),
      this.statusText && xml("status", null, this.statusText),
      this.capsVer && capsElement(this.capsVer),
    );
  }

  // ---- receiving ----

  private stanza(el: Element): void {
    if (el.name === "iq") this.onIq(el);
    else if (el.name === "presence") this.onPresence(el);
    else this.onMessage(el);
  }

  /**
   * Key transparency over our server's log (urn:hato:keylog:0, docs/key-transparency.md):
   * verified heads, contacts' logged device keys, consistency with the last head we saw.
   */
  keylog(): KeyLog {
    return new KeyLog(async (payload) => {
      const res = await this.conn.iq.request("get", domainOf(this.jid), payload);
      return res.elements()[0];
    });
  }

  /**
   * Automatic key-log checks (keylog/watch.ts): the log's growth, contacts' keys, and alerts for
   * keys on our own address this device did not create. Starts when the client is online;
   * `state` keeps the last verified head and the keys the user acknowledged.
   */
  watchKeyLog(state: KeyLogState, opts?: WatchOptions): KeyLogWatcher {
    return watchClient(
      this,
      (type, to, payload) => this.conn.iq.request(type, to, payload),
      state,
      opts,
    );
  }

  /**
   * The organisation's rules that apply to us (urn:hato:policy:0, a Hato extension). After
   * asking once, the `policy` event brings the new lines when the server's policy changes.
   */
  async policySummary(): Promise<PolicyLine[]> {
    const res = await this.conn.iq.request(
      "get",
      domainOf(this.jid),
      xml("query", { xmlns: NS_HATO_POLICY }),
    );
    return policyLines(res.getChild("query", NS_HATO_POLICY));
  }

  private onIq(iq: Element): void {
    const reply = this.answer(iq);
    if (reply !== undefined) this.conn.direct(reply);
  }

  /** The answer to an IQ request; undefined for results and errors, which are never answered. */
  private answer(iq: Element): Element | undefined {
    const type = iq.attr("type");
    if (type !== "get" && type !== "set") return undefined;
    const from = iq.attr("from");
    const payload = iq.elements()[0];
    if (type === "set" && payload?.name === "query" && payload.xmlns === NS_ROSTER) {
      // RFC 6121 §2.1.6: a roster push counts only from our own account.
      if (from !== undefined && bare(from) !== this.jid)
        return iqError(iq, "cancel", "service-unavailable");
      this.roster.push(payload);
      return iqResult(iq);
    }
    if (type === "set" && payload?.name === "query" && payload.xmlns === NS_HATO_POLICY) {
      // Only our own server speaks for our organisation.
      if (from !== domainOf(this.jid)) return iqError(iq, "cancel", "service-unavailable");
      this.scan.reset(); // the token's answer says whether scanning is required: ask again
      this.events.emit("policy", policyLines(payload));
      return iqResult(iq);
    }
    if (type === "get" && payload?.name === "ping" && payload.xmlns === NS_PING)
      return iqResult(iq);
    // XEP-0092, for our own server only (it shows admins which client software a session
    // runs, and enforces an organisation's allowed clients); other askers learn nothing, so
    // the feature is not advertised. No operating system: the server has no need for it.
    if (
      type === "get" &&
      payload?.name === "query" &&
      payload.xmlns === NS_VERSION &&
      from === domainOf(this.jid)
    )
      return iqResult(
        iq,
        xml(
          "query",
          { xmlns: NS_VERSION },
          xml("name", {}, IDENTITY.name ?? "Hato"),
          xml("version", {}, SDK_VERSION),
        ),
      );
    if (type === "get" && payload?.name === "query" && payload.xmlns === NS_DISCO_INFO) {
      const node = payload.attr("node");
      if (node !== undefined && node !== `${CAPS_NODE}#${this.capsVer}`)
        return iqError(iq, "cancel", "item-not-found");
      return iqResult(iq, discoInfo(node, this.features));
    }
    return iqError(iq, "cancel", "service-unavailable");
  }

  private onPresence(p: Element): void {
    const type = p.attr("type");
    const handled = this.roster.presence(p, this.jid);
    if (handled && type === "subscribe")
      this.events.emit("subscriptionRequest", bare(p.attr("from")!));
    // pendingRequests() may have changed: listeners of "contacts" read it again.
    if (handled && type?.endsWith("subscribe")) this.contactsChanged();
    if (type === undefined) this.avatars.presence(p);
  }

  private onMessage(m: Element): void {
    if (this.archive.result(m)) return;
    if (this.avatars.event(m)) return;
    if (this.e2ee.on) this.e2ee.receive(m);
    else this.chat.stanza(m);
  }
}
