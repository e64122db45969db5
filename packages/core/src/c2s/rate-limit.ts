// How a client stream answers the policy's stanza and byte rates (docs/policy.md, rate limits):
// the refusal of a stanza over the rate, and the denial records (coalesced in ctx.denials).

import type { Element } from "@hato/xml";
import { errorReply, StanzaError } from "../errors.js";
import type { ClientSession } from "./client-session.js";
import type { C2sContext } from "./context.js";

/**
 * Errors and IQ results must not be answered with an error (RFC 6120 §8.3.1), and someone
 * waits for them: over the rate they wait (reading paused) rather than being refused.
 */
export function waitsInsteadOfRefusal(el: Element): boolean {
  const type = el.attr("type");
  return type === "error" || (el.name === "iq" && type === "result");
}

/** Answers a stanza over the user's stanza rate with `policy-violation` (wait) and records it. */
export function refuseOverRate(
  ctx: C2sContext,
  session: ClientSession,
  el: Element,
  limit: number,
): void {
  const user = session.username;
  const text = `your organisation allows ${limit} stanzas per second; slow down`;
  const reply = errorReply(el, new StanzaError("policy-violation", text, "wait"));
  if (reply) {
    reply.attrs.to = session.jid.toString();
    if (reply.attrs.from === undefined) delete reply.attrs.from;
    session.send(reply);
  }
  ctx.denials.deny(`${user}\0stanzas`, { user, rule: "rate-limits", text });
}

/** Records that reading from a user's connection was slowed down (bytes over the rate). */
export function recordSlowedDown(ctx: C2sContext, user: string, limit: number): void {
  ctx.denials.deny(`${user}\0bytes`, {
    user,
    rule: "rate-limits",
    text: `reading slowed down: your organisation allows ${limit} bytes per second`,
  });
}
