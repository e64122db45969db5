// The client's own decrypted history. The server's archive (XEP-0313) holds OMEMO messages
// only as ciphertext, and a Double Ratchet message key works once: an archived copy can never
// be decrypted again. So the client keeps the text of every message it decrypted or sent
// encrypted, and history pages take it from here by the archive's stanza-id (or, for our own
// messages, the origin-id). HistoryStore is the storage port (memory here; the web client
// keeps it in IndexedDB); LocalHistory holds the rules (limits, deduplication, lookup) and
// turns live stanzas into records.

import type { Element } from "@hato/xml";
import { archiveIdOf, delayOf, messageId, type Route } from "./chat.js";
import { bare } from "./jid.js";
import { NS_SID } from "./ns.js";

/** One decrypted (or sent encrypted) message as kept on this device. */
export interface HistoryRecord {
  /** Bare JID of the other side of the 1:1 chat. */
  peer: string;
  outgoing: boolean;
  /** The sender's message id (the id attribute, else the XEP-0359 origin-id). */
  id: string;
  /** The XEP-0359 origin-id, when the stanza carried one. */
  originId?: string;
  /** Our server's XEP-0359 stanza-id (the archive id), once known. */
  stanzaId?: string;
  /** The decrypted text. */
  body: string;
  /** Milliseconds since 1970 (the delay stamp when there was one). */
  time: number;
}

/**
 * What a HistoryStore keeps at most (docs/e2ee.md). Beyond a limit, the oldest messages go
 * first (the conversation's for `perPeer`, anyone's for `total`). Longer texts and ids are
 * not kept at all (the server refuses such stanzas long before).
 */
export const LOCAL_HISTORY_LIMITS = {
  perPeer: 5000,
  total: 50_000,
  bodyChars: 64 * 1024,
  idChars: 256,
  jidChars: 3071,
};

/**
 * Where a device keeps its decrypted history: asynchronous and plain data (structured
 * clone), so that IndexedDB fits. A record is named by its peer, direction and id.
 */
export interface HistoryStore {
  /** The record with this peer, direction and id. */
  get(peer: string, outgoing: boolean, id: string): Promise<HistoryRecord | undefined>;
  /** The record our server stamped with this stanza-id, in the conversation with `peer`. */
  byStanzaId(peer: string, stanzaId: string): Promise<HistoryRecord | undefined>;
  /**
   * Inserts or replaces the record with the same peer, direction and id, then drops the
   * oldest records beyond LOCAL_HISTORY_LIMITS.perPeer (this peer) and .total (all peers).
   */
  put(r: HistoryRecord): Promise<void>;
  /** The conversation with `peer`, oldest first. */
  list(peer: string): Promise<HistoryRecord[]>;
}

const key = (outgoing: boolean, id: string) => `${outgoing ? ">" : "<"}${id}`;

/** HistoryStore in memory (tests, bots). Keep the object to restart a client with the same history. */
export class MemoryHistoryStore implements HistoryStore {
  /** Per peer: records by direction and id, and the stanza-ids that name them. */
  private peers = new Map<
    string,
    { records: Map<string, HistoryRecord>; stanza: Map<string, string> }
  >();
  private count = 0;

  async get(peer: string, outgoing: boolean, id: string): Promise<HistoryRecord | undefined> {
    const r = this.peers.get(peer)?.records.get(key(outgoing, id));
    return r === undefined ? undefined : { ...r };
  }
  async byStanzaId(peer: string, stanzaId: string): Promise<HistoryRecord | undefined> {
    const p = this.peers.get(peer);
    const k = p?.stanza.get(stanzaId);
    const r = k === undefined ? undefined : p?.records.get(k);
    return r === undefined ? undefined : { ...r };
  }
  async put(r: HistoryRecord): Promise<void> {
    const k = key(r.outgoing, r.id);
    this.drop(r.peer, k);
    let p = this.peers.get(r.peer);
    if (p === undefined) {
      p = { records: new Map(), stanza: new Map() };
      this.peers.set(r.peer, p);
    }
    p.records.set(k, { ...r });
    this.count++;
    if (r.stanzaId !== undefined) p.stanza.set(r.stanzaId, k);
    if (p.records.size > LOCAL_HISTORY_LIMITS.perPeer) this.evictOldest(p.records.values());
    if (this.count > LOCAL_HISTORY_LIMITS.total)
      this.evictOldest([...this.peers.values()].flatMap((x) => [...x.records.values()]));
  }
  async list(peer: string): Promise<HistoryRecord[]> {
    return [...(this.peers.get(peer)?.records.values() ?? [])]
      .sort((a, b) => a.time - b.time)
      .map((r) => ({ ...r }));
  }
  /** How many records are kept (all conversations). */
  get size(): number {
    return this.count;
  }

  private drop(peer: string, k: string): void {
    const p = this.peers.get(peer);
    const old = p?.records.get(k);
    if (p === undefined || old === undefined) return;
    p.records.delete(k);
    this.count--;
    if (old.stanzaId !== undefined && p.stanza.get(old.stanzaId) === k)
      p.stanza.delete(old.stanzaId);
    if (p.records.size === 0) this.peers.delete(peer);
  }
  private evictOldest(among: Iterable<HistoryRecord>): void {
    let oldest: HistoryRecord | undefined;
    for (const r of among) if (oldest === undefined || r.time < oldest.time) oldest = r;
    if (oldest !== undefined) this.drop(oldest.peer, key(oldest.outgoing, oldest.id));
  }
}

/** Whether a record fits the limits (anything else is not kept, and says so to the caller). */
function fits(r: HistoryRecord): boolean {
  const L = LOCAL_HISTORY_LIMITS;
  return (
    r.peer.length > 0 &&
    r.peer.length <= L.jidChars &&
    r.id.length > 0 &&
    r.id.length <= L.idChars &&
    (r.originId?.length ?? 0) <= L.idChars &&
    (r.stanzaId?.length ?? 0) <= L.idChars &&
    r.body.length <= L.bodyChars &&
    Number.isFinite(r.time)
  );
}

/** How a live 1:1 message names itself: its peer, direction, ids. */
function namesOf(msg: Element, route: Route, self: string) {
  const outgoing = route === "carbon-sent";
  const peer = bare((outgoing ? msg.attr("to") : msg.attr("from")) ?? "");
  const stanzaId = archiveIdOf(msg, self);
  return { peer, outgoing, stanzaId, id: messageId(msg) };
}

/** The rules over a HistoryStore: what is kept, once, and how an archived message finds its text. */
export class LocalHistory {
  constructor(
    readonly store: HistoryStore,
    /** Reports a text that could not be kept (the message itself is shown all the same). */
    private readonly error: (text: string) => void = () => undefined,
  ) {}

  /**
   * Keeps a decrypted message (`route` as it reached us; carbons of what we sent from another
   * device count as ours). Never throws: a failure is reported.
   */
  async keepLive(msg: Element, route: Route, self: string, body: string): Promise<void> {
    const n = namesOf(msg, route, self);
    const id = n.id ?? (n.stanzaId === undefined ? undefined : `stanza-id:${n.stanzaId}`);
    if (n.peer === "" || id === undefined) return;
    const originId = msg.getChild("origin-id", NS_SID)?.attr("id");
    await this.keep({
      peer: n.peer,
      outgoing: n.outgoing,
      id,
      body,
      time: (delayOf(msg) ?? new Date()).getTime(),
      ...(originId !== undefined ? { originId } : {}),
      ...(n.stanzaId !== undefined ? { stanzaId: n.stanzaId } : {}),
    });
  }

  /** Keeps a message we sent encrypted (its id is its origin-id). Never throws. */
  keepSent(peer: string, id: string, body: string, time: number): Promise<void> {
    return this.keep({ peer, outgoing: true, id, originId: id, body, time });
  }

  /** record(), with failures reported instead of thrown. */
  private async keep(r: HistoryRecord): Promise<void> {
    try {
      if (!(await this.record(r)))
        this.error("a message was too long to keep in the local history");
    } catch (e) {
      this.error(`could not keep a message in the local history: ${String(e)}`);
    }
  }

  /** The kept text of a live stanza this device decrypted before (see seen()); never throws. */
  async seenLive(msg: Element, route: Route, self: string): Promise<string | undefined> {
    const n = namesOf(msg, route, self);
    const r = await this.seen(n.peer, n.outgoing, n.stanzaId, n.id).catch(() => undefined);
    return r?.body;
  }

  /**
   * Keeps a decrypted or sent message once: a second copy (the same stanza-id, or the same
   * peer, direction and id, as a carbon or a resent stanza has) only adds the stanza-id the
   * first one lacked. Returns false when the record is beyond the limits and not kept.
   */
  async record(r: HistoryRecord): Promise<boolean> {
    if (!fits(r)) return false;
    if (r.stanzaId !== undefined && (await this.store.byStanzaId(r.peer, r.stanzaId)) !== undefined)
      return true;
    const same = await this.store.get(r.peer, r.outgoing, r.id);
    if (same === undefined) await this.store.put({ ...r });
    else if (same.stanzaId === undefined && r.stanzaId !== undefined)
      await this.store.put({ ...same, stanzaId: r.stanzaId });
    return true;
  }

  /**
   * A live message this device already decrypted: the same stanza-id (a copy the server
   * delivers again after a session ended before it was acknowledged), or, without one, the
   * same peer, direction and id. Its message key is spent: the text comes from here.
   */
  async seen(
    peer: string,
    outgoing: boolean,
    stanzaId: string | undefined,
    id: string | undefined,
  ): Promise<HistoryRecord | undefined> {
    if (stanzaId !== undefined) {
      const s = await this.store.byStanzaId(peer, stanzaId);
      return s?.outgoing === outgoing ? s : undefined;
    }
    if (id === undefined || id.length > LOCAL_HISTORY_LIMITS.idChars) return undefined;
    return this.store.get(peer, outgoing, id);
  }

  /**
   * The kept text of an archived message: by our server's stanza-id, else by its sender id
   * (our origin-id for our own) as long as that record has no other stanza-id yet, which it
   * then learns. One record never stands for two archived messages.
   */
  async lookup(
    peer: string,
    outgoing: boolean,
    stanzaId: string,
    id: string | undefined,
  ): Promise<HistoryRecord | undefined> {
    const s = await this.store.byStanzaId(peer, stanzaId);
    if (s !== undefined) return s.outgoing === outgoing ? s : undefined;
    if (id === undefined || id.length > LOCAL_HISTORY_LIMITS.idChars) return undefined;
    const k = await this.store.get(peer, outgoing, id);
    if (k === undefined || k.stanzaId !== undefined) return undefined;
    if (stanzaId.length <= LOCAL_HISTORY_LIMITS.idChars) await this.store.put({ ...k, stanzaId });
    return k;
  }
}
