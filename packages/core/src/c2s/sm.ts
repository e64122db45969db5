// XEP-0198 Stream Management: stanza counters, the unacknowledged queue and resumption ids.

import { randomBytes } from "node:crypto";
import { type Element, NS_SM, NS_STANZAS_ERR, xml } from "@hato/xml";

/** h counts modulo 2^32 (XEP-0198 §4). */
const WRAP = 2 ** 32;
const H_PATTERN = /^\d{1,10}$/;

/** One stanza sent to the client and not yet acknowledged. */
export interface Unacked {
  stanza: Element;
  /** When the session took it: the original time for a `<delay/>` if it must be routed again. */
  at: Date;
}

/** What an `<a h/>` did to the queue. */
export type AckResult =
  | { ok: true }
  | { ok: false; h: number; sent: number; text: string; extra: Element };

/** A 32-bit unsigned `h` value, or undefined when the text is not one. */
export function parseH(text: string | undefined): number | undefined {
  if (text === undefined || !H_PATTERN.test(text)) return undefined;
  const n = Number(text);
  return n < WRAP ? n : undefined;
}

/** `<failed/>` with a stanza error condition and a text (XEP-0198 §6). */
export function failed(condition: string, text: string, h?: number): Element {
  return xml(
    "failed",
    { xmlns: NS_SM, h: h === undefined ? undefined : String(h) },
    xml(condition, { xmlns: NS_STANZAS_ERR }),
    xml("text", { xmlns: NS_STANZAS_ERR, "xml:lang": "en" }, text),
  );
}

/** The per-session counters and queue; it outlives connections when the session resumes. */
export class SmState {
  /** Stanzas handled from the client (the h we report). */
  inbound = 0;
  /** The last h the client acknowledged. */
  private acked: number;
  readonly queue: Unacked[] = [];
  /** Set when resumption was granted. */
  resumeId: string | undefined;
  /** Stanzas written since the last `<r/>`. */
  sinceRequest = 0;
  requestPending = false;

  /** `sent` is where the outbound count starts (0; tests start near the wrap). */
  constructor(sent = 0) {
    this.acked = sent;
  }

  /** The number of stanzas sent so far, modulo 2^32. */
  get sent(): number {
    return (this.acked + this.queue.length) % WRAP;
  }

  handled(): void {
    this.inbound = (this.inbound + 1) % WRAP;
  }

  push(stanza: Element): void {
    this.queue.push({ stanza, at: new Date() });
    this.sinceRequest++;
  }

  /**
   * Applies an acknowledgement. h never goes back, so any h that is not between the last one
   * and the number sent is the error XEP-0198 §4 defines (`handled-count-too-high`).
   */
  ack(h: number): AckResult {
    const r = this.check(h);
    if (r.ok) {
      this.queue.splice(0, (h - this.acked + WRAP) % WRAP);
      this.acked = h;
    }
    return r;
  }

  /** Whether `ack(h)` would succeed, changing nothing. */
  check(h: number): AckResult {
    const ahead = (h - this.acked + WRAP) % WRAP;
    if (ahead > this.queue.length) {
      const sent = this.sent;
      return {
        ok: false,
        h,
        sent,
        text: `You acknowledged ${h} stanzas, but only ${sent} were sent to you.`,
        extra: xml("handled-count-too-high", {
          xmlns: NS_SM,
          h: String(h),
          "send-count": String(sent),
        }),
      };
    }
    return { ok: true };
  }
}

/**
 * Resumable sessions by SM-ID. Ids are 144 random bits, so they cannot be guessed; an id is
 * forgotten as soon as its session ends, so the map never holds more than the live sessions.
 */
export class Resumptions<S> {
  private readonly byId = new Map<string, S>();

  /** A fresh id for this session. */
  add(session: S): string {
    const id = randomBytes(18).toString("base64url");
    this.byId.set(id, session);
    return id;
  }

  get(id: string): S | undefined {
    return this.byId.get(id);
  }

  delete(id: string): void {
    this.byId.delete(id);
  }

  get size(): number {
    return this.byId.size;
  }
}
