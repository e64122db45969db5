// XEP-0352 Client State Indication: what an inactive client can wait for, and the held queue.

import type { Element } from "@hato/xml";

const NS_CHATSTATES = "http://jabber.org/protocol/chatstates";
const NS_CARBONS = "urn:xmpp:carbons:2";
const NS_FORWARD = "urn:xmpp:forward:0";
const NS_MAM = "urn:xmpp:mam:2";
const NS_RECEIPTS = "urn:xmpp:receipts";

/**
 * Payloads that make a message worth waking a phone for: end-to-end encryption (OMEMO, both
 * versions, and OpenPGP), call invitations (XEP-0353) and group chat invitations.
 */
const URGENT_PAYLOADS = new Set([
  "eu.siacs.conversations.axolotl encrypted",
  "urn:xmpp:omemo:2 encrypted",
  "urn:xmpp:openpgp:0 openpgp",
  "jabber:x:encrypted x",
  "urn:xmpp:jingle-message:0 propose",
  "urn:xmpp:jingle-message:1 propose",
  "jabber:x:conference x",
  `${NS_RECEIPTS} request`,
]);

/**
 * How a stanza is treated while the client is inactive: `urgent` goes out at once (after the
 * held queue, so the order per sender is kept); `latest` is held and replaced by a newer one
 * with the same key; `hold` waits in order.
 */
export type Treatment = { kind: "urgent" } | { kind: "latest"; key: string } | { kind: "hold" };

const URGENT: Treatment = { kind: "urgent" };
const HOLD: Treatment = { kind: "hold" };

/** Decides how an inactive client gets a stanza. */
export function treatment(el: Element): Treatment {
  const type = el.attr("type");
  if (el.name === "iq" || type === "error") return URGENT;
  if (el.name === "presence") {
    // Subscription requests and answers change the roster: the user must see them.
    if (type !== undefined && type !== "unavailable") return URGENT;
    return { kind: "latest", key: `p ${el.attr("from") ?? ""}` };
  }
  if (el.name !== "message") return URGENT;
  const inner = carried(el);
  if (inner !== el) return treatment(inner) === URGENT ? URGENT : HOLD;
  let chatState = false;
  for (const c of el.elements()) {
    if (c.xmlns === undefined || c.xmlns === el.xmlns) {
      if (c.name === "body" || c.name === "subject") return URGENT;
      continue;
    }
    if (c.xmlns === NS_CHATSTATES) chatState = true;
    else if (c.xmlns === NS_MAM && c.name === "result")
      return URGENT; // the client asked for it
    else if (URGENT_PAYLOADS.has(`${c.xmlns} ${c.name}`)) return URGENT;
  }
  return chatState ? { kind: "latest", key: `c ${el.attr("from") ?? ""}` } : HOLD;
}

/** The message inside a carbon copy (XEP-0280), or the message itself. */
function carried(el: Element): Element {
  const wrapper = el.getChild("sent", NS_CARBONS) ?? el.getChild("received", NS_CARBONS);
  return wrapper?.getChild("forwarded", NS_FORWARD)?.getChild("message") ?? el;
}

/** A stanza waiting for the client to become active. */
export interface Held {
  stanza: Element;
  written: ((ok: boolean) => void) | undefined;
}

/**
 * Stanzas held back in arrival order. A `latest` stanza replaces the one with its key and
 * moves to the end, so the client gets, for example, only each contact's newest presence.
 */
export class HeldQueue {
  private readonly items = new Map<string | number, Held>();
  private seq = 0;

  get size(): number {
    return this.items.size;
  }

  add(t: Treatment, held: Held): void {
    if (t.kind === "latest") {
      const old = this.items.get(t.key);
      if (old) {
        this.items.delete(t.key);
        old.written?.(true); // superseded: nothing is left to deliver
      }
      this.items.set(t.key, held);
    } else this.items.set(this.seq++, held);
  }

  /** Empties the queue, oldest first. */
  take(): Held[] {
    const out = [...this.items.values()];
    this.items.clear();
    return out;
  }
}
