// XMPP addresses (RFC 7622): splitting, per-part preparation and the immutable Jid value.

import { enforceDomain } from "./domain.js";
import { enforceLocal, enforceResource, type Prepared } from "./precis.js";
import { RecentCache } from "./recent-cache.js";

let construct: (local: string, domain: string, resource: string) => Jid;

/** A prepared, canonical JID; instances come only from parseJid, jid or makeJid. */
export class Jid {
  /** Local part, '' when absent. */
  readonly local: string;
  /** Domain part, in U-label form. */
  readonly domain: string;
  /** Resource part, '' when absent. */
  readonly resource: string;
  #string: string | undefined;
  #bare: Jid | undefined;

  static {
    construct = (local, domain, resource) => new Jid(local, domain, resource);
  }

  private constructor(local: string, domain: string, resource: string) {
    this.local = local;
    this.domain = domain;
    this.resource = resource;
  }

  /** The same address without its resource. */
  get bare(): Jid {
    if (this.resource === "") return this;
    this.#bare ??= construct(this.local, this.domain, "");
    return this.#bare;
  }

  /** Whether the JID has no resource. */
  isBare(): boolean {
    return this.resource === "";
  }

  /** Canonical string form; parseJid of it yields an equal Jid. */
  toString(): string {
    this.#string ??=
      (this.local === "" ? "" : this.local + "@") +
      this.domain +
      (this.resource === "" ? "" : "/" + this.resource);
    return this.#string;
  }

  /** Canonical string form, for JSON.stringify. */
  toJSON(): string {
    return this.toString();
  }

  /** Whether two JIDs are the same address (all parts compared after preparation). */
  equals(other: Jid): boolean {
    return (
      this === other ||
      (this.domain === other.domain &&
        this.local === other.local &&
        this.resource === other.resource)
    );
  }
}

/** Outcome of parsing or building a JID. */
export type JidResult = { ok: true; jid: Jid } | { ok: false; reason: string };

function prepareParts(local: string | null, domain: string, resource: string | null): JidResult {
  let l = "";
  if (local !== null) {
    const p = enforceLocal(local);
    if (typeof p !== "string") return { ok: false, reason: p.error };
    l = p;
  }
  if (domain === "") return { ok: false, reason: "domain is missing" };
  const d: Prepared = enforceDomain(domain);
  if (typeof d !== "string") return { ok: false, reason: d.error };
  let r = "";
  if (resource !== null) {
    const p = enforceResource(resource);
    if (typeof p !== "string") return { ok: false, reason: p.error };
    r = p;
  }
  return { ok: true, jid: construct(l, d, r) };
}

/** Parses without consulting the cache (RFC 7622 §3.1 splitting, then per-part enforcement). */
export function parseJidUncached(input: string): JidResult {
  const slash = input.indexOf("/");
  const head = slash < 0 ? input : input.slice(0, slash);
  const at = head.indexOf("@");
  const local = at < 0 ? null : head.slice(0, at);
  const resource = slash < 0 ? null : input.slice(slash + 1);
  if (local === "") return { ok: false, reason: "local part is empty but '@' is present" };
  if (resource === "") return { ok: false, reason: "resource is empty but '/' is present" };
  return prepareParts(local, at < 0 ? head : head.slice(at + 1), resource);
}

// Printable-ASCII addresses take the fast paths and parse in about 200 ns, less than a cache
// miss costs, so only other addresses (micro-seconds each) go through the cache. The cache holds
// the immutable Jid, not the result object, so callers never share a mutable value. Long inputs
// are not cached, to bound the memory held.
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;
const CACHE_CAPACITY = 1024;
const CACHE_MAX_KEY = 256;
const cache = new RecentCache<string, Jid>(CACHE_CAPACITY);

/** Parses and prepares a JID string; reason explains a rejection. */
export function parseJid(input: string): JidResult {
  if (PRINTABLE_ASCII.test(input)) return parseJidUncached(input);
  const cached = cache.get(input);
  if (cached !== undefined) return { ok: true, jid: cached };
  const result = parseJidUncached(input);
  if (result.ok && input.length <= CACHE_MAX_KEY) cache.set(input, result.jid);
  return result;
}

/** Parses a JID that is known to be valid (constants, tests); throws otherwise. */
export function jid(input: string): Jid {
  const result = parseJid(input);
  if (!result.ok) throw new TypeError(`Invalid JID ${JSON.stringify(input)}: ${result.reason}`);
  return result.jid;
}

/** Builds a JID from separate parts, preparing each; '' or undefined means absent. */
export function makeJid(local: string, domain: string, resource?: string): JidResult {
  return prepareParts(local === "" ? null : local, domain, resource ? resource : null);
}

/** Empties the parse cache (for tests and measurements). */
export function clearJidCache(): void {
  cache.clear();
}
