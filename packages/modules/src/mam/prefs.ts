// XEP-0441 (formerly XEP-0313 §6): per-user archiving preferences, kept in the key-value store.
import { StanzaError } from "@hato/core";
import { parseJid } from "@hato/jid";
import { type Element, xml } from "@hato/xml";
import type { Storage } from "./types.js";

export type ArchiveDefault = "always" | "roster" | "never";
const DEFAULTS = new Set<string>(["always", "roster", "never"]);

export interface Prefs {
  default: ArchiveDefault;
  always: string[];
  never: string[];
}

const STORE = "mam";
const KEY = "prefs";
/** Users whose preferences are cached; beyond this the oldest entries are forgotten. */
const CACHE_SIZE = 10_000;

/** Reads a <prefs/> payload; throws StanzaError for anything malformed or over the limit. */
export function parsePrefs(el: Element, maxJids: number): Prefs {
  const def = el.attr("default");
  if (def === undefined || !DEFAULTS.has(def)) {
    throw new StanzaError("bad-request", "prefs needs a default of always, roster or never");
  }
  const list = (name: string): string[] => {
    const lists = el.getChildren(name);
    if (lists.length > 1) throw new StanzaError("bad-request", `more than one <${name}/> list`);
    const out = new Set<string>();
    for (const j of lists[0]?.elements() ?? []) {
      if (j.name !== "jid") {
        throw new StanzaError("bad-request", `<${name}/> may only hold <jid/> elements`);
      }
      const parsed = parseJid(j.text().trim());
      if (!parsed.ok) {
        throw new StanzaError(
          "jid-malformed",
          `"${j.text()}" is not a valid JID: ${parsed.reason}`,
        );
      }
      out.add(parsed.jid.toString());
    }
    return [...out];
  };
  const always = list("always");
  const never = list("never");
  if (always.length + never.length > maxJids) {
    throw new StanzaError(
      "not-acceptable",
      `at most ${maxJids} JIDs fit in the always and never lists together`,
    );
  }
  const both = always.find((j) => never.includes(j));
  if (both !== undefined) {
    throw new StanzaError("bad-request", `${both} cannot be in both the always and never lists`);
  }
  return { default: def as ArchiveDefault, always, never };
}

/** The <prefs/> element that describes these preferences. */
export function prefsElement(ns: string, p: Prefs): Element {
  return xml(
    "prefs",
    { xmlns: ns, default: p.default },
    xml("always", {}, ...p.always.map((j) => xml("jid", {}, j))),
    xml("never", {}, ...p.never.map((j) => xml("jid", {}, j))),
  );
}

/** Preferences per user with a small cache in front of the key-value store. */
export class PrefsStore {
  private readonly cache = new Map<string, Prefs>();

  constructor(
    private readonly storage: Storage,
    private readonly fallback: ArchiveDefault,
  ) {}

  /** The user's preferences; synchronously when cached. */
  get(user: string): Prefs | Promise<Prefs> {
    return this.cache.get(user) ?? this.load(user);
  }

  private async load(user: string): Promise<Prefs> {
    const raw = await this.storage.kv.get(STORE, user, KEY);
    let prefs: Prefs = { default: this.fallback, always: [], never: [] };
    if (raw !== undefined) {
      try {
        prefs = JSON.parse(raw) as Prefs;
      } catch {
        // An unreadable document falls back to the server default rather than blocking archiving.
      }
    }
    this.remember(user, prefs);
    return prefs;
  }

  async set(user: string, prefs: Prefs): Promise<boolean> {
    const ok = await this.storage.kv.set(STORE, user, KEY, JSON.stringify(prefs));
    if (ok) this.remember(user, prefs);
    return ok;
  }

  forget(user: string): void {
    this.cache.delete(user);
  }

  private remember(user: string, prefs: Prefs): void {
    this.cache.delete(user);
    if (this.cache.size >= CACHE_SIZE) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(user, prefs);
  }

  /**
   * Whether `user` archives messages with `other` (a bare JID): the lists first, then the
   * default, where `roster` means a contact with a subscription in either direction.
   */
  decide(user: string, own: string, other: string): boolean | Promise<boolean> {
    const p = this.get(user);
    if (p instanceof Promise) return p.then((v) => this.apply(v, user, own, other));
    return this.apply(p, user, own, other);
  }

  private apply(p: Prefs, user: string, own: string, other: string): boolean | Promise<boolean> {
    if (p.never.includes(other)) return false;
    if (p.always.includes(other)) return true;
    if (p.default !== "roster") return p.default === "always";
    if (other === own) return true; // notes to self are the user's own conversation
    return this.storage.roster
      .item(user, other)
      .then((item) => item !== undefined && item.subscription !== "none");
  }
}
