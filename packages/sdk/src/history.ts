// XEP-0313 message archive (urn:xmpp:mam:2) pages with XEP-0059 RSM, newest page first.

import { type Element, xml } from "@hato/xml";
import { delayOf, messageId } from "./chat.js";
import { bare } from "./jid.js";
import { NS_CORRECT, NS_DATA, NS_FORWARD, NS_MAM, NS_MARKERS, NS_RECEIPTS, NS_RSM } from "./ns.js";
import { randomId } from "./platform.js";
import { type Kept, type MessageStore, snapshot } from "./store.js";
import type { ChatMessage } from "./types.js";

export const HISTORY_LIMITS = { maxPage: 100, defaultPage: 50, queries: 8, rounds: 4 };

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

/** Runs archive queries and collects their <result/> messages. */
export class History {
  private queries = new Map<string, Query>();

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
  async page(
    peer: string,
    opts: { before?: string; max?: number } = {},
  ): Promise<{ messages: ChatMessage[]; complete: boolean }> {
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
    if (messages.length > max) {
      messages = messages.slice(-max);
      complete = false;
    }
    return { messages: messages.map(snapshot), complete };
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

  /** Builds the page: bodies become messages; corrections, receipts and markers apply to them. */
  private toMessages(peer: string, results: Result[]): Kept[] {
    const self = this.self();
    const page: Kept[] = [];
    const byId = new Map<string, Kept>();
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
        raise(byId.get(m.getChild("received", NS_RECEIPTS)?.attr("id") ?? ""), "delivered");
        raise(byId.get(m.getChild("displayed", NS_MARKERS)?.attr("id") ?? ""), "displayed");
      }
      if (body === undefined) continue;
      if (replace !== undefined) {
        const k = byId.get(replace);
        // XEP-0308: only the original sender may correct; otherwise the stanza is dropped.
        if (k !== undefined && k.sender === sender) {
          k.body = body;
          k.corrected = true;
          const cid = messageId(m);
          if (cid !== undefined) byId.set(cid, k);
        }
        continue;
      }
      const id = messageId(m) ?? r.id;
      const k: Kept = {
        id,
        archiveId: r.id,
        peer: peer,
        outgoing,
        body,
        time: r.time ?? delayOf(m) ?? new Date(),
        sender,
        aliases: [],
        ...(outgoing ? { state: "sent" as const } : {}),
      };
      page.push(k);
      if (!byId.has(id)) byId.set(id, k);
    }
    // Keep them so live receipts, markers and corrections can find them later.
    for (const k of page) {
      const known = this.store.find(k.peer, k.id, k.outgoing);
      if (known === undefined) this.store.add({ ...k, aliases: [...k.aliases] });
    }
    return page;
  }
}
