// RFC 6121 §2.1 roster items as XML, and the checks a roster set must pass (§2.3.3).
import { StanzaError } from "@hato/core";
import { parseJid } from "@hato/jid";
import type { RosterItem } from "@hato/storage";
import { type Element, NS_ROSTER, xml } from "@hato/xml";

/** The `<item/>` a roster result or push carries. */
export function itemElement(item: RosterItem): Element {
  const el = xml("item", {
    jid: item.jid,
    name: item.name,
    subscription: item.subscription,
    ask: item.ask ? "subscribe" : undefined,
    approved: item.approved ? "true" : undefined,
  });
  for (const g of item.groups) el.append(xml("group", null, g));
  return el;
}

/** A `<query/>` with a version (XEP-0237 / RFC 6121 §2.6) and items. */
export function queryElement(ver: string | undefined, items: Element[]): Element {
  return xml("query", { xmlns: NS_ROSTER, ver }, ...items);
}

/**
 * The `ver` clients see: the account's creation time (ms) and the roster's version number.
 * A deleted and re-created account starts counting at 0 again; with the creation time in
 * it, a client's cached version of the old account never matches the new one's.
 */
export function verString(createdAt: Date, version: number): string {
  return `${createdAt.getTime()}-${version}`;
}

export interface RosterLimits {
  maxNameLength: number;
  maxGroupLength: number;
  maxGroups: number;
}

/** What a valid roster set asks for. */
export type RosterSet =
  | { remove: true; jid: string }
  | { remove: false; jid: string; name: string | undefined; groups: string[] };

const length = (s: string) => [...s].length;

/**
 * Reads the one item of a roster set (RFC 6121 §2.3.3). Values of `subscription` other
 * than "remove" and any `ask` are ignored (§2.1.2.5, §2.1.2.2): only presence changes those.
 */
export function parseRosterSet(query: Element, own: string, limits: RosterLimits): RosterSet {
  const children = query.elements();
  const items = children.filter((c) => c.name === "item" && c.xmlns === NS_ROSTER);
  if (items.length !== 1 || children.length !== 1) {
    throw new StanzaError(
      "bad-request",
      `a roster set carries exactly one <item/>; this one has ${items.length} items and ${children.length - items.length} other elements`,
    );
  }
  const item = items[0]!;
  const jidAttr = item.attr("jid");
  if (jidAttr === undefined) throw new StanzaError("bad-request", "the roster item has no jid");
  const parsed = parseJid(jidAttr);
  if (!parsed.ok) {
    throw new StanzaError("bad-request", `the roster item's jid is not valid: ${parsed.reason}`);
  }
  if (!parsed.jid.isBare()) {
    throw new StanzaError("bad-request", "a roster item's jid is a bare JID, without a resource");
  }
  const jid = parsed.jid.toString();
  if (jid === own) {
    throw new StanzaError("not-allowed", "your own JID cannot be a roster item");
  }
  if (item.attr("subscription") === "remove") return { remove: true, jid };

  let name = item.attr("name");
  if (name === "") name = undefined;
  if (name !== undefined && length(name) > limits.maxNameLength) {
    throw new StanzaError(
      "not-acceptable",
      `the roster item's name is longer than ${limits.maxNameLength} characters`,
    );
  }
  const groups: string[] = [];
  for (const c of item.elements()) {
    if (c.name !== "group" || c.xmlns !== NS_ROSTER) continue; // extensions are not stored
    const g = c.text();
    if (g === "") throw new StanzaError("not-acceptable", "a roster group name is empty");
    if (length(g) > limits.maxGroupLength) {
      throw new StanzaError(
        "not-acceptable",
        `a roster group name is longer than ${limits.maxGroupLength} characters`,
      );
    }
    if (groups.includes(g)) {
      throw new StanzaError("bad-request", `the group "${g}" is listed twice`);
    }
    groups.push(g);
  }
  if (groups.length > limits.maxGroups) {
    throw new StanzaError(
      "not-allowed",
      `a roster item may be in at most ${limits.maxGroups} groups; this one names ${groups.length}`,
    );
  }
  return { remove: false, jid, name, groups };
}
