// A bound client session (RFC 6120 §7) with XEP-0198 acks and resumption and XEP-0352
// holding: it outlives its connection while it hibernates, and a new one can take it over.

import { randomUUID } from "node:crypto";
import { type Jid, parseJid } from "@hato/jid";
import { type Element, NS_CSI, NS_DELAY, NS_SM, xml } from "@hato/xml";
import { StanzaError, StreamError } from "../errors.js";
import type { ClientSoftware } from "../session.js";
import type { ClientIdentity } from "./client-identity.js";
import type { C2sContext } from "./context.js";
import { HeldQueue, treatment } from "./csi.js";
import type { ClientSession as IntakeSession } from "./intake.js";
import { type AckResult, failed, parseH, SmState } from "./sm.js";

/** The connection a session currently speaks through (the client stream). */
export interface Transport {
  readonly address: string;
  /** Writes a stanza or nonza. */
  write(el: Element, written?: (ok: boolean) => void): void;
  /** Closes cleanly, or with a stream error and an application-specific condition. */
  close(err?: StreamError, extra?: Element): void;
  /** Drops the connection as dead (the session may hibernate). */
  drop(reason: string): void;
  /** How the connection travels: framing and negotiated TLS version (null before TLS). */
  readonly link?: { transport: "tcp" | "websocket"; tls: string | null };
}

// Ask for an acknowledgement once this many stanzas are unacknowledged, or else after a
// short idle moment (the sweeper's tick): bursts cost one <r/>, not one per stanza.
const ACK_EVERY = 5;
const ACK_IDLE_MS = 1000;

const NS_CARBONS = "urn:xmpp:carbons:2";
const NS_MAM = "urn:xmpp:mam:2";

/** One session of a local user, as the registry, the router and modules see it. */
export class ClientSession implements IntakeSession {
  readonly id = randomUUID();
  readonly username: string;
  readonly resource: string;
  address: string;
  available = false;
  priority = 0;
  presence: Element | undefined = undefined;
  hibernated = false;
  /** When the resource was bound (the admin console's session list). */
  readonly since = new Date();
  /** What the client said it is (XEP-0092, XEP-0115 caps node); filled by `identity`. */
  software?: ClientSoftware;
  /** Asks and, under `clients.allowed`, holds stanzas until the client says what it is. */
  identity: ClientIdentity | undefined = undefined;

  private transport: Transport | undefined;
  private sm: SmState | undefined;
  private resumeSeconds = 0;
  private inactive = false;
  private readonly held = new HeldQueue();
  private ended = false;
  private overflowing = false;
  private idleScheduled = false;
  // Sweeper keys: deadlines cost nothing while unset.
  private readonly hibernation = {};
  private readonly ackIdle = {};
  private readonly ackDeadline = {};

  constructor(
    private readonly ctx: C2sContext,
    transport: Transport,
    readonly jid: Jid,
  ) {
    this.transport = transport;
    this.address = transport.address;
    this.username = jid.local;
    this.resource = jid.resource;
  }

  /** The current connection's framing and TLS version; undefined while hibernated. */
  get link(): { transport: "tcp" | "websocket"; tls: string | null } | undefined {
    return this.transport?.link;
  }

  // ---- Session

  send(stanza: Element, written?: (ok: boolean) => void): void {
    if (this.ended) {
      written?.(false);
      return;
    }
    // A hibernating session holds like an inactive one: a phone that comes back wants each
    // contact's latest presence, not every change, and the unacknowledged queue stays small.
    if (this.inactive || this.hibernated) {
      const t = treatment(stanza);
      if (t.kind !== "urgent") {
        this.held.add(t, { stanza, written });
        if (this.held.size > this.ctx.config.csi.maxHeld) this.flushHeld();
        return;
      }
      this.flushHeld(); // what was held for this sender goes first: order is kept
    }
    this.deliver(stanza, written);
  }

  close(error?: StreamError): void {
    if (this.ended) return;
    if (this.transport) this.transport.close(error);
    else this.terminate(error?.text ?? "closed by the server");
  }

  // ---- presence

  /**
   * Sets availability from presence without a `to`. Fires session-available when the
   * session becomes able to receive bare-JID messages: it turns available, or its priority
   * rises from negative to non-negative (RFC 6121 §8.5.2.1; offline delivery waits for it).
   * presence-broadcast runs first, so contacts learn the presence before stored messages flow.
   */
  setPresence(available: boolean, priority: number, stanza: Element): void {
    const couldReceive = this.available && this.priority >= 0;
    const wasAvailable = this.available;
    this.available = available;
    this.priority = priority;
    this.presence = available ? stanza : undefined;
    this.ctx.bus.fire("presence-broadcast", { session: this, stanza });
    if (available && (!wasAvailable || (!couldReceive && priority >= 0))) {
      this.ctx.bus.fire("session-available", { session: this });
    }
  }

  // ---- what the stream tells the session

  /** A stanza from the client was taken (routed or answered): count it for XEP-0198. */
  handledInbound(): void {
    this.sm?.handled();
  }

  /** A stream-management or client-state nonza after binding. */
  nonza(el: Element): void {
    const what = `${el.xmlns} ${el.name}`;
    if (what === `${NS_CSI} active` || what === `${NS_CSI} inactive`) {
      this.setInactive(el.name === "inactive");
    } else if (what === `${NS_SM} enable`) {
      this.enable(el);
    } else if (what === `${NS_SM} resume`) {
      this.transport?.write(
        failed("unexpected-request", "a session can be resumed only before binding a resource"),
      );
    } else if ((what === `${NS_SM} r` || what === `${NS_SM} a`) && this.sm === undefined) {
      this.transport?.close(
        new StreamError(
          "unsupported-stanza-type",
          `<${el.name}/> needs stream management, which is not enabled on this stream`,
        ),
      );
    } else if (what === `${NS_SM} r`) {
      this.transport?.write(xml("a", { xmlns: NS_SM, h: String(this.sm!.inbound) }));
    } else if (what === `${NS_SM} a`) {
      this.acked(el);
    } else {
      this.transport?.close(
        new StreamError(
          "unsupported-stanza-type",
          `<${el.name}/> in ${el.xmlns ?? "no namespace"} is not supported here`,
        ),
      );
    }
  }

  /** XEP-0352: `<inactive/>` holds non-urgent stanzas, `<active/>` sends what was held. */
  setInactive(inactive: boolean): void {
    this.inactive = inactive;
    if (!inactive) this.flushHeld();
  }

  /** The transport is gone: `lost` when the network died rather than a stream close. */
  detach(transport: Transport, lost: boolean, reason: string): void {
    if (transport !== this.transport) return; // taken over by a resumption already
    this.transport = undefined;
    if (lost && this.sm?.resumeId !== undefined && !this.ended) this.hibernate(reason);
    else this.terminate(reason);
  }

  /** Whether a `<resume/>` with this h can succeed (h may not exceed what was sent). */
  checkResume(h: number | undefined): AckResult {
    return h === undefined ? { ok: true } : this.sm!.check(h);
  }

  /**
   * A new connection of the same user resumes this session (XEP-0198 §5): the client's h
   * (checked first with checkResume) acknowledges what it got, the rest is sent again, and
   * an old connection still open is closed.
   */
  resume(transport: Transport, h: number | undefined): void {
    const sm = this.sm!;
    if (h !== undefined) sm.ack(h);
    const old = this.transport;
    this.transport = transport;
    old?.close(new StreamError("conflict", "the session was resumed on another connection"));
    this.address = transport.address;
    this.hibernated = false;
    this.ctx.sweeper.clear(this.hibernation);
    this.inactive = false; // XEP-0352: every stream begins active
    transport.write(xml("resumed", { xmlns: NS_SM, previd: sm.resumeId, h: String(sm.inbound) }));
    for (const u of sm.queue) transport.write(u.stanza);
    sm.requestPending = false;
    sm.sinceRequest = sm.queue.length;
    this.ctx.sweeper.clear(this.ackDeadline); // a request on the old connection is void
    this.flushHeld();
    this.requestAck();
    this.ctx.log.debug("session resumed", { jid: this.jid.toString(), address: this.address });
    this.ctx.bus.fire("session-resumed", { session: this });
  }

  // ---- XEP-0198

  private enable(el: Element): void {
    if (this.sm !== undefined) {
      // XEP-0198 §3: a second <enable/> SHOULD end the stream.
      this.transport?.close(
        new StreamError("policy-violation", "stream management is already enabled"),
      );
      return;
    }
    const sm = new SmState();
    this.sm = sm;
    const wanted = el.attr("resume");
    const allowed = this.ctx.config.sm.resumeSeconds;
    if ((wanted === "true" || wanted === "1") && allowed > 0) {
      const max = parseH(el.attr("max"));
      this.resumeSeconds = max !== undefined && max > 0 ? Math.min(max, allowed) : allowed;
      sm.resumeId = this.ctx.resumptions.add(this);
      this.transport?.write(
        xml("enabled", {
          xmlns: NS_SM,
          id: sm.resumeId,
          resume: "true",
          max: String(this.resumeSeconds),
        }),
      );
    } else this.transport?.write(xml("enabled", { xmlns: NS_SM }));
  }

  private acked(el: Element): void {
    const sm = this.sm!;
    const h = parseH(el.attr("h"));
    if (h === undefined) {
      this.transport?.close(
        new StreamError("bad-format", "<a/> needs an h attribute from 0 to 4294967295"),
      );
      return;
    }
    const r = sm.ack(h);
    if (!r.ok) {
      this.transport?.close(new StreamError("undefined-condition", r.text), r.extra);
      return;
    }
    sm.requestPending = false;
    this.ctx.sweeper.clear(this.ackDeadline);
    this.requestAck();
  }

  /** Hands a stanza to the connection; with XEP-0198 it is counted and kept until acked. */
  private deliver(stanza: Element, written?: (ok: boolean) => void): void {
    const sm = this.sm;
    if (sm === undefined) {
      if (this.transport) this.transport.write(stanza, written);
      else written?.(false);
      return;
    }
    sm.push(stanza);
    written?.(true); // the queue answers for it now: resent or routed again, never dropped
    if (sm.queue.length > this.ctx.config.sm.maxQueue && !this.overflowing) {
      // End the session once the current delivery is done; everything queued is routed again.
      this.overflowing = true;
      queueMicrotask(() =>
        this.close(
          new StreamError(
            "policy-violation",
            `more than ${this.ctx.config.sm.maxQueue} stanzas were not acknowledged`,
          ),
        ),
      );
    }
    if (this.overflowing || this.transport === undefined) return;
    this.transport.write(stanza);
    this.requestAck();
  }

  private requestAck(): void {
    const sm = this.sm;
    if (!sm || !this.transport || sm.requestPending || sm.queue.length === 0) return;
    if (sm.sinceRequest >= ACK_EVERY) {
      this.sendRequest();
      return;
    }
    if (this.idleScheduled) return;
    this.idleScheduled = true;
    this.ctx.sweeper.set(this.ackIdle, ACK_IDLE_MS, () => {
      this.idleScheduled = false;
      if (!sm.requestPending && sm.queue.length > 0) this.sendRequest();
    });
  }

  private sendRequest(): void {
    const sm = this.sm!;
    const transport = this.transport;
    if (!transport) return;
    sm.requestPending = true;
    sm.sinceRequest = 0;
    transport.write(xml("r", { xmlns: NS_SM }));
    // A client that does not answer is gone even if TCP has not noticed (a phone in a tunnel).
    const seconds = this.ctx.config.sm.ackSeconds;
    this.ctx.sweeper.set(this.ackDeadline, seconds * 1000, () =>
      transport.drop(`no acknowledgement within ${seconds} seconds`),
    );
  }

  private hibernate(reason: string): void {
    this.hibernated = true;
    this.sm!.requestPending = false;
    this.ctx.sweeper.clear(this.ackDeadline);
    this.ctx.sweeper.clear(this.ackIdle);
    this.idleScheduled = false;
    this.ctx.sweeper.set(this.hibernation, this.resumeSeconds * 1000, () =>
      this.terminate(`not resumed within ${this.resumeSeconds} seconds`),
    );
    this.ctx.log.debug("session hibernated", { jid: this.jid.toString(), reason });
    this.ctx.bus.fire("session-hibernated", { session: this });
  }

  // ---- the end

  /**
   * Ends the session for good. Stanzas the client never acknowledged (and messages held for
   * it) must not vanish: XEP-0198 §4 says to treat them like stanzas to an unavailable
   * resource. So messages are routed again to the bare JID — other resources or offline
   * storage get them, with a <delay/> of when this session took them, flagged `rerouted` so
   * archiving and carbons do not take them twice — except errors and
   * group chat (nobody else can use those), carbon copies (each resource got its own) and
   * archive results (answers to this session's query). IQ requests get service-unavailable;
   * IQ results and errors go nowhere. Only then does session-closed fire, so the unavailable
   * presence follows the session's real end, not its hibernation.
   */
  private terminate(reason: string): void {
    if (this.ended) return;
    this.ended = true;
    this.hibernated = false;
    this.identity?.stop();
    for (const key of [this.hibernation, this.ackIdle, this.ackDeadline])
      this.ctx.sweeper.clear(key);
    if (this.sm?.resumeId !== undefined) this.ctx.resumptions.delete(this.sm.resumeId);
    const removed = this.ctx.sessions.remove(this);
    const pending = this.sm?.queue.splice(0) ?? [];
    const at = new Date();
    for (const h of this.held.take()) {
      pending.push({ stanza: h.stanza, at });
      h.written?.(false);
    }
    for (const u of pending) this.routeAgain(u.stanza, u.at);
    if (removed) {
      // Handlers still see `presence`: a session that was available must announce leaving.
      this.available = false;
      this.ctx.bus.fire("session-closed", { session: this, reason });
      this.presence = undefined;
    }
  }

  private routeAgain(stanza: Element, at: Date): void {
    const from = parseJid(stanza.attr("from") ?? "");
    if (!from.ok) return;
    const type = stanza.attr("type");
    if (stanza.name === "iq") {
      if (type === "get" || type === "set") {
        this.ctx.router.bounce(
          { stanza, from: from.jid, to: this.jid, origin: undefined },
          new StanzaError("service-unavailable", "the session ended before it could answer"),
        );
      }
      return;
    }
    if (stanza.name !== "message" || type === "error" || type === "groupchat") return;
    if (
      stanza.getChild("sent", NS_CARBONS) ||
      stanza.getChild("received", NS_CARBONS) ||
      stanza.getChild("result", NS_MAM)
    )
      return;
    const copy = stanza.clone();
    const bare = this.jid.bare;
    copy.attrs.to = bare.toString();
    // One server delay: a message that was stored offline already carries the time it came.
    const stamped = copy
      .getChildren("delay", NS_DELAY)
      .some((d) => d.attr("from") === this.ctx.domain);
    if (!stamped) {
      copy.append(
        xml(
          "delay",
          { xmlns: NS_DELAY, from: this.ctx.domain, stamp: at.toISOString() },
          "Not acknowledged by the session it was sent to",
        ),
      );
    }
    this.ctx.router.route(copy, from.jid, bare, undefined, true);
  }

  private flushHeld(): void {
    if (this.held.size === 0) return;
    for (const h of this.held.take()) this.deliver(h.stanza, h.written);
  }
}
