// XEP-0313 §7 and XEP-0359: which messages go into an archive, their stanza ids, and ordered writes.
import { randomFillSync } from "node:crypto";
import { type Element, NS_CLIENT, NS_STANZA_ID } from "@hato/xml";

const NS_HINTS = "urn:xmpp:hints";

/** Payloads that are a conversation's content even without a body. */
const CONTENT = new Set([
  "eu.siacs.conversations.axolotl encrypted", // OMEMO (legacy)
  "urn:xmpp:omemo:2 encrypted", // OMEMO 2
  "urn:xmpp:openpgp:0 openpgp", // XEP-0373
  "jabber:x:encrypted x", // XEP-0027
  "urn:xmpp:message-correct:0 replace", // XEP-0308
  "urn:xmpp:reactions:0 reactions", // XEP-0444
  "urn:xmpp:message-retract:0 retract", // XEP-0424
  "urn:xmpp:message-retract:1 retract",
  "urn:xmpp:chat-markers:0 displayed", // XEP-0333, synced between devices through the archive
]);

/**
 * Chat and normal messages with a body or another archivable payload, unless the sender asked
 * (XEP-0334) not to store them. Chat states alone, errors, headlines and groupchat are not kept.
 */
export function archivable(stanza: Element): boolean {
  const type = stanza.attr("type") ?? "normal";
  if (type !== "chat" && type !== "normal") return false;
  let content = false;
  for (const c of stanza.elements()) {
    if (c.xmlns === NS_HINTS) {
      if (c.name === "no-store" || c.name === "no-permanent-store") return false;
      if (c.name === "store") content = true;
    } else if (c.name === "body" && (c.xmlns === NS_CLIENT || c.xmlns === undefined)) {
      content = true;
    } else if (CONTENT.has(`${c.xmlns} ${c.name}`)) content = true;
  }
  return content;
}

// Random bytes are drawn 4 KiB at a time: one system call per 256 ids instead of one per
// message (it was the largest single cost of a delivered message in the CPU profile).
const POOL = Buffer.alloc(4096);
let used = POOL.length;

/** An archive id: 128 random bits, so nobody can guess another message's id. */
export function newArchiveId(): string {
  if (used === POOL.length) {
    randomFillSync(POOL);
    used = 0;
  }
  const id = POOL.toString("base64url", used, used + 16);
  used += 16;
  return id;
}

/**
 * XEP-0359 §5: a <stanza-id/> that claims to come from the recipient's archive (or from this
 * server) can only be forged, since the server adds its own after this.
 */
export function stripClaimedIds(stanza: Element, archive: string, domain: string): void {
  stanza.removeChildren(
    (c) =>
      c.name === "stanza-id" &&
      c.xmlns === NS_STANZA_ID &&
      (c.attr("by") === archive || c.attr("by") === domain),
  );
}

/**
 * Runs tasks one after another per key, so each archive is written in the order messages
 * arrived and each recipient's messages leave in the order they came.
 */
export class Serial {
  private readonly tails = new Map<string, Promise<void>>();

  /** True while tasks for this key are queued or running. */
  busy(key: string): boolean {
    return this.tails.has(key);
  }

  run<T>(key: string, task: () => T | Promise<T>): Promise<T> {
    const prev = this.tails.get(key) ?? Promise.resolve();
    const result = prev.then(task);
    const tail = result.then(
      () => {},
      () => {},
    );
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }

  /** Resolves once everything queued for this key so far has run. */
  idle(key: string): Promise<void> {
    return this.tails.get(key) ?? Promise.resolve();
  }
}
