// XEP-0198 stream management, client side: counts, the unacknowledged queue, resumption data.

import type { Element } from "@hato/xml";

const MAX_H = 2 ** 32;

/** A stanza we sent and the server has not acknowledged yet. */
export interface Unacked {
  el: Element;
  /** Called once when the server acknowledges it. */
  acked?: () => void;
}

/** Stream management state; it outlives connections so a session can resume. */
export class StreamManagement {
  /** The resumption id from <enabled/>, when the server allows resuming. */
  resumeId: string | undefined;
  /** Whether counting is on for the current connection. */
  active = false;
  /** Stanzas received and handled since <enabled/> (our h). */
  inbound = 0;
  /** Stanzas sent since <enabled/>, as counted mod 2^32 (the server's h goes up to this). */
  private outbound = 0;
  /** Sent and not acknowledged, oldest first; queue[0] has number outbound - queue.length. */
  queue: Unacked[] = [];

  constructor(private readonly maxQueue: number) {}

  /** <enabled/>: counting starts from zero on both sides. */
  enabled(resumeId: string | undefined): void {
    this.resumeId = resumeId;
    this.active = true;
    this.inbound = 0;
    this.outbound = 0;
    this.queue = [];
  }

  /** A stanza arrived (call for message, presence and iq only). */
  received(): void {
    if (this.active) this.inbound = (this.inbound + 1) % MAX_H;
  }

  /** A stanza left; returns false when the queue is full (the caller should reconnect). */
  sent(u: Unacked): boolean {
    if (!this.active) return true;
    this.outbound = (this.outbound + 1) % MAX_H;
    this.queue.push(u);
    return this.queue.length <= this.maxQueue;
  }

  /**
   * The server's h: drops what it acknowledged and returns those entries. An h that counts
   * more than we sent is ignored (returns undefined) — XEP-0198 §4 makes that a stream error.
   */
  ack(h: number): Unacked[] | undefined {
    const first = (this.outbound - this.queue.length + MAX_H) % MAX_H;
    const n = (h - first + MAX_H) % MAX_H;
    if (n > this.queue.length) return undefined;
    return this.queue.splice(0, n);
  }

  /** <resumed h/>: acknowledges, and returns the stanzas to send again (they are requeued by sent()). */
  resumed(h: number): { acked: Unacked[]; resend: Unacked[] } {
    this.active = true;
    const acked = this.ack(h) ?? [];
    const resend = this.queue;
    this.queue = [];
    this.outbound = (this.outbound - resend.length + MAX_H) % MAX_H;
    return { acked, resend };
  }

  /** Resumption failed or the session ended: hand back whatever was never acknowledged. */
  reset(): Unacked[] {
    const left = this.queue;
    this.queue = [];
    this.active = false;
    this.resumeId = undefined;
    this.inbound = 0;
    this.outbound = 0;
    return left;
  }

  /** Stops counting on a dead connection; the state stays for a resume. */
  suspend(): void {
    this.active = false;
  }
}
