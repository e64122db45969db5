// Client-to-server XML stream (RFC 6120 §4-§7): header, STARTTLS, SASL, binding, stanzas.

import { randomUUID } from "node:crypto";
import type { Socket } from "node:net";
import type { TLSSocket } from "node:tls";
import { type Jid, parseJid } from "@hato/jid";
import { channelBindingFromTls } from "@hato/sasl";
import {
  type Element,
  NS_BIND,
  NS_CLIENT,
  NS_SASL,
  NS_SESSION,
  NS_STREAM,
  NS_TLS,
  StreamParser,
  serialize,
  xml,
} from "@hato/xml";
import { Connection } from "../connection.js";
import { errorReply, StanzaError, StreamError } from "../errors.js";
import type { Session } from "../session.js";
import { chooseBinding } from "./bind.js";
import type { C2sContext, PreauthIqHandler } from "./context.js";
import { intakeStanza } from "./intake.js";
import { SaslNegotiation } from "./sasl.js";

type Phase = "tls" | "auth" | "bind" | "bound" | "closed";

// Elements parsed while an asynchronous step (SASL) runs wait here; the socket is paused
// meanwhile, so this holds at most what one read brought in.
const MAX_BACKLOG = 64;

/** One client connection, from the first byte to the end of its session. */
export class C2sStream implements Session {
  readonly id = randomUUID();
  readonly address: string;
  jid!: Jid;
  username = "";
  resource = "";
  available = false;
  priority = 0;
  presence: Element | undefined = undefined;
  hibernated = false;

  private phase: Phase;
  private readonly conn: Connection;
  private readonly parser: StreamParser;
  private headerSent = false;
  private sasl: SaslNegotiation | undefined;
  private busy = false;
  private readonly backlog: Element[] = [];
  private counted = true; // still counted as unauthenticated for its address
  private jidText = "";
  private readonly tlsDeadline = {};

  constructor(
    private readonly ctx: C2sContext,
    socket: Socket,
    directTls: boolean,
  ) {
    this.phase = directTls ? "auth" : "tls";
    this.conn = new Connection(socket, ctx.config.limits.outboundQueueBytes, {
      data: (chunk) => this.parser.write(chunk),
      closed: (reason) => this.closed(reason),
    });
    this.address = this.conn.address;
    this.parser = new StreamParser(
      {
        streamStart: (root) => this.streamStart(root),
        stanza: (el) => this.element(el),
        streamEnd: () => this.end(),
        error: (e) => this.fail(new StreamError(e.condition, e.text)),
      },
      ctx.parserLimits,
    );
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

  // ---- Session

  send(stanza: Element, written?: (ok: boolean) => void): void {
    this.conn.write(serialize(stanza, NS_CLIENT), written);
  }

  close(error?: StreamError): void {
    if (error) this.fail(error);
    else this.end();
  }

  // ---- stream level

  private header(): string {
    this.headerSent = true;
    return (
      "<?xml version='1.0'?><stream:stream xmlns='jabber:client' " +
      `xmlns:stream='${NS_STREAM}' id='${randomUUID()}' from='${this.ctx.domain}' version='1.0' xml:lang='en'>`
    );
  }

  private streamStart(root: Element): undefined {
    const text = this.header();
    if (root.name !== "stream" || root.xmlns !== NS_STREAM) {
      this.conn.write(text);
      return this.fail(
        new StreamError(
          "invalid-namespace",
          "the stream root must be <stream:stream> in http://etherx.jabber.org/streams",
        ),
      );
    }
    const to = parseJid(root.attr("to") ?? "");
    if (
      !to.ok ||
      to.jid.domain !== this.ctx.domain ||
      to.jid.local !== "" ||
      to.jid.resource !== ""
    ) {
      this.conn.write(text);
      return this.fail(
        new StreamError("host-unknown", `this server hosts ${this.ctx.domain} only`),
      );
    }
    const version = /^(\d+)\.(\d+)$/.exec(root.attr("version") ?? "");
    if (version?.[1] !== "1") {
      this.conn.write(text);
      return this.fail(
        new StreamError("unsupported-version", "only XMPP version 1.0 streams are supported"),
      );
    }
    this.conn.write(
      text +
        "<stream:features>" +
        this.features()
          .map((f) => serialize(f, NS_CLIENT))
          .join("") +
        "</stream:features>",
    );
    return undefined;
  }

  private features(): Element[] {
    switch (this.phase) {
      case "tls":
        return [xml("starttls", { xmlns: NS_TLS }, xml("required"))];
      case "auth":
        return [...this.sasl!.features(), ...this.ctx.extensions.features.auth];
      case "bind":
        return [
          xml("bind", { xmlns: NS_BIND }),
          xml("session", { xmlns: NS_SESSION }, xml("optional")),
          ...this.ctx.extensions.features.bind,
        ];
      default:
        return [];
    }
  }

  /** Sends a stream error and closes (RFC 6120 §4.9.1.1). */
  private fail(err: StreamError): undefined {
    if (this.phase === "closed") return;
    this.ctx.log.debug("stream error", {
      address: this.address,
      condition: err.condition,
      text: err.text,
    });
    const head = this.headerSent ? "" : this.header();
    const e = err.toElement();
    const body = e.children.map((c) => serialize(c as Element, NS_STREAM)).join("");
    this.phase = "closed";
    this.parser.halt();
    this.conn.write(`${head}<stream:error>${body}</stream:error></stream:stream>`);
    this.conn.end();
    return undefined;
  }

  /** The peer closed its stream: close ours too (RFC 6120 §4.4). */
  private end(): void {
    if (this.phase === "closed") return;
    this.phase = "closed";
    this.parser.halt();
    this.conn.write("</stream:stream>");
    this.conn.end();
  }

  private closed(reason: string): void {
    this.phase = "closed";
    this.ctx.sweeper.clear(this);
    this.ctx.sweeper.clear(this.tlsDeadline);
    if (this.counted) {
      this.counted = false;
      this.ctx.unauthenticated.dec(this.address);
    }
    if (this.jidText !== "" && this.ctx.sessions.remove(this)) {
      // Handlers still see `presence`: a session that was available must announce leaving.
      this.available = false;
      this.ctx.bus.fire("session-closed", { session: this, reason });
      this.presence = undefined;
    }
  }

  // ---- elements, in order

  private element(el: Element): void {
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
      this.conn.socket.pause();
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
    while (this.backlog.length > 0 && !this.busy && this.phase !== "closed")
      this.element(this.backlog.shift()!);
    if (!this.busy && this.phase !== "closed") this.conn.socket.resume();
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
          this.conn.write(`<failure xmlns='${NS_TLS}'/></stream:stream>`);
          this.phase = "closed";
          this.conn.end();
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
        return this.fail(
          new StreamError("not-authorized", "bind a resource before sending stanzas"),
        );
      case "bound":
        return this.stanza(el);
      case "closed":
        return;
    }
  }

  // ---- negotiation

  private startTls(): undefined {
    // Anything pipelined after <starttls/> in plaintext is discarded, never parsed.
    this.parser.halt();
    this.conn.write(`<proceed xmlns='${NS_TLS}'/>`);
    const seconds = this.ctx.config.limits.tlsHandshakeSeconds;
    this.ctx.sweeper.set(this.tlsDeadline, seconds * 1000, () =>
      this.conn.teardown(`TLS handshake took longer than ${seconds} seconds`),
    );
    this.conn.startTls(this.ctx.tls.context, (err) => {
      this.ctx.sweeper.clear(this.tlsDeadline);
      if (err) return this.conn.teardown(`TLS handshake failed: ${err.message}`);
      this.phase = "auth";
      this.headerSent = false;
      this.sasl = this.newSasl();
      this.parser.reset();
    });
    return undefined;
  }

  private newSasl(): SaslNegotiation {
    const binding = channelBindingFromTls(this.conn.socket as TLSSocket, this.ctx.tls.certDer);
    return new SaslNegotiation(this.ctx, this.address, binding);
  }

  private async authenticate(el: Element): Promise<void> {
    const outcome = await this.sasl!.handle(el);
    if (this.phase !== "auth") return;
    this.conn.write(serialize(outcome.reply, NS_CLIENT));
    if (outcome.kind === "success") {
      this.username = outcome.username;
      this.sasl = undefined; // an idle session keeps nothing of its login
      this.phase = "bind";
      this.headerSent = false;
      this.backlog.length = 0; // a client must wait for <success/> before it restarts the stream
      this.parser.reset();
      this.ctx.log.info("authenticated", {
        user: outcome.username,
        address: this.address,
        mechanism: outcome.mechanism,
      });
    } else if (outcome.kind === "failure" && outcome.final) {
      this.conn.write("</stream:stream>");
      this.phase = "closed";
      this.conn.end();
    }
  }

  /** An IQ a module answers before authentication; the stream stays in the auth phase. */
  private async preauthIq(iq: Element, handler: PreauthIqHandler): Promise<void> {
    const reply = await handler(iq, { address: this.address });
    if (this.phase === "auth") this.send(reply);
  }

  private bind(iq: Element): undefined {
    const { sessions, config } = this.ctx;
    const binding = chooseBinding(
      iq,
      this.username,
      this.ctx.domain,
      sessions,
      config.limits.sessionsPerAccount,
    );
    if (binding instanceof StanzaError) {
      this.send(errorReply(iq, binding)!);
      return undefined;
    }
    this.jid = binding.jid;
    this.jidText = binding.jid.toString();
    this.resource = binding.jid.resource;
    sessions.add(this);
    binding.replacing?.close(
      new StreamError("conflict", "replaced by a new session with the same resource"),
    );
    this.phase = "bound";
    this.counted = false;
    this.ctx.unauthenticated.dec(this.address);
    this.ctx.sweeper.clear(this);
    this.send(
      xml(
        "iq",
        { type: "result", id: iq.attr("id") },
        xml("bind", { xmlns: NS_BIND }, xml("jid", null, this.jidText)),
      ),
    );
    this.ctx.bus.fire("session-bound", { session: this });
    return undefined;
  }

  // ---- stanzas

  private stanza(el: Element): undefined {
    const err = intakeStanza(el, this, this.ctx);
    if (err) this.fail(err);
    return undefined;
  }

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
}
