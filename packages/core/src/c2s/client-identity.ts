// Which client software a session runs: the server asks it (XEP-0092 Software Version) and
// reads the XEP-0115 caps node of its first presence. Where the organisation allows only some
// clients (`clients.allowed`), the session's stanzas are held until the identity is known:
// an allowed one releases them in order, anything else ends the stream. A management aid, not
// a security boundary: a client can claim to be anything.

import { randomUUID } from "node:crypto";
import { type Element, xml } from "@hato/xml";
import { StreamError } from "../errors.js";
import type { ClientSoftware, Session } from "../session.js";
import type { C2sContext } from "./context.js";

const NS_VERSION = "jabber:iq:version";
const NS_CAPS = "http://jabber.org/protocol/caps";
/** Longest name, version, os or node kept: enough for any real client, no room for a novel. */
const MAX_FIELD = 128;
/** Allowed clients named in a refusal's text, so a long list does not make a huge text. */
const NAMED_IN_TEXT = 5;

/** What the identity needs of the session. */
export interface IdentityHost extends Session {
  software?: ClientSoftware;
}

/** Printable text, trimmed and cut to MAX_FIELD; undefined when nothing is left. */
function clean(s: string | undefined): string | undefined {
  if (s === undefined) return undefined;
  const t = s.replace(/[\u0000-\u001f\u007f]/g, " ").trim();
  return t === "" ? undefined : t.slice(0, MAX_FIELD);
}

/** One session's client identity, from bind until it is known (or given up on). */
export class ClientIdentity {
  private queryId: string | undefined;
  private answered = false;
  private presenceSeen = false;
  private settled = false;
  /** The allowed clients, while the session is held; undefined once released (or never held). */
  private allowed: string[] | undefined;
  private held: Element[] = [];
  private ended = false;

  constructor(
    private readonly ctx: C2sContext,
    private readonly host: IdentityHost,
    /** Routes a stanza that was held (intake), in the order it came. */
    private readonly release: (el: Element) => void,
  ) {}

  /** Right after bind: asks the client, and holds its stanzas when the user's rule lists clients. */
  start(): void {
    const allowed = this.ctx.policy.current.forUser(this.host.username).rules.allowedClients;
    if (allowed.length > 0) this.allowed = allowed;
    if (this.ctx.config.sessions.askClientVersion || this.allowed !== undefined) {
      this.queryId = `hato-version-${randomUUID()}`;
      // Straight to the session, not through the router: the server asks, so the
      // `version-queries` rule (about other users asking) does not apply.
      this.host.send(
        xml(
          "iq",
          { type: "get", id: this.queryId, from: this.ctx.domain, to: this.host.jid.toString() },
          xml("query", { xmlns: NS_VERSION }),
        ),
      );
    }
    const seconds = this.ctx.config.sessions.clientIdentitySeconds;
    this.ctx.sweeper.set(this, seconds * 1000, () => this.timeout(seconds));
  }

  /** Whether `el` is the client's answer to the server's query (then it is taken here). */
  answer(el: Element): boolean {
    if (this.queryId === undefined || el.name !== "iq" || el.attr("id") !== this.queryId)
      return false;
    const type = el.attr("type");
    if (type !== "result" && type !== "error") return false;
    const to = el.attr("to");
    if (to !== undefined && to !== this.ctx.domain) return false;
    this.queryId = undefined;
    this.answered = true;
    const q = type === "result" ? el.getChild("query", NS_VERSION) : undefined;
    if (q !== undefined) {
      const sw: ClientSoftware = { ...this.host.software };
      const name = clean(q.getChildText("name"));
      const version = clean(q.getChildText("version"));
      const os = clean(q.getChildText("os"));
      if (name !== undefined) sw.name = name;
      if (version !== undefined) sw.version = version;
      if (os !== undefined) sw.os = os;
      this.host.software = sw;
    }
    this.check();
    return true;
  }

  /**
   * Every other stanza from the client, before it is routed: reads the first presence's caps
   * node, and holds the stanza while the identity is not known. True when held.
   */
  hold(el: Element): boolean {
    if (!this.presenceSeen && el.name === "presence" && el.attr("to") === undefined) {
      this.presenceSeen = true;
      const node = clean(el.getChild("c", NS_CAPS)?.attr("node"));
      if (node !== undefined) this.host.software = { ...this.host.software, node };
    }
    if (this.allowed === undefined || this.ended) {
      this.check();
      return false;
    }
    this.held.push(el);
    const max = this.ctx.config.sessions.maxHeld;
    if (this.held.length > max) {
      this.refuse(
        `your organisation allows only some client software, and this client sent more than ${max} stanzas before saying which it is`,
      );
      return true;
    }
    this.check();
    return true;
  }

  /** Stops any timer (the session ended). */
  stop(): void {
    this.ended = true;
    this.held = [];
    this.ctx.sweeper.clear(this);
  }

  private matches(allowed: string[]): boolean {
    const { name, node } = this.host.software ?? {};
    const known = [name, node]
      .filter((s): s is string => s !== undefined)
      .map((s) => s.toLowerCase());
    return allowed.some((a) => known.includes(a.toLowerCase()));
  }

  /** Decides what can be decided with what is known now. */
  private check(): void {
    if (this.ended) return;
    const allowed = this.allowed;
    if (allowed !== undefined) {
      if (this.matches(allowed)) {
        this.allowed = undefined;
        const held = this.held;
        this.held = [];
        for (const el of held) {
          if (this.ended) break;
          this.release(el);
        }
      } else if (this.answered && this.presenceSeen) {
        this.refuse(this.refusal(allowed, "says it is"));
        return;
      }
    }
    if (this.answered || this.queryId === undefined) {
      if (this.presenceSeen) this.settle();
    }
  }

  private timeout(seconds: number): void {
    if (this.ended) return;
    this.queryId = undefined;
    if (this.allowed !== undefined && !this.matches(this.allowed)) {
      const sw = this.host.software;
      this.refuse(
        sw?.name === undefined && sw?.node === undefined
          ? `${this.allowedText(this.allowed)}; this client did not say which it is within ${seconds} seconds`
          : this.refusal(this.allowed, "says it is"),
      );
      return;
    }
    this.settle();
  }

  private allowedText(allowed: string[]): string {
    const named = allowed.slice(0, NAMED_IN_TEXT).map((a) => `"${a}"`);
    const more =
      allowed.length > NAMED_IN_TEXT ? ` and ${allowed.length - NAMED_IN_TEXT} more` : "";
    return `your organisation allows only these clients: ${named.join(", ")}${more}`;
  }

  private refusal(allowed: string[], verb: string): string {
    const sw = this.host.software ?? {};
    const parts: string[] = [];
    if (sw.name !== undefined)
      parts.push(`"${sw.name}${sw.version === undefined ? "" : ` ${sw.version}`}"`);
    if (sw.node !== undefined) parts.push(`caps node "${sw.node}"`);
    const what =
      parts.length === 0 ? "did not say which client it is" : `${verb} ${parts.join(", ")}`;
    return `${this.allowedText(allowed)}; this client ${what}`;
  }

  /** Ends the stream: the held stanzas are never routed (the point of the rule). */
  private refuse(text: string): void {
    if (this.ended) return;
    const user = this.host.username;
    this.stop();
    void this.ctx.bus.fire("policy-denied", { user, rule: "clients", text });
    this.host.close(new StreamError("policy-violation", text));
  }

  /** The identity is as known as it will be: tell the audit log (once). */
  private settle(): void {
    if (this.settled) return;
    this.settled = true;
    this.ctx.sweeper.clear(this);
    void this.ctx.bus.fire("session-client", { session: this.host });
  }
}
