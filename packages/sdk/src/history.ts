// XEP-0313 message archive (urn:xmpp:mam:2) pages with XEP-0059 RSM, newest page first.

import { type Element, xml } from "@hato/xml";
import { delayOf, messageId } from "./chat.js";
import { bare } from "./jid.js";
import {
  NS_CORRECT,
  NS_DATA,
  NS_FORWARD,
  NS_MAM,
  NS_MARKERS,
  NS_OMEMO,
  NS_OMEMO2,
  NS_RECEIPTS,
  NS_RSM,
} from "./ns.js";
import { randomId } from "./platform.js";
import { type Kept, type MessageStore, snapshot } from "./store.js";
import type { ChatMessage } from "./types.js";
import { fileOf } from "./upload.js";

export const HISTORY_LIMITS = {
  maxPage: 100,
  defaultPage: 50,
  queries: 8,
  rounds: 4,
  orphanPeers: 100,
  orphansPerPeer: 200,
};

interface Result {
  id: string;
  message: Element;
  time: Date | undefined;
}

interface Query {
  peer: string;
  results: Result[];
}

/** A result that becomes a message of its own (a body, not a correction). */
function isNewMessage(r: Result): boolean {
  return (
    (encryptedOf(r.message) === undefined
      ? r.message.getChild("body") !== undefined
      : hasPayload(encryptedOf(r.message))) &&
    r.message.getChild("replace", NS_CORRECT) === undefined
  );
}

/** A XEP-0308 correction's new text, and whether it came encrypted. */
interface Correction {
  body: string;
  encrypted: boolean;
}

/**
 * Shows a correction's text: the message's encryption state is the correction's from then on
 * (an unavailable message corrected with a text this device kept is readable).
 */
function applyCorrection(k: Kept, c: Correction): void {
  k.body = c.body;
  k.corrected = true;
  if (k.file !== undefined && k.file.url !== c.body.trim()) delete k.file;
  if (c.encrypted) k.encryption = "omemo";
  else if (k.encryption !== undefined) k.encryption = "none";
  delete k.problem;
  delete k.unavailable;
}

const RANK = { pending: 0, sent: 1, delivered: 2, displayed: 3 } as const;

function raise(k: Kept | undefined, to: "delivered" | "displayed"): void {
  if (k?.outgoing && RANK[k.state ?? "pending"] < RANK[to]) k.state = to;
}

/** Why an archived OMEMO message shows no text: it was encrypted before this device existed. */
export const ENCRYPTED_BEFORE_DEVICE =
  "encrypted before this device was set up: older encrypted history is not available on this device";
/** Why an archived OMEMO message shows no text: this device did not keep it (or never could read it). */
export const ENCRYPTED_HISTORY = "not available on this device";

/**
 * Where an archived OMEMO message's text comes from: the client's own history, never the
 * ratchet (a message key works once, and the archive's copy is for a ratchet state long gone).
 */
export interface ArchivedTexts {
  /** The kept text of an archived message (by our server's stanza-id, or its sender's id). */
  lookup(
    peer: string,
    outgoing: boolean,
    stanzaId: string,
    id: string | undefined,
  ): Promise<string | undefined>;
  /** This OMEMO device: its id and when its keys were created (when known). */
  device(): { id: number | undefined; created: Date | undefined };
  /** Settles once the live messages received so far are decrypted and kept. */
  settled(): Promise<void>;
}

/** Whether an archived OMEMO message carries a text (a payload; a bare key transport has none). */
function hasPayload(enc: Element | undefined): boolean {
  return enc !== undefined && enc.getChild("payload", enc.xmlns) !== undefined;
}

/** A message's OMEMO element, legacy or urn:xmpp:omemo:2. */
function encryptedOf(m: Element): Element | undefined {
  return m.getChild("encrypted", NS_OMEMO) ?? m.getChild("encrypted", NS_OMEMO2);
}

/** One page of history; `first` is what to pass as `before` for the next older page. */
export interface HistoryPage {
  messages: ChatMessage[];
  complete: boolean;
  first?: string;
}

/** Runs archive queries and collects their <result/> messages. */
export class History {
  private queries = new Map<string, Query>();
  /** Per peer: corrections (by "sender id" of the original) waiting for an older page. */
  private orphans = new Map<string, Map<string, Correction>>();

  constructor(
    private readonly request: (payload: Element) => Promise<Element>,
    private readonly self: () => string,
    private readonly store: MessageStore,
    private readonly texts?: ArchivedTexts,
  ) {}

  /** Takes a <message/> carrying a <result/> of one of our queries; returns whether it did. */
  result(m: Element): boolean {
    const r = m.getChild("result", NS_MAM);
    if (r === undefined) return false;
    // Only our own archive answers our queries (RFC 6120 §10.1: from our bare JID or absent).
    const from = m.attr("from");
    if (from !== undefined && bare(from) !== this.self()) return true;
    const q = this.queries.get(r.attr("queryid") ?? "");
    const fwd = r.getChild("forwarded", NS_FORWARD);
    const inner = fwd?.getChild("message");
    const id = r.attr("id");
    if (q === undefined || inner === undefined || id === undefined) return true;
    if (q.results.length < HISTORY_LIMITS.maxPage)
      q.results.push({ id, message: inner, time: fwd && delayOf(fwd) });
    return true;
  }

  /**
   * One page of the conversation with `peer`, oldest first, ending before `before` (or now).
   * The archive also holds bodiless stanzas (markers) and corrections, so a short page is
   * topped up from further back, a few queries at most.
   */
  async page(peer: string, opts: { before?: string; max?: number } = {}): Promise<HistoryPage> {
    const max = Math.max(
      1,
      Math.min(opts.max ?? HISTORY_LIMITS.defaultPage, HISTORY_LIMITS.maxPage),
    );
    const with_ = bare(peer);
    let before = opts.before ?? "";
    let results: Result[] = [];
    let complete = false;
    for (let round = 0; round < HISTORY_LIMITS.rounds; round++) {
      const got = await this.query(with_, before, max);
      results = [...got.results, ...results];
      complete = got.complete;
      if (complete || got.results.length === 0) break;
      if (results.filter(isNewMessage).length >= max) break;
      before = got.results[0]!.id;
    }
    let messages = this.toMessages(with_, results, await this.localTexts(with_, results));
    // The cursor for the next older page: past bodiless results too, but not past messages
    // trimmed off here (they come with the next page).
    let first = results[0]?.id;
    if (messages.length > max) {
      messages = messages.slice(-max);
      complete = false;
      first = messages[0]!.archiveId;
    }
    return {
      messages: messages.map(snapshot),
      complete,
      ...(first !== undefined ? { first } : {}),
    };
  }

  private async query(
    peer: string,
    before: string,
    max: number,
  ): Promise<{ results: Result[]; complete: boolean }> {
    if (this.queries.size >= HISTORY_LIMITS.queries)
      throw new Error("too many history queries at once");
    const queryid = randomId();
    const q: Query = { peer, results: [] };
    this.queries.set(queryid, q);
    try {
      const res = await this.request(
        xml(
          "query",
          { xmlns: NS_MAM, queryid },
          xml(
            "x",
            { xmlns: NS_DATA, type: "submit" },
            xml("field", { var: "FORM_TYPE", type: "hidden" }, xml("value", null, NS_MAM)),
            xml("field", { var: "with" }, xml("value", null, peer)),
          ),
          xml("set", { xmlns: NS_RSM }, xml("max", null, String(max)), xml("before", null, before)),
        ),
      );
      return {
        results: q.results,
        complete: res.getChild("fin", NS_MAM)?.attr("complete") === "true",
      };
    } finally {
      this.queries.delete(queryid);
    }
  }

  /**
   * Builds the page: bodies become messages; corrections, receipts and markers apply to them.
   * Messages are keyed by sender and id, so nobody can touch another sender's message. A
   * correction whose original is older than the page waits for the page that holds it.
   */
  private toMessages(peer: string, results: Result[], local: Map<Result, string>): Kept[] {
    const self = this.self();
    const page: Kept[] = [];
    const byKey = new Map<string, Kept>();
    const orphans = new Map<string, Correction>();
    for (const r of results) {
      const m = r.message;
      const from = bare(m.attr("from") ?? self);
      const to = bare(m.attr("to") ?? self);
      const outgoing = from === self;
      if ((outgoing ? to : from) !== peer || m.attr("type") === "groupchat") continue;
      const sender = outgoing ? self : peer;
      // An OMEMO message's body is the sender's fallback text, never the message: its text is
      // the one this device kept, or none (and the page says why).
      const enc = encryptedOf(m);
      const body = enc === undefined ? m.getChildText("body") : local.get(r);
      const replace = m.getChild("replace", NS_CORRECT)?.attr("id");
      if (!outgoing) {
        raise(byKey.get(`${self} ${m.getChild("received", NS_RECEIPTS)?.attr("id")}`), "delivered");
        raise(byKey.get(`${self} ${m.getChild("displayed", NS_MARKERS)?.attr("id")}`), "displayed");
      }
      if (body === undefined && (!hasPayload(enc) || replace !== undefined)) continue;
      if (replace !== undefined && body !== undefined) {
        // XEP-0308: only the original sender may correct, so look only among its messages.
        const k = byKey.get(`${sender} ${replace}`);
        const cid = messageId(m);
        const c = { body, encrypted: enc !== undefined };
        if (k === undefined) orphans.set(`${sender} ${replace}`, c);
        else {
          applyCorrection(k, c);
          if (cid !== undefined) byKey.set(`${sender} ${cid}`, k);
        }
        continue;
      }
      const id = messageId(m) ?? r.id;
      const time = r.time ?? delayOf(m) ?? new Date();
      const file = enc === undefined && body !== undefined ? fileOf(m, body) : undefined;
      const k: Kept = {
        id,
        archiveId: r.id,
        peer,
        outgoing,
        body: body ?? "",
        ...(enc !== undefined && body !== undefined ? { encryption: "omemo" as const } : {}),
        ...(enc !== undefined && body === undefined ? this.unavailable(enc, time) : {}),
        time,
        sender,
        aliases: [],
        ...(outgoing ? { state: "sent" as const } : {}),
        ...(file !== undefined ? { file } : {}),
      };
      page.push(k);
      if (!byKey.has(`${sender} ${id}`)) byKey.set(`${sender} ${id}`, k);
    }
    this.settleOrphans(peer, page, orphans);
    // Keep them so live receipts, markers and corrections can find them later.
    for (const k of page) {
      const known = this.store.find(k.peer, k.id, k.outgoing);
      if (known === undefined) this.store.add({ ...k, aliases: [...k.aliases] });
    }
    return page;
  }

  /**
   * The texts of this page's OMEMO messages: what this session holds, else what the client's
   * own history kept. Nothing here goes near the ratchet.
   */
  private async localTexts(peer: string, results: Result[]): Promise<Map<Result, string>> {
    const self = this.self();
    const found = new Map<Result, string>();
    // A live copy of a message on this page may still be in the decryption queue (the first
    // message of a session takes a while): its text is kept only once that is done.
    if (results.some((r) => encryptedOf(r.message) !== undefined)) await this.texts?.settled();
    for (const r of results) {
      const m = r.message;
      if (encryptedOf(m) === undefined) continue;
      const outgoing = bare(m.attr("from") ?? self) === self;
      const id = messageId(m);
      const live = id === undefined ? undefined : this.store.find(peer, id, outgoing);
      const text =
        live?.encryption === "omemo" && (live.archiveId ?? r.id) === r.id
          ? live.body
          : await this.texts?.lookup(peer, outgoing, r.id, id).catch(() => undefined);
      if (text !== undefined) found.set(r, text);
    }
    return found;
  }

  /** Why an archived OMEMO message has no text here: before this device, or simply not kept. */
  private unavailable(
    enc: Element,
    time: Date,
  ): Pick<Kept, "encryption" | "problem" | "unavailable"> {
    const { id, created } = this.texts?.device() ?? { id: undefined, created: undefined };
    // A message that carries a key for this device was encrypted after it existed, whatever
    // the clocks say. (The device id is the legacy one; an OMEMO 2 message goes by the clock.)
    const forUs =
      enc.xmlns === NS_OMEMO &&
      enc
        .getChild("header", NS_OMEMO)
        ?.getChildren("key", NS_OMEMO)
        .some((k) => id !== undefined && Number(k.attr("rid")) === id);
    return created !== undefined && time < created && !forUs
      ? { encryption: "failed", problem: ENCRYPTED_BEFORE_DEVICE, unavailable: "before-device" }
      : { encryption: "failed", problem: ENCRYPTED_HISTORY, unavailable: "not-kept" };
  }

  /** Applies waiting corrections to this page and keeps this page's unmatched ones (newest wins). */
  private settleOrphans(peer: string, page: Kept[], found: Map<string, Correction>): void {
    let waiting = this.orphans.get(peer);
    for (const k of page) {
      const c = waiting?.get(`${k.sender} ${k.id}`);
      if (c === undefined) continue;
      applyCorrection(k, c);
      waiting?.delete(`${k.sender} ${k.id}`);
    }
    if (found.size === 0) return;
    if (waiting === undefined) {
      if (this.orphans.size >= HISTORY_LIMITS.orphanPeers) {
        this.orphans.delete(this.orphans.keys().next().value!);
      }
      waiting = new Map();
      this.orphans.set(peer, waiting);
    }
    // Pages go back in time: a correction already waiting is newer than this page's.
    for (const [key, c] of found) {
      if (!waiting.has(key) && waiting.size < HISTORY_LIMITS.orphansPerPeer) waiting.set(key, c);
    }
  }
}
