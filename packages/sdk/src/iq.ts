// IQ request/response (RFC 6120 §8.2.3): calls we make, and answers to the server's and peers'.

import { type Element, xml } from "@hato/xml";
import { bare } from "./jid.js";
import { NS_STANZAS } from "./ns.js";
import { after, cancel, randomId, type Timer } from "./platform.js";

/** An IQ answered with type="error"; `condition` is the stanza error condition. */
export class IqError extends Error {
  constructor(
    readonly condition: string,
    /** The error's human-readable <text/>, if any. */
    readonly text?: string,
    /** The whole <error/> element (application-specific conditions live there). */
    readonly element?: Element,
  ) {
    super(text ? `${condition}: ${text}` : condition);
  }
}

interface Pending {
  to: string | undefined;
  resolve(el: Element): void;
  reject(e: Error): void;
  timer: Timer;
}

/** Sends IQs and matches their results by id and sender. */
export class IqCaller {
  private pending = new Map<string, Pending>();

  constructor(
    private readonly send: (el: Element, direct: boolean) => void,
    private readonly ownBare: () => string,
    private readonly limits: { max: number; timeoutMs: number },
  ) {}

  /** Sends an IQ get/set and resolves with the result element; rejects with IqError on error. */
  request(
    type: "get" | "set",
    to: string | undefined,
    payload: Element,
    direct = false,
  ): Promise<Element> {
    if (this.pending.size >= this.limits.max) {
      return Promise.reject(
        new Error(`more than ${this.limits.max} requests are waiting for answers`),
      );
    }
    const id = randomId();
    return new Promise((resolve, reject) => {
      const timer = after(this.limits.timeoutMs, () => {
        this.pending.delete(id);
        reject(new Error("the server did not answer in time"));
      });
      this.pending.set(id, { to: to === undefined ? undefined : bare(to), resolve, reject, timer });
      this.send(xml("iq", { type, id, to }, payload), direct);
    });
  }

  /** Takes a result or error IQ that answers one of ours; returns whether it did. */
  handle(iq: Element): boolean {
    const type = iq.attr("type");
    if (type !== "result" && type !== "error") return false;
    const p = this.pending.get(iq.attr("id") ?? "");
    if (p === undefined) return false;
    // RFC 6120 §10.1: a request to our own account is answered by our bare JID or with no from.
    const from = iq.attr("from");
    const own = this.ownBare();
    const expected = p.to ?? own;
    const fromOk =
      (from === undefined ? own : bare(from)) === expected ||
      (from === undefined && !expected.includes("@"));
    if (!fromOk) return false;
    this.pending.delete(iq.attr("id")!);
    cancel(p.timer);
    if (type === "result") p.resolve(iq);
    else {
      const err = iq.getChild("error");
      const cond =
        err?.elements().find((c) => c.xmlns === NS_STANZAS && c.name !== "text")?.name ??
        "undefined-condition";
      p.reject(new IqError(cond, err?.getChildText("text", NS_STANZAS), err));
    }
    return true;
  }

  /** Fails every waiting request (the session is gone). */
  failAll(reason: string): void {
    for (const p of this.pending.values()) {
      cancel(p.timer);
      p.reject(new Error(reason));
    }
    this.pending.clear();
  }
}

/** An error reply to a request IQ (never call it for result or error IQs). */
export function iqError(iq: Element, type: string, condition: string): Element {
  return xml(
    "iq",
    { type: "error", id: iq.attr("id"), to: iq.attr("from") },
    xml("error", { type }, xml(condition, { xmlns: NS_STANZAS })),
  );
}

/** A result reply with an optional payload. */
export function iqResult(iq: Element, payload?: Element): Element {
  return xml("iq", { type: "result", id: iq.attr("id"), to: iq.attr("from") }, payload);
}
