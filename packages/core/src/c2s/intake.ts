// RFC 6120 §8.1 rules for stanzas a bound client sends: check and stamp `from`, prepare `to`, route.

import { type Jid, parseJid } from "@hato/jid";
import { type Element, NS_CLIENT, NS_SESSION, xml } from "@hato/xml";
import { errorReply, StanzaError, StreamError } from "../errors.js";
import type { Router } from "../router.js";
import type { Session } from "../session.js";

const STANZAS = new Set(["message", "presence", "iq"]);

/** The session a stanza comes from, with the one piece of state presence sets. */
export interface ClientSession extends Session {
  setPresence(available: boolean, priority: number, stanza: Element): void;
}

/**
 * Takes one top-level element from a bound client. Returns the stream error that must
 * close the stream, or undefined when the element was routed or answered.
 */
export function intakeStanza(
  el: Element,
  session: ClientSession,
  ctx: { router: Router },
): StreamError | undefined {
  if (!STANZAS.has(el.name)) {
    return new StreamError(
      "unsupported-stanza-type",
      `<${el.name}/> in ${el.xmlns ?? "no namespace"} is not supported here`,
    );
  }
  if (el.xmlns !== NS_CLIENT) {
    return new StreamError(
      "invalid-namespace",
      `stanzas on a client stream must be in ${NS_CLIENT}`,
    );
  }
  const own: Jid = session.jid;
  const from = el.attr("from");
  if (from !== undefined) {
    const f = parseJid(from);
    if (!f.ok || !(f.jid.equals(own) || f.jid.equals(own.bare))) {
      return new StreamError("invalid-from", "the from address must be your own");
    }
  }
  // The server stamps the sender: whatever the client claimed, this is who sent it.
  el.attrs.from = own.toString();
  const toAttr = el.attr("to");
  if (toAttr === undefined) {
    if (el.name === "presence") ownPresence(el, session);
    else if (el.name === "iq" && el.attr("type") === "set" && el.getChild("session", NS_SESSION)) {
      // RFC 3921 session establishment: a no-op kept for old clients.
      session.send(xml("iq", { type: "result", id: el.attr("id") }));
    } else ctx.router.route(el, own, own.bare, session);
    return undefined;
  }
  const to = parseJid(toAttr);
  if (!to.ok) {
    const reply = errorReply(
      el,
      new StanzaError("jid-malformed", `the to address is not a valid JID: ${to.reason}`),
    );
    if (reply) {
      delete reply.attrs.from;
      reply.attrs.to = own.toString();
      session.send(reply);
    }
    return undefined;
  }
  el.attrs.to = to.jid.toString();
  ctx.router.route(el, own, to.jid, session);
  return undefined;
}

/** Presence without a `to` sets the session's availability (RFC 6121 §4.2, §4.5). */
function ownPresence(el: Element, session: ClientSession): void {
  const type = el.attr("type");
  const refuse = (text: string) => {
    const reply = errorReply(el, new StanzaError("bad-request", text));
    if (reply) session.send(reply);
  };
  if (type === "unavailable") {
    session.setPresence(false, session.priority, el);
    return;
  }
  if (type !== undefined) {
    refuse(`presence of type ${type} needs a to address`);
    return;
  }
  const p = el.getChildText("priority");
  let priority = session.priority;
  if (p !== undefined) {
    priority = /^\s*[+-]?\d{1,3}\s*$/.test(p) ? Number(p) : Number.NaN;
    if (!(priority >= -128 && priority <= 127)) {
      refuse("priority must be an integer from -128 to 127");
      return;
    }
  }
  session.setPresence(true, priority, el);
}
