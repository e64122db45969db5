// One account's connection: WebSocket transport, negotiation, XEP-0198 stream management
// (acks, resumption, resending), keepalive and reconnection with backoff.

import { type Element, xml } from "@hato/xml";
import { IqCaller } from "./iq.js";
import { bare, domainOf, localOf } from "./jid.js";
import { keepalive } from "./keepalive.js";
import { NS_CLIENT, NS_FRAMING, NS_PING, NS_SM, NS_STREAM } from "./ns.js";
import { after, cancel, sleep, type Timer } from "./platform.js";
import { AuthError, type Link, negotiate, StreamError, streamError } from "./session.js";
import { StreamManagement, type Unacked } from "./sm.js";
import { Transport, type WebSocketCtor } from "./transport.js";
import type { ClientOptions, Status } from "./types.js";

/** Caps and timings of the connection machinery. */
export const CONNECTION_LIMITS = {
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

/** What the connection asks of the client above it. */
export interface ConnectionHooks {
  status(s: Status, detail?: string): void;
  /** A new session is bound (not resumed): load what it needs; stanzas go out directly. */
  setUp(): Promise<void>;
  /** Presence and roster state of the old session are gone (before setUp). */
  sessionLost(): void;
  stanza(el: Element): void;
  error(text: string): void;
}

/** The connection of one account; survives drops by resuming or logging in again. */
export class Connection {
  status: Status = "disconnected";
  readonly iq: IqCaller;
  private readonly sm = new StreamManagement(CONNECTION_LIMITS.unacked);
  private readonly jid: string;
  private readonly WS: WebSocketCtor;
  private transport: Transport | undefined;
  /** True from the stream header until bind/resume: elements go to next(), not dispatch. */
  private negotiating = false;
  private inbox: Element[] = [];
  private waiter: { resolve(el: Element): void; reject(e: Error): void; timer: Timer } | undefined;
  private smWaiter: ((answer: Element | undefined) => void) | undefined;
  /** True once the session is set up: stanzas go out; before, they wait in `waiting`. */
  private ready = false;
  private waiting: Unacked[] = [];
  private stopped = true;
  private reconnecting = false;
  private wake: (() => void) | undefined;
  private lastStreamError: StreamError | undefined;
  private ackScheduled = false;
  private keepalive: Timer | undefined;

  constructor(
    private readonly opts: ClientOptions,
    private readonly hooks: ConnectionHooks,
  ) {
    this.jid = bare(opts.jid);
    const ctor = opts.WebSocket ?? (globalThis as { WebSocket?: WebSocketCtor }).WebSocket;
    if (ctor === undefined) throw new Error("no WebSocket: pass ClientOptions.WebSocket");
    this.WS = ctor;
    this.iq = new IqCaller(
      (el, direct) => (direct ? this.direct(el) : this.write(el)),
      () => this.jid,
      { max: CONNECTION_LIMITS.pendingIqs, timeoutMs: CONNECTION_LIMITS.iqTimeoutMs },
    );
  }

  /** Whether stanzas go out now (not waiting for a reconnection). */
  get online(): boolean {
    return this.ready;
  }

  /** Connects once; rejects with the reason when that attempt fails. */
  async connect(): Promise<void> {
    if (!this.stopped) throw new Error(`already ${this.status}`);
    this.stopped = false;
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

  /** Sends now when the session is ready, otherwise queues it for when it is. */
  write(el: Element, acked?: () => void): void {
    if (this.ready && this.transport?.open) {
      this.direct(el, acked);
      return;
    }
    if (this.stopped) {
      this.hooks.error("not connected: the stanza was not sent");
      return;
    }
    this.waiting.push({ el, ...(acked ? { acked } : {}) });
    if (this.waiting.length > CONNECTION_LIMITS.waiting) {
      this.waiting.shift();
      this.hooks.error(
        `more than ${CONNECTION_LIMITS.waiting} stanzas waiting for the connection; the oldest was dropped`,
      );
    }
  }

  /** Sends on the current transport at once (also during set-up), counting it for XEP-0198. */
  direct(el: Element, acked?: () => void): void {
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
      // One <r/> per burst of stanzas, after the burst.
      this.ackScheduled = true;
      void Promise.resolve().then(() => {
        this.ackScheduled = false;
        if (this.transport?.open && this.sm.active) this.transport.send(xml("r", { xmlns: NS_SM }));
      });
    }
  }

  private setStatus(s: Status, detail?: string): void {
    if (this.status === s) return;
    this.status = s;
    this.hooks.status(s, detail);
  }

  /** Opens a transport, negotiates, and resumes or sets up a session. Throws on failure. */
  private async establish(): Promise<void> {
    let t: Transport | undefined;
    t = await Transport.open(this.WS, this.opts.service, {
      element: (el) => {
        if (t !== undefined && t === this.transport) this.received(el);
      },
      closed: (reason) => {
        if (t !== undefined && t === this.transport) this.lost(reason);
      },
      oversized: (kind, bytes) => {
        if (t === undefined || t !== this.transport) return;
        this.sm.received();
        this.hooks.error(
          `a ${kind} of ${Math.round(bytes / 1024)} KiB was too large to show and was skipped`,
        );
      },
    });
    if (this.stopped) {
      t.abort("disconnected while connecting");
      throw new Error("disconnected while connecting");
    }
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
      const creds = {
        user: localOf(this.opts.jid),
        password: this.opts.password,
        resource: this.opts.resource,
      };
      const result = await negotiate(link, creds, resume);
      if (result.resumed) this.resumed(result.h);
      else await this.setUp(result.sm);
      if (this.stopped) throw new Error("disconnected while connecting");
      if (this.transport !== conn || !conn.open)
        throw new Error("the connection was lost while setting up");
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

  /** A fresh session: stream management, the client's set-up, then unacknowledged messages. */
  private async setUp(smOffered: boolean): Promise<void> {
    const lost = this.sm.reset();
    this.iq.failAll("the session was lost");
    this.hooks.sessionLost();
    this.startDispatch();
    if (smOffered) {
      const answer = new Promise<Element | undefined>((r) => {
        this.smWaiter = r;
      });
      this.direct(xml("enable", { xmlns: NS_SM, resume: "true" }));
      const el = await answer;
      if (el === undefined) throw new Error("the connection was lost");
      const resumable = el.attr("resume") === "true" || el.attr("resume") === "1";
      if (el.name === "enabled") this.sm.enabled(resumable ? el.attr("id") : undefined);
    }
    await this.hooks.setUp();
    // Messages the old session never confirmed: the receiving SDK drops duplicates by id.
    for (const u of lost) if (u.el.name === "message") this.direct(u.el, u.acked);
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
      const timer = after(CONNECTION_LIMITS.stepTimeoutMs, () => {
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
    } else if (this.inbox.length < CONNECTION_LIMITS.inbox) this.inbox.push(el);
    else this.transport?.abort("the server sent too much during negotiation");
  }

  /** The transport closed (whatever the cause). */
  private lost(reason: string): void {
    const wasReady = this.ready;
    this.transport = undefined;
    this.ready = false;
    cancel(this.keepalive);
    this.sm.suspend();
    // A stream error ends the session (RFC 6120 §4.9): log in afresh, resending what is unacked.
    if (this.lastStreamError !== undefined) this.sm.resumeId = undefined;
    const w = this.waiter;
    this.waiter = undefined;
    if (w !== undefined) {
      cancel(w.timer);
      w.reject(new Error(reason));
    }
    this.smWaiter?.(undefined);
    this.smWaiter = undefined;
    // A session being set up waits for IQ answers that will never come on this connection.
    if (!wasReady) this.iq.failAll(reason);
    if (this.stopped || this.status !== "online") return; // connect()/the reconnect loop handles it
    if (this.lastStreamError?.condition === "conflict" || this.opts.reconnect === false) {
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
    this.hooks.sessionLost();
    this.waiting = [];
  }

  /** Backoff from 0.5 s doubling to 15 s, with jitter, until online, stopped or refused. */
  private async reconnect(reason: string): Promise<void> {
    if (this.reconnecting) return;
    this.reconnecting = true;
    this.setStatus("reconnecting", reason);
    let delay = CONNECTION_LIMITS.backoffFirstMs;
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
          delay = Math.min(delay * 2, CONNECTION_LIMITS.backoffMaxMs);
        }
      }
    } finally {
      this.reconnecting = false;
    }
  }

  private startKeepalive(t: Transport): void {
    cancel(this.keepalive);
    this.keepalive = keepalive(t, (this.opts.keepaliveSeconds ?? 30) * 1000, {
      current: () => t === this.transport,
      ask: () => {
        if (this.sm.active) t.send(xml("r", { xmlns: NS_SM }));
        else {
          const ping = xml("ping", { xmlns: NS_PING });
          void this.iq.request("get", domainOf(this.jid), ping, true).catch(() => undefined);
        }
      },
      timer: (tm) => {
        this.keepalive = tm;
      },
    });
  }

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
    if (el.name === "iq" && this.iq.handle(el)) return;
    try {
      this.hooks.stanza(el);
    } catch (e) {
      this.hooks.error(
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
}
