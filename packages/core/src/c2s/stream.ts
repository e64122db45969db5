// Client-to-server XML stream (RFC 6120 §4-§7): header, STARTTLS, SASL, binding or
// resumption (XEP-0198), then stanzas and nonzas for the session it carries.

import { randomUUID } from "node:crypto";
import { parseJid } from "@hato/jid";
import { channelBindingFromTls } from "@hato/sasl";
import {
  type Element,
  NS_BIND,
  NS_CLIENT,
  NS_CSI,
  NS_SASL,
  NS_SESSION,
  NS_SM,
  NS_TLS,
  xml,
} from "@hato/xml";
import { errorReply, StanzaError, StreamError } from "../errors.js";
import { chooseBinding } from "./bind.js";
import { ClientIdentity } from "./client-identity.js";
import { ClientSession, type Transport } from "./client-session.js";
import type { C2sContext, PreauthIqHandler, StreamFeature } from "./context.js";
import type { Framing } from "./framing.js";
import { intakeStanza } from "./intake.js";
import { recordSlowedDown, refuseOverRate, waitsInsteadOfRefusal } from "./rate-limit.js";
import { SaslNegotiation } from "./sasl.js";
import { failed, parseH } from "./sm.js";

type Phase = "tls" | "auth" | "bind" | "bound" | "closed";

// Elements parsed while an asynchronous step (SASL) runs wait here; the socket is paused
// meanwhile, so this holds at most what one read brought in.
const MAX_BACKLOG = 64;
// While a session is throttled (the policy's rate limits) the rest of the read already parsed
// waits here too: one read of small stanzas can hold more than 64 of them.
const MAX_THROTTLED_BACKLOG = 10_000;
// One pause lasts at most this long; a user still in debt is paused again after the next read.
// Short pauses keep stream-management acks and WebSocket pongs flowing, so a slowed session
// does not look dead.
const MAX_PAUSE_MS = 5_000;

/**
 * One client connection, from the first byte until it closes; it carries at most one session.
 * The same state machine runs over every framing (TCP/TLS streams, RFC 7395 WebSocket).
 */
export class C2sStream implements Transport {
  readonly address: string;
  private username = "";
  /** The session bound or resumed on this connection. */
  private session: ClientSession | undefined;
  /** Set when the stream was closed on purpose (by either side) rather than lost. */
  private clean = false;
  /** `<active/>` or `<inactive/>` sent before binding, applied to the session it gets. */
  private csiInactive: boolean | undefined;

  private phase: Phase;
  private headerSent = false;
  private sasl: SaslNegotiation | undefined;
  private busy = false;
  /** Reading stopped until the user's rate allows more (the policy's rate limits). */
  private throttle: NodeJS.Timeout | undefined;
  /** The client closed its stream while elements still waited in the backlog. */
  private endPending = false;
  private readonly backlog: Element[] = [];
  private counted = true; // still counted as unauthenticated for its address
  private readonly tlsDeadline = {};

  constructor(
    private readonly ctx: C2sContext,
    private readonly wire: Framing,
  ) {
    const directTls = wire.encrypted;
    this.phase = directTls ? "auth" : "tls";
    this.address = wire.address;
    wire.start({
      streamStart: (root) => this.streamStart(root),
      bytes: (n) => this.bytes(n),
      element: (el) => this.element(el),
      streamEnd: () => {
        // What waits in the backlog was sent before the close: it goes first.
        if (this.busy || this.throttle !== undefined) this.endPending = true;
        else this.end();
      },
      error: (err) => this.fail(err),
      closed: (reason) => this.closed(reason),
    });
    const over =
      ctx.unauthenticated.inc(this.address) > ctx.config.limits.unauthenticatedPerAddress;
    ctx.sweeper.set(this, ctx.config.limits.authSeconds * 1000, () =>
      this.fail(
        new StreamError(
          "connection-timeout",
          `no session was established within ${ctx.config.limits.authSeconds} seconds`,
        ),
      ),
    );
    if (directTls) this.sasl = this.newSasl();
    if (over) {
      this.fail(
        new StreamError(
          "policy-violation",
          "too many unauthenticated connections from your address",
        ),
      );
    }
  }

  // ---- Transport

  write(el: Element, written?: (ok: boolean) => void): void {
    this.wire.send(el, written);
  }

  close(error?: StreamError, extra?: Element): void {
    if (error) this.fail(error, extra);
    else this.end();
  }

  drop(reason: string): void {
    this.wire.teardown(reason);
  }

  get link(): { transport: "tcp" | "websocket"; tls: string | null } {
    return { transport: this.wire.transport, tls: this.wire.tlsSocket?.getProtocol() ?? null };
  }

  // ---- stream level

  /** Our stream opening, once per stream (before any error, too). */
  private header(features?: Element[]): void {
    this.headerSent = true;
    this.wire.open({ id: randomUUID(), from: this.ctx.domain }, features);
  }

  private streamStart(root: Element): undefined {
    const to = parseJid(root.attr("to") ?? "");
    if (
      !to.ok ||
      to.jid.domain !== this.ctx.domain ||
      to.jid.local !== "" ||
      to.jid.resource !== ""
    ) {
      return this.fail(
        new StreamError("host-unknown", `this server hosts ${this.ctx.domain} only`),
      );
    }
    const version = /^(\d+)\.(\d+)$/.exec(root.attr("version") ?? "");
    if (version?.[1] !== "1") {
      return this.fail(
        new StreamError("unsupported-version", "only XMPP version 1.0 streams are supported"),
      );
    }
    this.header(this.features());
    return undefined;
  }

  private features(): Element[] {
    switch (this.phase) {
      case "tls":
        return [xml("starttls", { xmlns: NS_TLS }, xml("required"))];
      case "auth":
        return [...this.sasl!.features(), ...offered(this.ctx.extensions.features.auth)];
      case "bind":
        return [
          xml("bind", { xmlns: NS_BIND }),
          xml("session", { xmlns: NS_SESSION }, xml("optional")),
          xml("sm", { xmlns: NS_SM }),
          xml("csi", { xmlns: NS_CSI }),
          ...offered(this.ctx.extensions.features.bind),
        ];
      default:
        return [];
    }
  }

  /** Sends a stream error, with an application-specific condition if given, and closes (RFC 6120 §4.9.1.1). */
  private fail(err: StreamError, extra?: Element): undefined {
    if (this.phase === "closed") return;
    this.clean = true;
    this.ctx.log.debug("stream error", {
      address: this.address,
      condition: err.condition,
      text: err.text,
    });
    if (!this.headerSent) this.header();
    const e = err.toElement();
    if (extra) e.children.splice(1, 0, extra);
    this.phase = "closed";
    this.wire.error(e);
    return undefined;
  }

  /** The peer closed its stream: close ours too (RFC 6120 §4.4). */
  private end(): void {
    if (this.phase === "closed") return;
    this.clean = true;
    this.phase = "closed";
    this.wire.close();
  }

  private closed(reason: string): void {
    this.phase = "closed";
    this.ctx.sweeper.clear(this);
    this.ctx.sweeper.clear(this.tlsDeadline);
    clearTimeout(this.throttle);
    this.throttle = undefined;
    if (this.counted) {
      this.counted = false;
      this.ctx.unauthenticated.dec(this.address);
    }
    const session = this.session;
    this.session = undefined;
    // A stream that just died (no closing tag, no stream error) may leave a session to resume.
    session?.detach(this, !this.clean, reason);
  }

  // ---- elements, in order

  private element(el: Element): void {
    if (this.throttle !== undefined) {
      if (this.backlog.push(el) > MAX_THROTTLED_BACKLOG)
        this.fail(new StreamError("policy-violation", "too many stanzas sent while slowed down"));
      return;
    }
    if (this.busy) {
      if (this.backlog.push(el) > MAX_BACKLOG) {
        this.fail(
          new StreamError(
            "policy-violation",
            "too many elements sent without waiting for an answer",
          ),
        );
      }
      return;
    }
    const pending = this.dispatch(el);
    if (pending) {
      this.busy = true;
      this.wire.pause();
      pending.then(
        () => this.resume(),
        (err: unknown) => {
          this.ctx.log.error("stream step failed", { err });
          this.fail(
            new StreamError(
              "internal-server-error",
              "the server failed while processing your request",
            ),
          );
        },
      );
    }
  }

  private resume(): void {
    this.busy = false;
    const go = () => !this.busy && this.throttle === undefined && this.phase !== "closed";
    while (this.backlog.length > 0 && go()) this.element(this.backlog.shift()!);
    if (go()) {
      if (this.endPending) this.end();
      else this.wire.resume();
    }
  }

  /** Stops reading for `ms` (bytes or answers over the user's rate); nothing is lost. */
  private slowDown(ms: number): void {
    if (this.throttle !== undefined || this.phase === "closed") return;
    this.wire.pause();
    this.throttle = setTimeout(
      () => {
        this.throttle = undefined;
        if (!this.busy) this.resume();
      },
      Math.min(ms, MAX_PAUSE_MS),
    );
  }

  /** Bytes from the client count against the user's byte rate once a session is bound. */
  private bytes(n: number): void {
    if (this.phase !== "bound" || this.session === undefined) return;
    const user = this.session.username;
    const { waitMs, limit } = this.ctx.rates.bytes(user, n);
    if (waitMs === 0) return;
    recordSlowedDown(this.ctx, user, limit);
    this.slowDown(waitMs);
  }

  private dispatch(el: Element): Promise<void> | undefined {
    switch (this.phase) {
      case "tls":
        if (el.name === "starttls" && el.xmlns === NS_TLS) return this.startTls();
        return this.fail(
          new StreamError("policy-violation", "STARTTLS is required before anything else"),
        );
      case "auth":
        if (
          el.xmlns === NS_SASL &&
          (el.name === "auth" || el.name === "response" || el.name === "abort")
        ) {
          return this.authenticate(el);
        }
        if (el.name === "iq" && el.xmlns === NS_CLIENT) {
          const handler = this.ctx.extensions.preauthIq.get(el.elements()[0]?.xmlns ?? "");
          if (handler) return this.preauthIq(el, handler);
        }
        if (el.name === "starttls" && el.xmlns === NS_TLS) {
          this.write(xml("failure", { xmlns: NS_TLS }));
          this.clean = true;
          this.phase = "closed";
          this.wire.close();
          return;
        }
        return this.fail(
          new StreamError("not-authorized", "authenticate before sending anything else"),
        );
      case "bind":
        if (
          el.name === "iq" &&
          el.xmlns === NS_CLIENT &&
          el.getChild("bind", NS_BIND) &&
          el.attr("type") === "set"
        ) {
          return this.bind(el);
        }
        if (el.xmlns === NS_SM && el.name === "resume") return this.resumeSession(el);
        if (el.xmlns === NS_SM && el.name === "enable") {
          this.write(
            failed("unexpected-request", "bind a resource before enabling stream management"),
          );
          return;
        }
        if (el.xmlns === NS_CSI && (el.name === "active" || el.name === "inactive")) {
          this.csiInactive = el.name === "inactive";
          return;
        }
        return this.fail(
          new StreamError("not-authorized", "bind a resource before sending stanzas"),
        );
      case "bound":
        if (el.xmlns === NS_SM || el.xmlns === NS_CSI) {
          this.session!.nonza(el);
          return;
        }
        return this.stanza(el);
      case "closed":
        return;
    }
  }

  // ---- negotiation

  private startTls(): undefined {
    // Anything pipelined after <starttls/> in plaintext is discarded, never parsed.
    this.wire.halt();
    this.write(xml("proceed", { xmlns: NS_TLS }));
    const seconds = this.ctx.config.limits.tlsHandshakeSeconds;
    this.ctx.sweeper.set(this.tlsDeadline, seconds * 1000, () =>
      this.wire.teardown(`TLS handshake took longer than ${seconds} seconds`),
    );
    this.wire.startTls(this.ctx.tls.context, (err) => {
      this.ctx.sweeper.clear(this.tlsDeadline);
      if (err) return this.wire.teardown(`TLS handshake failed: ${err.message}`);
      this.phase = "auth";
      this.headerSent = false;
      this.sasl = this.newSasl();
      this.wire.restart();
    });
    return undefined;
  }

  private newSasl(): SaslNegotiation {
    const binding = channelBindingFromTls(this.wire.tlsSocket!, this.ctx.tls.certDer);
    return new SaslNegotiation(this.ctx, this.address, binding);
  }

  private async authenticate(el: Element): Promise<void> {
    const outcome = await this.sasl!.handle(el);
    if (this.phase !== "auth") return;
    this.write(outcome.reply);
    if (outcome.kind === "success") {
      this.username = outcome.username;
      this.sasl = undefined; // an idle session keeps nothing of its login
      this.phase = "bind";
      this.headerSent = false;
      this.backlog.length = 0; // a client must wait for <success/> before it restarts the stream
      this.wire.restart();
      this.ctx.log.info("authenticated", {
        user: outcome.username,
        address: this.address,
        mechanism: outcome.mechanism,
      });
    } else if (outcome.kind === "failure" && outcome.final) {
      this.phase = "closed";
      this.wire.close();
    }
  }

  /** An IQ a module answers before authentication; the stream stays in the auth phase. */
  private async preauthIq(iq: Element, handler: PreauthIqHandler): Promise<void> {
    const reply = await handler(iq, { address: this.address, stream: this });
    if (this.phase === "auth") this.write(reply);
  }

  private bind(iq: Element): undefined {
    const { sessions, config } = this.ctx;
    // The organisation's max-sessions rule, when tighter than the server's own limit, is a
    // policy deny: RFC 6120 §7.6.2.1 `resource-constraint` ("reached a limit on the number of
    // simultaneous connected resources"), with a text that names the organisation's rule.
    const byPolicy = this.ctx.policy.current.forUser(this.username).rules.maxSessions;
    const fromPolicy = byPolicy !== undefined && byPolicy < config.limits.sessionsPerAccount;
    const binding = chooseBinding(
      iq,
      this.username,
      this.ctx.domain,
      sessions,
      fromPolicy ? byPolicy : config.limits.sessionsPerAccount,
    );
    if (
      binding instanceof StanzaError &&
      fromPolicy &&
      binding.condition === "resource-constraint"
    ) {
      const text = `your organisation allows at most ${byPolicy} sessions at once; close one and try again`;
      this.write(errorReply(iq, new StanzaError("resource-constraint", text, "cancel"))!);
      this.ctx.bus.fire("policy-denied", { user: this.username, rule: "max-sessions", text });
      return undefined;
    }
    if (binding instanceof StanzaError) {
      this.write(errorReply(iq, binding)!);
      return undefined;
    }
    const session = new ClientSession(this.ctx, this, binding.jid);
    sessions.add(session);
    binding.replacing?.close(
      new StreamError("conflict", "replaced by a new session with the same resource"),
    );
    this.established(session);
    this.write(
      xml(
        "iq",
        { type: "result", id: iq.attr("id") },
        xml("bind", { xmlns: NS_BIND }, xml("jid", null, binding.jid.toString())),
      ),
    );
    if (this.csiInactive) session.setInactive(true);
    this.ctx.bus.fire("session-bound", { session });
    session.identity = new ClientIdentity(this.ctx, session, (el) => this.intake(el));
    session.identity.start();
    return undefined;
  }

  /**
   * XEP-0198 §5: takes over a session of the same authenticated user. Another user's id
   * gets exactly the answer an unknown id gets, so ids cannot be probed across accounts.
   */
  private resumeSession(el: Element): undefined {
    const hText = el.attr("h");
    const h = parseH(hText);
    if (hText !== undefined && h === undefined) {
      this.write(failed("bad-request", "h must be an integer from 0 to 4294967295"));
      return;
    }
    const session = this.ctx.resumptions.get(el.attr("previd") ?? "");
    if (session === undefined || session.username !== this.username) {
      this.write(failed("item-not-found", "there is no session to resume with this id"));
      return;
    }
    const r = session.checkResume(h);
    if (!r.ok) return this.fail(new StreamError("undefined-condition", r.text), r.extra);
    // Carry the session before it acts: whatever it does next may already close this stream.
    this.established(session);
    session.resume(this, h);
    if (this.csiInactive) session.setInactive(true);
    return undefined;
  }

  /** The stream now carries a session: it no longer counts as unauthenticated. */
  private established(session: ClientSession): void {
    this.session = session;
    this.phase = "bound";
    this.counted = false;
    this.ctx.unauthenticated.dec(this.address);
    this.ctx.sweeper.clear(this);
  }

  // ---- stanzas

  /**
   * A stanza from the bound client: its answer to the server's version question is taken
   * first (neither counted nor refused); then the user's stanza rate; then, while
   * `clients.allowed` waits for the client's identity, the stanza is held; else it is routed.
   */
  private stanza(el: Element): undefined {
    const session = this.session!;
    if (session.identity?.answer(el)) {
      session.handledInbound();
      return;
    }
    const rate = this.ctx.rates.stanza(session.username);
    if (!rate.ok) {
      if (waitsInsteadOfRefusal(el)) {
        this.backlog.unshift(el); // nothing lost: it is taken again once the rate allows
        this.slowDown(rate.waitMs);
      } else {
        refuseOverRate(this.ctx, session, el, rate.limit);
        session.handledInbound();
      }
      return;
    }
    if (session.identity?.hold(el)) return;
    return this.intake(el);
  }

  /** Routes or answers a stanza (RFC 6120 §8.1 checks first). */
  private intake(el: Element): undefined {
    const session = this.session;
    if (session === undefined || this.phase !== "bound") return;
    const err = intakeStanza(el, session, this.ctx);
    if (err) this.fail(err);
    else session.handledInbound();
    return undefined;
  }
}

/** The module stream features to offer now (a function feature decides each time). */
function offered(features: readonly StreamFeature[]): Element[] {
  return features.flatMap((f) => {
    const el = typeof f === "function" ? f() : f;
    return el === undefined ? [] : [el];
  });
}
