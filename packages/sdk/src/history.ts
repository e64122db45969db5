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
    r.message.getChild("body") !== undefined &&
    r.message.getChild("replace", NS_CORRECT) === undefined
  );
}

const RANK = { pending: 0, sent: 1, delivered: 2, displayed: 3 } as const;

function raise(k: Kept | undefined, to: "delivered" | "displayed"): void {
  if (k?.outgoing && RANK[k.state ?? "pending"] < RANK[to]) k.state = to;
}

/** Why an archived OMEMO message shows no text (the archive holds only ciphertext). */
export const ENCRYPTED_HISTORY =
  "an end-to-end encrypted message from the archive: its text is not available on this device";

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
  private orphans = new Map<string, Map<string, string>>();

  constructor(
    private readonly request: (payload: Element) => Promise<Element>,
    private readonly self: () => string,
    private readonly store: MessageStore,
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
    let messages = this.toMessages(with_, results);
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
  private toMessages(peer: string, results: Result[]): Kept[] {
    const self = this.self();
    const page: Kept[] = [];
    const byKey = new Map<string, Kept>();
    const orphans = new Map<string, string>();
    for (const r of results) {
      const m = r.message;
      const from = bare(m.attr("from") ?? self);
      const to = bare(m.attr("to") ?? self);
      const outgoing = from === self;
      if ((outgoing ? to : from) !== peer || m.attr("type") === "groupchat") continue;
      const sender = outgoing ? self : peer;
      const body = m.getChildText("body");
      const replace = m.getChild("replace", NS_CORRECT)?.attr("id");
      if (!outgoing) {
        raise(byKey.get(`${self} ${m.getChild("received", NS_RECEIPTS)?.attr("id")}`), "delivered");
        raise(byKey.get(`${self} ${m.getChild("displayed", NS_MARKERS)?.attr("id")}`), "displayed");
      }
      if (body === undefined) continue;
      if (replace !== undefined) {
        // XEP-0308: only the original sender may correct, so look only among its messages.
        const k = byKey.get(`${sender} ${replace}`);
        const cid = messageId(m);
        if (k === undefined) orphans.set(`${sender} ${replace}`, body);
        else {
          k.body = body;
          k.corrected = true;
          if (k.file !== undefined && k.file.url !== body.trim()) delete k.file;
          if (cid !== undefined) byKey.set(`${sender} ${cid}`, k);
        }
        continue;
      }
      const id = messageId(m) ?? r.id;
      // An OMEMO message's body is the sender's fallback text, never the message: show what
      // this session decrypted, or say plainly that the text is not available here.
      const encrypted =
        m.getChild("encrypted", NS_OMEMO) !== undefined ||
        m.getChild("encrypted", NS_OMEMO2) !== undefined;
      const decrypted = encrypted ? this.store.find(peer, id, outgoing) : undefined;
      const readable = decrypted?.encryption === "omemo" ? decrypted.body : undefined;
      const file = encrypted ? undefined : fileOf(m, body);
      const k: Kept = {
        id,
        archiveId: r.id,
        peer,
        outgoing,
        body: encrypted ? (readable ?? "") : body,
        ...(encrypted && readable !== undefined ? { encryption: "omemo" as const } : {}),
        ...(encrypted && readable === undefined
          ? { encryption: "failed" as const, problem: ENCRYPTED_HISTORY }
          : {}),
        time: r.time ?? delayOf(m) ?? new Date(),
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

  /** Applies waiting corrections to this page and keeps this page's unmatched ones (newest wins). */
  private settleOrphans(peer: string, page: Kept[], found: Map<string, string>): void {
    let waiting = this.orphans.get(peer);
    for (const k of page) {
      const body = waiting?.get(`${k.sender} ${k.id}`);
      if (body === undefined) continue;
      k.body = body;
      k.corrected = true;
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
    for (const [key, body] of found) {
      if (!waiting.has(key) && waiting.size < HISTORY_LIMITS.orphansPerPeer) waiting.set(key, body);
    }
  }
}
