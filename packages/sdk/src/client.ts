// HatoClient: the SDK's public face. One account over RFC 7395 WebSocket: login, stream
// management with resumption and reconnection, and the features in their own files.

import { type Element, xml } from "@hato/xml";
import { Avatars } from "./avatars.js";
import { CAPS_NODE, capsElement, capsHash, discoInfo, FEATURES, IDENTITY } from "./caps.js";
import { Chat } from "./chat.js";
import { Emitter } from "./emitter.js";
import { History } from "./history.js";
import { IqCaller, iqError, iqResult } from "./iq.js";
import { bare, domainOf, localOf } from "./jid.js";
import {
  NS_CARBONS,
  NS_CLIENT,
  NS_DISCO_INFO,
  NS_FRAMING,
  NS_PING,
  NS_ROSTER,
  NS_SM,
  NS_STREAM,
} from "./ns.js";
import { after, cancel, sleep, type Timer } from "./platform.js";
import { Roster, rosterSet } from "./roster.js";
import { AuthError, type Link, negotiate, StreamError, streamError } from "./session.js";
import { StreamManagement, type Unacked } from "./sm.js";
import { MessageStore } from "./store.js";
import { Transport, type WebSocketCtor } from "./transport.js";
import type {
  ChatMessage,
  ChatState,
  ClientEvents,
  ClientOptions,
  Contact,
  Show,
  Status,
} from "./types.js";

/** Caps and timings of the connection machinery. */
export const CLIENT_LIMITS = {
  unacked: 1000,
  waiting: 500,
  inbox: 64,
  pendingIqs: 256,
  iqTimeoutMs: 30_000,
  stepTimeoutMs: 30_000,
  backoffFirstMs: 500,
  backoffMaxMs: 15_000,
};

const STANZAS = new Set(["message", "presence", "iq"]);

/** An XMPP client for one account: roster, presence, 1:1 chat, history, avatars. */
export class HatoClient {
  /** Our bare JID. */
  readonly jid: string;
  status: Status = "disconnected";

  private readonly opts: ClientOptions;
  private readonly WS: WebSocketCtor;
  private readonly events = new Emitter<ClientEvents>();
  private readonly sm = new StreamManagement(CLIENT_LIMITS.unacked);
  private readonly iq: IqCaller;
  private readonly roster: Roster;
  private readonly store = new MessageStore();
  private readonly chat: Chat;
  private readonly archive: History;
  private readonly avatars: Avatars;

  private transport: Transport | undefined;
  /** True from the stream header until bind/resume: elements go to next(), not dispatch. */
  private negotiating = false;
  private inbox: Element[] = [];
  private waiter: { resolve(el: Element): void; reject(e: Error): void; timer: Timer } | undefined;
  private smWaiter: ((enabled: Element | undefined) => void) | undefined;
  /** True once the session is set up: stanzas go out; before, they wait in `waiting`. */
  private ready = false;
  private waiting: Unacked[] = [];
  private stopped = true;
  private reconnecting = false;
  private wake: (() => void) | undefined;
  private lastStreamError: StreamError | undefined;
  private show: Show = "available";
  private statusText: string | undefined;
  private capsVer: string | undefined;
  private ackScheduled = false;
  private contactsScheduled = false;
  private keepalive: Timer | undefined;

  constructor(opts: ClientOptions) {
    this.opts = opts;
    this.jid = bare(opts.jid);
    const ctor = opts.WebSocket ?? (globalThis as { WebSocket?: WebSocketCtor }).WebSocket;
    if (ctor === undefined) throw new Error("no WebSocket: pass ClientOptions.WebSocket");
    this.WS = ctor;
    this.events.onError = (e) => this.events.emit("error", `an event listener threw: ${String(e)}`);
    this.iq = new IqCaller(
      (el, direct) => (direct ? this.direct(el) : this.write(el)),
      () => this.jid,
      {
        max: CLIENT_LIMITS.pendingIqs,
        timeoutMs: CLIENT_LIMITS.iqTimeoutMs,
      },
    );
    this.roster = new Roster(() => this.contactsChanged());
    this.chat = new Chat(
      {
        self: () => this.jid,
        send: (el, acked) => this.write(el, acked),
        mayReceipt: (peer) => peer === this.jid || this.roster.has(peer),
        message: (m) => this.events.emit("message", m),
        updated: (m) => this.events.emit("updated", m),
        chatState: (peer, s) => this.events.emit("chatState", peer, s),
        error: (text) => this.events.emit("error", text),
      },
      this.store,
    );
    this.archive = new History(
      (q) => this.iq.request("set", undefined, q),
      () => this.jid,
      this.store,
    );
    this.avatars = new Avatars({
      self: () => this.jid,
      request: (type, to, payload) => this.iq.request(type, to, payload),
      contact: (jid) => this.roster.get(jid),
      changed: () => this.contactsChanged(),
    });
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
    if (!this.stopped) throw new Error(`already ${this.status}`);
    this.stopped = false;
    this.lastStreamError = undefined;
    this.setStatus("connecting");
    try {
      await this.establish();
    } catch (e) {
      this.stopped = true;
      const text = e instanceof Error ? e.message : String(e);
      this.setStatus(e instanceof AuthError ? "auth-failed" : "disconnected", text);
      throw e;
    }
  }

  /** Ends the session (unavailable presence, stream close) and stops reconnecting. */
  async disconnect(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    const t = this.transport;
    if (t?.open && this.ready) this.direct(xml("presence", { type: "unavailable" }));
    this.ready = false;
    await t?.close();
    this.endSession("disconnected");
    this.setStatus("disconnected");
  }

  /** Sets and sends our presence; "offline" sends unavailable but stays connected. */
  setPresence(show: Show = "available", statusText?: string): void {
    this.show = show;
    this.statusText = statusText;
    if (this.ready) this.write(this.presenceStanza());
  }

  /** Sends a chat message requesting a XEP-0184 receipt and XEP-0333 markers ("pending" until acked). */
  send(peer: string, body: string): ChatMessage {
    return this.chat.send(bare(peer), body);
  }

  /** XEP-0308: corrects our message `id` to `peer` (normally our last one). */
  correct(peer: string, id: string, body: string): void {
    this.chat.correct(bare(peer), id, body);
  }

  /** XEP-0085: sends a standalone chat state notification. */
  chatState(peer: string, state: "active" | "composing" | "paused" | "inactive"): void {
    this.chat.chatState(bare(peer), state as ChatState);
  }

  /** XEP-0333: tells `peer` we displayed its message `id`. */
  markDisplayed(peer: string, id: string): void {
    this.chat.markDisplayed(bare(peer), id);
  }

  /** Adds `jid` to the roster and asks to see its presence. */
  async addContact(jid: string, name?: string): Promise<void> {
    const b = bare(jid);
    await this.iq.request("set", undefined, rosterSet(b, name ? { name } : {}));
    this.write(xml("presence", { to: b, type: "subscribe" }));
  }

  /** Approves a subscription request, asking back when we do not see the contact yet. */
  approve(jid: string): void {
    const b = bare(jid);
    this.write(xml("presence", { to: b, type: "subscribed" }));
    const c = this.roster.get(b);
    if (
      c === undefined ||
      ((c.subscription === "none" || c.subscription === "from") && !c.pendingOut)
    ) {
      this.write(xml("presence", { to: b, type: "subscribe" }));
    }
    this.roster.dropRequest(b);
    this.contactsChanged();
  }

  /** Denies a subscription request. */
  deny(jid: string): void {
    const b = bare(jid);
    this.write(xml("presence", { to: b, type: "unsubscribed" }));
    this.roster.dropRequest(b);
    this.contactsChanged();
  }

  /** Removes the contact from the roster (the server cancels both subscriptions). */
  async removeContact(jid: string): Promise<void> {
    await this.iq.request("set", undefined, rosterSet(bare(jid), { remove: true }));
  }

  /** XEP-0313: one page with `peer`, oldest first; without `before`, the newest page. */
  history(
    peer: string,
    opts?: { before?: string; max?: number },
  ): Promise<{ messages: ChatMessage[]; complete: boolean }> {
    return this.archive.page(bare(peer), opts);
  }

  /** XEP-0084: publishes our avatar (at most 256 KiB). */
  setAvatar(bytes: Uint8Array, type: string): Promise<void> {
    return this.avatars.publish(bytes, type);
  }

  // ---- connection ----

  private setStatus(s: Status, detail?: string): void {
    if (this.status === s) return;
    this.status = s;
    this.events.emit("status", s, detail);
  }

  private contactsChanged(): void {
    if (this.contactsScheduled) return;
    this.contactsScheduled = true;
    void Promise.resolve().then(() => {
      this.contactsScheduled = false;
      this.events.emit("contacts", this.roster.list());
    });
  }

  /** Opens a transport, negotiates, and resumes or sets up a session. Throws on failure. */
  private async establish(): Promise<void> {
    this.capsVer ??= await capsHash([IDENTITY], FEATURES);
    let t: Transport | undefined;
    t = await Transport.open(this.WS, this.opts.service, {
      element: (el) => {
        if (t !== undefined && t === this.transport) this.received(el);
      },
      closed: (reason) => {
        if (t !== undefined && t === this.transport) this.lost(reason);
      },
    });
    this.transport = t;
    this.negotiating = true;
    this.inbox = [];
    this.lastStreamError = undefined;
    const conn = t;
    const link: Link = {
      send: (el) => conn.send(el),
      sendOpen: () => conn.sendOpen(domainOf(this.jid)),
      next: () => this.next(),
    };
    const resume =
      this.sm.resumeId !== undefined ? { id: this.sm.resumeId, h: this.sm.inbound } : undefined;
    try {
      const result = await negotiate(
        link,
        {
          user: localOf(this.opts.jid),
          password: this.opts.password,
          resource: this.opts.resource,
        },
        resume,
      );
      if (result.resumed) this.resumed(result.h);
      else await this.setUp(result.jid, result.sm);
    } catch (e) {
      if (this.transport === conn) conn.abort(e instanceof Error ? e.message : String(e));
      throw e;
    }
    this.ready = true;
    const waiting = this.waiting;
    this.waiting = [];
    for (const u of waiting) this.write(u.el, u.acked);
    this.startKeepalive(conn);
    this.setStatus("online");
  }

  /** XEP-0198 §5: the old session lives on; resend what the server did not count. */
  private resumed(h: number): void {
    const { acked, resend } = this.sm.resumed(h);
    for (const u of acked) u.acked?.();
    this.startDispatch();
    for (const u of resend) this.direct(u.el, u.acked);
  }

  /** A fresh session: stream management, carbons, roster, presence, then unacked messages. */
  private async setUp(jid: string, smOffered: boolean): Promise<void> {
    const lost = this.sm.reset();
    this.iq.failAll("the session was lost");
    this.roster.clearPresence();
    this.startDispatch();
    if (smOffered) {
      const answer = new Promise<Element | undefined>((r) => (this.smWaiter = r));
      this.direct(xml("enable", { xmlns: NS_SM, resume: "true" }));
      const el = await answer;
      if (el?.name === "enabled")
        this.sm.enabled(
          el.attr("resume") === "true" || el.attr("resume") === "1" ? el.attr("id") : undefined,
        );
    }
    await this.iq
      .request("set", undefined, xml("enable", { xmlns: NS_CARBONS }), true)
      .catch(() => undefined);
    const roster = await this.iq.request(
      "get",
      undefined,
      xml("query", { xmlns: NS_ROSTER }),
      true,
    );
    this.roster.load(roster.getChild("query", NS_ROSTER));
    this.direct(this.presenceStanza());
    // Messages the old session never confirmed: the receiving SDK drops duplicates by id.
    for (const u of lost) if (u.el.name === "message") this.direct(u.el, u.acked);
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

  private startDispatch(): void {
    this.negotiating = false;
    const pending = this.inbox;
    this.inbox = [];
    for (const el of pending) this.dispatch(el);
  }

  private next(): Promise<Element> {
    const el = this.inbox.shift();
    if (el !== undefined) return Promise.resolve(el);
    if (!this.transport?.open) return Promise.reject(new Error("the connection was lost"));
    return new Promise((resolve, reject) => {
      const timer = after(CLIENT_LIMITS.stepTimeoutMs, () => {
        this.waiter = undefined;
        reject(new Error("the server did not answer in time"));
      });
      this.waiter = { resolve, reject, timer };
    });
  }

  private received(el: Element): void {
    if (!this.negotiating) {
      this.dispatch(el);
      return;
    }
    const w = this.waiter;
    if (w !== undefined) {
      this.waiter = undefined;
      cancel(w.timer);
      w.resolve(el);
    } else if (this.inbox.length < CLIENT_LIMITS.inbox) this.inbox.push(el);
    else this.transport?.abort("the server sent too much during negotiation");
  }

  /** The transport closed (whatever the cause). */
  private lost(reason: string): void {
    this.transport = undefined;
    this.ready = false;
    cancel(this.keepalive);
    this.sm.suspend();
    const w = this.waiter;
    this.waiter = undefined;
    if (w !== undefined) {
      cancel(w.timer);
      w.reject(new Error(reason));
    }
    this.smWaiter?.(undefined);
    this.smWaiter = undefined;
    if (this.stopped || this.status !== "online") return; // connect()/the reconnect loop handles it
    const fatal = this.lastStreamError?.condition === "conflict" || this.opts.reconnect === false;
    if (fatal) {
      this.stopped = true;
      this.endSession(reason);
      this.setStatus("disconnected", this.lastStreamError?.message ?? reason);
      return;
    }
    void this.reconnect(reason);
  }

  private endSession(reason: string): void {
    this.sm.reset();
    this.iq.failAll(reason);
    this.roster.clearPresence();
    this.waiting = [];
  }

  private async reconnect(reason: string): Promise<void> {
    if (this.reconnecting) return;
    this.reconnecting = true;
    this.setStatus("reconnecting", reason);
    let delay = CLIENT_LIMITS.backoffFirstMs;
    try {
      while (!this.stopped) {
        await new Promise<void>((r) => {
          this.wake = r;
          void sleep(delay / 2 + Math.random() * (delay / 2)).then(r);
        });
        this.wake = undefined;
        if (this.stopped) return;
        try {
          await this.establish();
          return;
        } catch (e) {
          if (e instanceof AuthError || (e instanceof StreamError && e.condition === "conflict")) {
            this.stopped = true;
            this.endSession(e.message);
            this.setStatus(e instanceof AuthError ? "auth-failed" : "disconnected", e.message);
            return;
          }
          delay = Math.min(delay * 2, CLIENT_LIMITS.backoffMaxMs);
        }
      }
    } finally {
      this.reconnecting = false;
    }
  }

  /** Every keepalive period of silence, ask the server for an answer; two silent periods → reconnect. */
  private startKeepalive(t: Transport): void {
    const period = (this.opts.keepaliveSeconds ?? 30) * 1000;
    let seen = t.received;
    let asked = false;
    const tick = () => {
      if (t !== this.transport) return;
      if (t.received !== seen) {
        seen = t.received;
        asked = false;
      } else if (asked) {
        t.abort("the server stopped answering");
        return;
      } else {
        asked = true;
        if (this.sm.active) t.send(xml("r", { xmlns: NS_SM }));
        else
          void this.iq
            .request("get", domainOf(this.jid), xml("ping", { xmlns: NS_PING }), true)
            .catch(() => undefined);
      }
      this.keepalive = after(period, tick);
    };
    cancel(this.keepalive);
    this.keepalive = after(period, tick);
  }

  // ---- sending ----

  /** Sends now when the session is ready, otherwise queues it for when it is. */
  private write(el: Element, acked?: () => void): void {
    if (this.ready && this.transport?.open) {
      this.direct(el, acked);
      return;
    }
    if (this.stopped) {
      this.events.emit("error", "not connected: the stanza was not sent");
      return;
    }
    this.waiting.push({ el, ...(acked ? { acked } : {}) });
    if (this.waiting.length > CLIENT_LIMITS.waiting) {
      this.waiting.shift();
      this.events.emit(
        "error",
        `more than ${CLIENT_LIMITS.waiting} stanzas waiting for the connection; the oldest was dropped`,
      );
    }
  }

  /** Sends on the current transport, counting it for stream management. */
  private direct(el: Element, acked?: () => void): void {
    const t = this.transport;
    if (t === undefined) return;
    t.send(el);
    if (!STANZAS.has(el.name) || (el.xmlns !== undefined && el.xmlns !== NS_CLIENT)) return;
    if (!this.sm.active) {
      acked?.();
      return;
    }
    if (!this.sm.sent({ el, ...(acked ? { acked } : {}) })) {
      t.abort("the server stopped acknowledging stanzas");
      return;
    }
    if (!this.ackScheduled) {
      this.ackScheduled = true;
      void Promise.resolve().then(() => {
        this.ackScheduled = false;
        if (this.transport?.open && this.sm.active) this.transport.send(xml("r", { xmlns: NS_SM }));
      });
    }
  }

  // ---- receiving ----

  private dispatch(el: Element): void {
    if (el.xmlns === NS_SM) {
      this.smNonza(el);
      return;
    }
    if (el.xmlns === NS_STREAM && el.name === "error") {
      this.lastStreamError = streamError(el);
      return;
    }
    if (el.xmlns === NS_FRAMING && el.name === "close") {
      this.transport?.abort(this.lastStreamError?.message ?? "the server closed the stream");
      return;
    }
    if (el.xmlns !== NS_CLIENT || !STANZAS.has(el.name)) return;
    this.sm.received();
    try {
      if (el.name === "iq") this.onIq(el);
      else if (el.name === "presence") this.onPresence(el);
      else this.onMessage(el);
    } catch (e) {
      this.events.emit(
        "error",
        `could not handle a <${el.name}/>: ${e instanceof Error ? e.message : String(e)}`,
      );
    }
  }

  private smNonza(el: Element): void {
    if (el.name === "r") {
      this.transport?.send(xml("a", { xmlns: NS_SM, h: String(this.sm.inbound) }));
    } else if (el.name === "a") {
      const h = Number(el.attr("h"));
      const acked = Number.isInteger(h) ? this.sm.ack(h) : undefined;
      if (acked === undefined)
        this.transport?.abort("the server acknowledged stanzas we never sent");
      else for (const u of acked) u.acked?.();
    } else if (el.name === "enabled" || el.name === "failed") {
      this.smWaiter?.(el);
      this.smWaiter = undefined;
    }
  }

  private onIq(iq: Element): void {
    if (this.iq.handle(iq)) return;
    const reply = this.answer(iq);
    if (reply !== undefined) this.direct(reply);
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
    if (type === "get" && payload?.name === "ping" && payload.xmlns === NS_PING)
      return iqResult(iq);
    if (type === "get" && payload?.name === "query" && payload.xmlns === NS_DISCO_INFO) {
      const node = payload.attr("node");
      if (node !== undefined && node !== `${CAPS_NODE}#${this.capsVer}`)
        return iqError(iq, "cancel", "item-not-found");
      return iqResult(iq, discoInfo(node));
    }
    return iqError(iq, "cancel", "service-unavailable");
  }

  private onPresence(p: Element): void {
    const type = p.attr("type");
    if (this.roster.presence(p, this.jid) && type === "subscribe") {
      this.events.emit("subscriptionRequest", bare(p.attr("from")!));
      this.contactsChanged();
    }
    if (type === undefined) this.avatars.presence(p);
  }

  private onMessage(m: Element): void {
    if (this.archive.result(m)) return;
    if (this.avatars.event(m)) return;
    this.chat.stanza(m);
  }
}
