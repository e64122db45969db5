// XEP-0114 Jabber Component Protocol: the accepting side of an external component's stream.
//
// The protocol is plaintext and authenticates with a shared secret only, so the component port
// must be reachable from loopback or a private network alone, never from the internet.

import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { Socket } from "node:net";
import { parseJid } from "@hato/jid";
import {
  type Element,
  NS_CLIENT,
  NS_COMPONENT,
  NS_STREAM,
  type ParserLimits,
  StreamParser,
  serialize,
} from "@hato/xml";
import type { Config } from "../config.js";
import { Connection } from "../connection.js";
import { errorReply, StanzaError, StreamError } from "../errors.js";
import type { Gauge, Sweeper } from "../limits.js";
import type { Logger } from "../logger.js";
import type { Router } from "../router.js";
import type { ComponentLink, ComponentRegistry } from "./registry.js";

const STANZAS = new Set(["message", "presence", "iq"]);

/** What every component stream shares. */
export interface ComponentContext {
  config: Config;
  log: Logger;
  router: Router;
  registry: ComponentRegistry;
  sweeper: Sweeper;
  parserLimits: Partial<ParserLimits>;
  /** Connections per address that have not completed their handshake. */
  unauthenticated: Gauge;
}

type Phase = "header" | "handshake" | "ready" | "closed";

/** The lowercase hex SHA-1 of stream id and secret (XEP-0114 §3). */
export function handshakeDigest(streamId: string, secret: string): string {
  return createHash("sha1")
    .update(streamId + secret, "utf8")
    .digest("hex");
}

/** One external component connection. */
export class ComponentStream implements ComponentLink {
  domain = "";
  private phase: Phase = "header";
  private readonly id = randomBytes(16).toString("hex");
  private readonly conn: Connection;
  private readonly parser: StreamParser;
  private headerSent = false;
  private counted = true;

  constructor(
    private readonly ctx: ComponentContext,
    socket: Socket,
  ) {
    this.conn = new Connection(socket, ctx.config.limits.outboundQueueBytes, {
      data: (chunk) => this.parser.write(chunk),
      closed: (reason) => this.closed(reason),
    });
    this.parser = new StreamParser(
      {
        streamStart: (root) => this.streamStart(root),
        stanza: (el) => this.element(el),
        streamEnd: () => this.end(),
        error: (e) => this.fail(new StreamError(e.condition, e.text)),
      },
      ctx.parserLimits,
    );
    const { authSeconds, unauthenticatedPerAddress } = ctx.config.limits;
    ctx.sweeper.set(this, authSeconds * 1000, () =>
      this.fail(
        new StreamError(
          "connection-timeout",
          `no handshake was completed within ${authSeconds} seconds`,
        ),
      ),
    );
    if (ctx.unauthenticated.inc(this.conn.address) > unauthenticatedPerAddress) {
      this.fail(
        new StreamError(
          "policy-violation",
          "too many unauthenticated connections from your address",
        ),
      );
    }
  }

  // ---- ComponentLink

  /** Stanzas inside Hato are in jabber:client; on this stream that namespace is the default. */
  send(stanza: Element): void {
    this.conn.write(serialize(stanza, NS_CLIENT));
  }

  close(error?: StreamError): void {
    if (error) this.fail(error);
    else this.end();
  }

  // ---- stream level

  private header(from: string): string {
    this.headerSent = true;
    return (
      `<?xml version='1.0'?><stream:stream xmlns:stream='${NS_STREAM}' ` +
      `xmlns='${NS_COMPONENT}' id='${this.id}' from='${from}'>`
    );
  }

  private streamStart(root: Element): void {
    if (this.phase !== "header") return;
    if (root.name !== "stream" || root.xmlns !== NS_STREAM) {
      this.fail(
        new StreamError(
          "invalid-namespace",
          "the stream root must be <stream:stream> in http://etherx.jabber.org/streams",
        ),
      );
      return;
    }
    const to = parseJid(root.attr("to") ?? "");
    const domain = to.ok && to.jid.local === "" && to.jid.resource === "" ? to.jid.domain : "";
    if (domain === "" || this.ctx.registry.secretOf(domain) === undefined) {
      this.fail(new StreamError("host-unknown", "no component with that domain is configured"));
      return;
    }
    this.domain = domain;
    this.phase = "handshake";
    this.conn.write(this.header(domain));
  }

  private fail(err: StreamError): void {
    if (this.phase === "closed") return;
    this.ctx.log.debug("component stream error", {
      address: this.conn.address,
      component: this.domain,
      condition: err.condition,
      text: err.text,
    });
    const head = this.headerSent ? "" : this.header(this.domain || this.ctx.config.domain);
    const body = err
      .toElement()
      .children.map((c) => serialize(c as Element, NS_STREAM))
      .join("");
    this.phase = "closed";
    this.parser.halt();
    this.conn.write(`${head}<stream:error>${body}</stream:error></stream:stream>`);
    this.conn.end();
  }

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
    this.uncount();
    if (this.ctx.registry.detach(this))
      this.ctx.log.info("component disconnected", { component: this.domain, reason });
  }

  private uncount(): void {
    if (!this.counted) return;
    this.counted = false;
    this.ctx.unauthenticated.dec(this.conn.address);
  }

  // ---- elements

  private element(el: Element): void {
    if (this.phase === "handshake") this.handshake(el);
    else if (this.phase === "ready") this.stanza(el);
  }

  private handshake(el: Element): void {
    if (el.name !== "handshake" || el.xmlns !== NS_COMPONENT) {
      this.fail(new StreamError("not-authorized", "send the handshake before anything else"));
      return;
    }
    const secret = this.ctx.registry.secretOf(this.domain)!;
    const expected = Buffer.from(handshakeDigest(this.id, secret), "utf8");
    const given = Buffer.from(el.text().trim().toLowerCase(), "utf8");
    // Constant time for equal lengths; the length of a hex SHA-1 is no secret.
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      this.ctx.log.info("component handshake failed", {
        component: this.domain,
        address: this.conn.address,
      });
      this.fail(new StreamError("not-authorized", "the handshake does not match the secret"));
      return;
    }
    this.phase = "ready";
    this.ctx.sweeper.clear(this);
    this.uncount();
    // A component that lost its network comes back before its dead connection times out;
    // both hold the secret, so the newer one wins and the older one is told why it goes.
    const old = this.ctx.registry.attach(this);
    old?.close(new StreamError("conflict", `replaced by a new connection for ${this.domain}`));
    this.conn.write("<handshake/>");
    this.ctx.log.info("component connected", {
      component: this.domain,
      address: this.conn.address,
    });
  }

  /** XEP-0114 §3: stanzas need a `from` in the component's domain and a `to`. */
  private stanza(el: Element): void {
    if (!STANZAS.has(el.name)) {
      this.fail(
        new StreamError(
          "unsupported-stanza-type",
          `<${el.name}/> in ${el.xmlns ?? "no namespace"} is not supported here`,
        ),
      );
      return;
    }
    if (el.xmlns !== NS_COMPONENT) {
      this.fail(
        new StreamError(
          "invalid-namespace",
          `stanzas on a component stream must be in ${NS_COMPONENT}`,
        ),
      );
      return;
    }
    const fromAttr = el.attr("from");
    const toAttr = el.attr("to");
    if (fromAttr === undefined || toAttr === undefined) {
      this.fail(
        new StreamError("improper-addressing", "a component's stanzas need both from and to"),
      );
      return;
    }
    const from = parseJid(fromAttr);
    if (!from.ok || from.jid.domain !== this.domain) {
      this.fail(new StreamError("invalid-from", `the from address must be in ${this.domain}`));
      return;
    }
    toClientNamespace(el);
    el.attrs.from = from.jid.toString();
    const to = parseJid(toAttr);
    if (!to.ok) {
      const reply = errorReply(
        el,
        new StanzaError("jid-malformed", `the to address is not a valid JID: ${to.reason}`),
      );
      if (reply) {
        reply.attrs.from = this.domain;
        reply.attrs.to = from.jid.toString();
        this.send(reply);
      }
      return;
    }
    el.attrs.to = to.jid.toString();
    // No origin session: answers and bounces come back through the router, to this domain.
    this.ctx.router.route(el, from.jid, to.jid, undefined);
  }
}

/** Moves a stanza and its jabber:component:accept descendants to jabber:client, as routed inside. */
function toClientNamespace(el: Element): void {
  if (el.xmlns === NS_COMPONENT) el.xmlns = NS_CLIENT;
  for (const c of el.children) if (typeof c !== "string") toClientNamespace(c);
}
