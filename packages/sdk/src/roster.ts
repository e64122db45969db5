// RFC 6121 roster and presence: contacts, their best presence, subscription requests.

import { type Element, xml } from "@hato/xml";
import { bare, resourceOf } from "./jid.js";
import { NS_ROSTER } from "./ns.js";
import type { Contact, Show } from "./types.js";

/** Caps on what the roster keeps (a hostile server or contact cannot grow them without end). */
export const ROSTER_LIMITS = {
  contacts: 5000,
  resourcesPerContact: 16,
  pendingRequests: 200,
  statusChars: 1024,
};

interface ResourcePresence {
  show: Show;
  status?: string;
  priority: number;
}

interface Entry {
  contact: Contact;
  resources: Map<string, ResourcePresence>;
}

const SHOW_RANK: Record<Show, number> = {
  chat: 5,
  available: 4,
  away: 3,
  dnd: 2,
  xa: 1,
  offline: 0,
};
const SUBSCRIPTIONS = new Set(["none", "to", "from", "both"]);

/** Parses the <show/> of an available presence. */
export function parseShow(p: Element): Show {
  const s = p.getChildText("show");
  return s === "chat" || s === "away" || s === "xa" || s === "dnd" ? s : "available";
}

/** The roster with presence; `changed` is called after every change. */
export class Roster {
  private entries = new Map<string, Entry>();
  private requests: string[] = [];

  constructor(private readonly changed: () => void) {}

  /** Snapshots of the contacts, sorted by name or address. */
  list(): Contact[] {
    const out = [...this.entries.values()].map((e) => ({
      ...e.contact,
      groups: [...e.contact.groups],
    }));
    const key = (c: Contact) => (c.name ?? c.jid).toLowerCase();
    return out.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  }

  /** The live entry (for avatars), or undefined. */
  get(jid: string): Contact | undefined {
    return this.entries.get(bare(jid))?.contact;
  }

  has(jid: string): boolean {
    return this.entries.has(bare(jid));
  }

  /** Subscription requests waiting for approve() or deny(). */
  pending(): string[] {
    return [...this.requests];
  }

  /** Replaces the roster with a roster get result; keeps presence and avatars of contacts that stay. */
  load(query: Element | undefined): void {
    const old = this.entries;
    this.entries = new Map();
    for (const item of query?.getChildren("item", NS_ROSTER) ?? []) this.applyItem(item, old);
    this.changed();
  }

  /** Applies a roster push (one item). */
  push(query: Element): void {
    for (const item of query.getChildren("item", NS_ROSTER)) this.applyItem(item, this.entries);
    this.changed();
  }

  private applyItem(item: Element, from: Map<string, Entry>): void {
    const raw = item.attr("jid");
    if (raw === undefined || raw.includes("/")) return;
    const jid = bare(raw);
    const sub = item.attr("subscription") ?? "none";
    if (sub === "remove") {
      this.entries.delete(jid);
      return;
    }
    const prev = from.get(jid);
    if (prev === undefined && !this.entries.has(jid) && this.entries.size >= ROSTER_LIMITS.contacts)
      return;
    const entry: Entry = prev ?? {
      contact: { jid, subscription: "none", pendingOut: false, groups: [], show: "offline" },
      resources: new Map(),
    };
    const c = entry.contact;
    c.name = item.attr("name") || undefined;
    if (c.name === undefined) delete c.name;
    c.subscription = (SUBSCRIPTIONS.has(sub) ? sub : "none") as Contact["subscription"];
    c.pendingOut = item.attr("ask") === "subscribe";
    c.groups = item
      .getChildren("group", NS_ROSTER)
      .map((g) => g.text())
      .slice(0, 32);
    this.entries.set(jid, entry);
    if (c.subscription === "from" || c.subscription === "both") this.dropRequest(jid);
  }

  /** Applies a presence stanza; returns true when it was about a contact or a subscription. */
  presence(p: Element, self: string): boolean {
    const from = p.attr("from");
    if (from === undefined) return false;
    const jid = bare(from);
    if (jid === self) return false;
    const type = p.attr("type");
    if (type === "subscribe") {
      if (!this.requests.includes(jid) && this.requests.length < ROSTER_LIMITS.pendingRequests)
        this.requests.push(jid);
      return true;
    }
    if (type === "unsubscribe" || type === "subscribed" || type === "unsubscribed") {
      if (type === "unsubscribe") this.dropRequest(jid);
      return true; // the roster push that follows carries the new state
    }
    const entry = this.entries.get(jid);
    if (entry === undefined) return false;
    const resource = resourceOf(from) ?? "";
    if (type === "unavailable") entry.resources.delete(resource);
    else if (type === "error") entry.resources.clear();
    else if (type === undefined) {
      if (
        !entry.resources.has(resource) &&
        entry.resources.size >= ROSTER_LIMITS.resourcesPerContact
      )
        return true;
      const prio = Number(p.getChildText("priority") ?? "0");
      const status = p.getChildText("status")?.slice(0, ROSTER_LIMITS.statusChars);
      entry.resources.set(resource, {
        show: parseShow(p),
        ...(status ? { status } : {}),
        priority: Number.isInteger(prio) ? prio : 0,
      });
    } else return false;
    this.summarise(entry);
    this.changed();
    return true;
  }

  /** Forgets all presence (the session was lost; the server sends it again after login). */
  clearPresence(): void {
    for (const e of this.entries.values()) {
      e.resources.clear();
      this.summarise(e);
    }
    this.changed();
  }

  /** Removes a request (after approve or deny). */
  dropRequest(jid: string): void {
    const i = this.requests.indexOf(bare(jid));
    if (i >= 0) this.requests.splice(i, 1);
  }

  private summarise(e: Entry): void {
    let best: ResourcePresence | undefined;
    for (const r of e.resources.values()) {
      if (
        best === undefined ||
        r.priority > best.priority ||
        (r.priority === best.priority && SHOW_RANK[r.show] > SHOW_RANK[best.show])
      ) {
        best = r;
      }
    }
    e.contact.show = best?.show ?? "offline";
    if (best?.status) e.contact.statusText = best.status;
    else delete e.contact.statusText;
  }
}

/** A roster set for one item (add/rename, or remove). */
export function rosterSet(jid: string, opts: { name?: string; remove?: boolean }): Element {
  return xml(
    "query",
    { xmlns: NS_ROSTER },
    xml("item", { jid, name: opts.name, subscription: opts.remove ? "remove" : undefined }),
  );
}
