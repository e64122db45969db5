// XEP-0115 entity capabilities: verification strings (§5) and a cache that holds verified ones only.
import { createHash, randomBytes } from "node:crypto";
import type { Logger, StanzaEvent } from "@hato/core";
import type { Jid } from "@hato/jid";
import { type Element, NS_DISCO_INFO, xml } from "@hato/xml";
import { NS_CAPS, NS_DATA } from "./ns.js";

/** IANA hash names (XEP-0115 §5.1) that Node computes; caps with other hashes are ignored. */
const HASHES: Record<string, string> = {
  "sha-1": "sha1",
  "sha-224": "sha224",
  "sha-256": "sha256",
  "sha-384": "sha384",
  "sha-512": "sha512",
};
const QUERY_TIMEOUT_MS = 30_000;

const octets = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

/**
 * The verification string of a disco#info result (XEP-0115 §5.1) hashed with `hash`, or
 * undefined when the result breaks the §5.4 rules (duplicate identities, features or forms).
 */
export function verificationString(query: Element, hash: string): string | undefined {
  const algo = HASHES[hash];
  if (algo === undefined) return undefined;
  const identities = query.getChildren("identity", NS_DISCO_INFO).map((i) => {
    const lang = i.attr("xml:lang") ?? "";
    return `${i.attr("category") ?? ""}/${i.attr("type") ?? ""}/${lang}/${i.attr("name") ?? ""}`;
  });
  const features = query.getChildren("feature", NS_DISCO_INFO).map((f) => f.attr("var") ?? "");
  if (new Set(identities).size !== identities.length) return undefined;
  if (new Set(features).size !== features.length) return undefined;
  let s = "";
  for (const i of identities.sort(octets)) s += `${i}<`;
  for (const f of features.sort(octets)) s += `${f}<`;
  const forms: { type: string; text: string }[] = [];
  for (const x of query.getChildren("x", NS_DATA)) {
    const fields = x.getChildren("field", NS_DATA);
    const formType = fields.find((f) => f.attr("var") === "FORM_TYPE");
    // §5.4 3.6: a FORM_TYPE that is not hidden makes the form ignored, not the whole result.
    if (formType === undefined || formType.attr("type") !== "hidden") continue;
    const typeValue = formType.getChildText("value", NS_DATA) ?? "";
    let text = `${typeValue}<`;
    const others = fields
      .filter((f) => f !== formType && f.attr("var") !== undefined)
      .sort((a, b) => octets(a.attr("var")!, b.attr("var")!));
    for (const f of others) {
      text += `${f.attr("var")}<`;
      const values = f.getChildren("value", NS_DATA).map((v) => v.text());
      for (const v of values.sort(octets)) text += `${v}<`;
    }
    forms.push({ type: typeValue, text });
  }
  if (new Set(forms.map((f) => f.type)).size !== forms.length) return undefined;
  for (const f of forms.sort((a, b) => octets(a.type, b.type))) s += f.text;
  return createHash(algo).update(s, "utf8").digest("base64");
}

interface Entity {
  jid: Jid;
  key: string | undefined;
  features: ReadonlySet<string> | undefined;
}
interface Query {
  id: string;
  key: string;
  node: string;
  ver: string;
  hash: string;
  asked: string;
  waiters: Set<string>;
  timer: NodeJS.Timeout;
}

/** What the tracker needs from the server: where queries come from and how they leave. */
export interface CapsHost {
  serverJid: Jid;
  log: Logger;
  send(iq: Element, to: Jid): void;
  cacheSize: number;
  queriesPerSession: number;
}

/**
 * Caps of entities (full JIDs) seen in presence. An unknown `ver` is asked of the entity by
 * disco#info; its answer is cached only when it hashes to that `ver`, so a client cannot
 * poison the cache for others. `onFeatures` runs when an entity's features become known.
 */
export class CapsTracker {
  private readonly cache = new Map<string, ReadonlySet<string>>();
  private readonly entities = new Map<string, Entity>();
  private readonly byKey = new Map<string, Query>();
  private readonly byId = new Map<string, Query>();
  private readonly inFlight = new Map<string, number>();

  constructor(
    private readonly host: CapsHost,
    private readonly onFeatures: (jid: string) => void,
  ) {}

  /** Verified features of an entity, or undefined when it has none (yet). */
  features(jid: string): ReadonlySet<string> | undefined {
    return this.entities.get(jid)?.features;
  }

  /** Whether the cache holds features for this hash and ver (tests prove poisoning fails). */
  cached(hash: string, ver: string): boolean {
    return this.cache.has(`${hash} ${ver}`);
  }

  /**
   * Reads the `<c/>` of an available presence from `jid` and resolves its features; true
   * when that ran `onFeatures` (new caps already cached), false when unchanged or pending.
   */
  observe(jid: Jid, presence: Element): boolean {
    const full = jid.toString();
    const c = presence.getChild("c", NS_CAPS);
    const hash = c?.attr("hash");
    const ver = c?.attr("ver");
    const node = c?.attr("node") ?? "";
    if (c === undefined || hash === undefined || ver === undefined || !HASHES[hash]) {
      this.entities.set(full, { jid, key: undefined, features: undefined });
      return false;
    }
    const key = `${hash} ${ver}`;
    const known = this.entities.get(full);
    if (known?.key === key && known.features !== undefined) return false;
    const features = this.cache.get(key);
    this.entities.set(full, { jid, key, features });
    if (features !== undefined) {
      this.touch(key, features);
      this.onFeatures(full);
      return true;
    }
    const pending = this.byKey.get(key);
    if (pending !== undefined) pending.waiters.add(full);
    else this.ask(jid, key, node, ver, hash, new Set([full]));
    return false;
  }

  /** Drops pending queries (module unload). */
  close(): void {
    for (const q of this.byId.values()) clearTimeout(q.timer);
    this.byId.clear();
    this.byKey.clear();
    this.inFlight.clear();
  }

  /** Forgets an entity that went offline. */
  forget(jid: string): void {
    this.entities.delete(jid);
  }

  private ask(
    jid: Jid,
    key: string,
    node: string,
    ver: string,
    hash: string,
    waiters: Set<string>,
  ): void {
    const asked = jid.toString();
    const n = this.inFlight.get(asked) ?? 0;
    if (n >= this.host.queriesPerSession) {
      this.host.log.debug("caps query skipped: too many in flight", { jid: asked });
      return;
    }
    this.inFlight.set(asked, n + 1);
    const id = `caps-${randomBytes(9).toString("base64url")}`;
    const q: Query = { id, key, node, ver, hash, asked, waiters, timer: undefined as never };
    q.timer = setTimeout(() => this.finish(q, undefined), QUERY_TIMEOUT_MS);
    q.timer.unref();
    this.byKey.set(key, q);
    this.byId.set(id, q);
    this.host.send(
      xml(
        "iq",
        { type: "get", id, from: this.host.serverJid.toString(), to: asked },
        xml("query", { xmlns: NS_DISCO_INFO, node: `${node}#${ver}` }),
      ),
      jid,
    );
  }

  /** Takes the answer to one of our queries (an iq result or error to the server). */
  handleReply(ev: StanzaEvent): boolean {
    const id = ev.stanza.attr("id");
    const q = id === undefined ? undefined : this.byId.get(id);
    if (q === undefined || ev.from.toString() !== q.asked) return false;
    const type = ev.stanza.attr("type");
    const query = type === "result" ? ev.stanza.getChild("query", NS_DISCO_INFO) : undefined;
    this.finish(q, query);
    return true;
  }

  private finish(q: Query, query: Element | undefined): void {
    clearTimeout(q.timer);
    this.byId.delete(q.id);
    this.byKey.delete(q.key);
    const left = (this.inFlight.get(q.asked) ?? 1) - 1;
    if (left > 0) this.inFlight.set(q.asked, left);
    else this.inFlight.delete(q.asked);
    const computed = query && verificationString(query, q.hash);
    if (query !== undefined && computed === q.ver) {
      const features = new Set(
        query.getChildren("feature", NS_DISCO_INFO).map((f) => f.attr("var") ?? ""),
      );
      this.touch(q.key, features);
      for (const w of q.waiters) {
        const e = this.entities.get(w);
        if (e?.key !== q.key) continue;
        e.features = features;
        this.onFeatures(w);
      }
      return;
    }
    if (query !== undefined) {
      this.host.log.warn("caps verification failed; not cached", {
        jid: q.asked,
        hash: q.hash,
        ver: q.ver,
        computed,
      });
    }
    // Others that announced the same ver may still answer truthfully: ask each of them.
    for (const w of q.waiters) {
      const e = this.entities.get(w);
      if (w === q.asked || e?.key !== q.key) continue;
      const rest = new Set([...q.waiters].filter((x) => x !== q.asked));
      this.ask(e.jid, q.key, q.node, q.ver, q.hash, rest);
      return;
    }
  }

  private touch(key: string, features: ReadonlySet<string>): void {
    this.cache.delete(key);
    this.cache.set(key, features);
    while (this.cache.size > this.host.cacheSize) {
      this.cache.delete(this.cache.keys().next().value!);
    }
  }
}
