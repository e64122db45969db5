// The client side of key transparency (urn:hato:keylog:0, docs/key-transparency.md): fetch the
// signed head, check its signature against the pinned key and its consistency with the last
// head seen, and check that an address's device keys are in the log. Every failure throws a
// KeyLogError: a lying head is reported, never accepted.

import { type Element, xml } from "@hato/xml";
import { fromBase64 } from "../base64.js";
import { subtle } from "../platform.js";
import { hashFromHex, headMessage, type KeyLeaf, leafHashOf, type SignedHead } from "./leaf.js";
import { type Hash, verifyConsistency, verifyInclusion } from "./merkle.js";

export const NS_KEYLOG = "urn:hato:keylog:0";

/** Why the log cannot be trusted: each is a visible failure for the user. */
export type KeyLogProblem =
  /** The answer is not what the protocol says (missing or malformed fields). */
  | "malformed"
  /** The head's signature does not verify with the pinned key. */
  | "bad-signature"
  /** The server's log key differs from the one pinned on first use. */
  | "key-changed"
  /** The new head does not extend the last one seen: history was rewritten (or forked). */
  | "inconsistent"
  /** A leaf's inclusion proof does not lead to the head's root. */
  | "not-included";

export class KeyLogError extends Error {
  constructor(
    readonly problem: KeyLogProblem,
    message: string,
  ) {
    super(message);
    this.name = "KeyLogError";
  }
}

/** A device key proven to be in the log under a verified head. */
export interface LoggedKey extends KeyLeaf {
  index: number;
}

/** Sends an IQ get with this payload to our server and resolves with the answer's payload. */
export type KeyLogRequest = (payload: Element) => Promise<Element | undefined>;

const MAX_LEAVES = 256;
const MAX_NODES = 64;
const MAX_ATTR = 3100;

const malformed = (what: string) => new KeyLogError("malformed", `the key log's answer: ${what}`);

function wholeNumber(el: Element, name: string): number {
  const v = el.attr(name) ?? "";
  if (!/^[0-9]{1,15}$/.test(v)) throw malformed(`'${name}' is not a whole number`);
  return Number(v);
}

function text(el: Element, name: string): string {
  const v = el.attr(name);
  if (v === undefined || v === "" || v.length > MAX_ATTR) throw malformed(`'${name}' is missing`);
  return v;
}

function proofOf(el: Element): Hash[] {
  const list = el.getChildren("node");
  if (list.length > MAX_NODES) throw malformed("a proof is too long");
  return list.map((n) => {
    const h = hashFromHex(n.text());
    if (h === undefined) throw malformed("a proof node is not a SHA-256 in hex");
    return h;
  });
}

/** Ed25519 verification through WebCrypto (browsers and Node 20). */
async function signatureValid(head: SignedHead, publicKey: string): Promise<boolean> {
  const raw = fromBase64(publicKey, 32);
  const sig = fromBase64(head.signature, 64);
  if (raw?.length !== 32 || sig?.length !== 64) return false;
  const key = await subtle().importKey("raw", raw, { name: "Ed25519" }, false, ["verify"]);
  return subtle().verify({ name: "Ed25519" }, key, sig, headMessage(head));
}

/** Key transparency checks over one server's log. */
export class KeyLog {
  constructor(private readonly request: KeyLogRequest) {}

  /**
   * Fetches the latest head and verifies it: its signature with `pinnedKey` (on first use,
   * with no pinned key, the key it names: pin `head.key` then), that it never shrinks, and
   * that it extends `last` (a consistency proof). Persist the result as the next `last`.
   */
  async head(opts: { pinnedKey?: string; last?: SignedHead } = {}): Promise<SignedHead> {
    const el = await this.request(xml("head", { xmlns: NS_KEYLOG }));
    if (el?.name !== "head" || el.xmlns !== NS_KEYLOG) throw malformed("no <head/>");
    const head: SignedHead = {
      size: wholeNumber(el, "size"),
      root: text(el, "root"),
      timestamp: wholeNumber(el, "timestamp"),
      signature: text(el, "signature"),
      key: text(el, "key"),
    };
    if (hashFromHex(head.root) === undefined) throw malformed("the root is not a SHA-256 in hex");
    const pinned = opts.pinnedKey ?? opts.last?.key;
    if (pinned !== undefined && pinned !== head.key) {
      throw new KeyLogError(
        "key-changed",
        "the server's key log is signed with a different key than the one pinned before",
      );
    }
    if (!(await signatureValid(head, pinned ?? head.key))) {
      throw new KeyLogError("bad-signature", "the key log's head carries an invalid signature");
    }
    if (opts.last !== undefined) await this.checkConsistency(opts.last, head);
    return head;
  }

  /** Verifies that `next` extends `last`: throws `inconsistent` otherwise. */
  async checkConsistency(last: SignedHead, next: SignedHead): Promise<void> {
    const r1 = hashFromHex(last.root);
    const r2 = hashFromHex(next.root);
    if (r1 === undefined || r2 === undefined) throw malformed("a root is not a SHA-256 in hex");
    if (next.size < last.size) {
      throw new KeyLogError(
        "inconsistent",
        `the key log shrank from ${last.size} to ${next.size} entries`,
      );
    }
    let proof: Hash[] = [];
    if (last.size > 0 && last.size < next.size) {
      const el = await this.request(
        xml("consistency", {
          xmlns: NS_KEYLOG,
          from: String(last.size),
          to: String(next.size),
        }),
      );
      if (el?.name !== "consistency" || el.xmlns !== NS_KEYLOG)
        throw malformed("no <consistency/>");
      proof = proofOf(el);
    }
    if (!(await verifyConsistency(last.size, next.size, proof, r1, r2))) {
      throw new KeyLogError(
        "inconsistent",
        `the key log of ${next.size} entries does not extend the one of ${last.size} seen before: its history was changed`,
      );
    }
  }

  /**
   * Watching our own address: the keys logged for `self` under `head` that are not among
   * `mine` (the devices and identity keys we created). Anything returned is a device we did not
   * create, or a key swapped behind our back: alert the user.
   */
  async unknownDevices(
    self: string,
    head: SignedHead,
    mine: readonly { ns: string; device: number; ik: string }[],
  ): Promise<LoggedKey[]> {
    const known = new Set(mine.map((k) => `${k.ns} ${k.device} ${k.ik}`));
    return (await this.keysOf(self, head)).filter((k) => !known.has(`${k.ns} ${k.device} ${k.ik}`));
  }

  /**
   * The device keys of `jid` (a bare JID) in the log under `head` (already verified), each
   * with its inclusion proof checked against the head's root: throws `not-included` otherwise.
   */
  async keysOf(jid: string, head: SignedHead): Promise<LoggedKey[]> {
    const root = hashFromHex(head.root);
    if (root === undefined) throw malformed("the root is not a SHA-256 in hex");
    if (head.size === 0) return [];
    const el = await this.request(
      xml("leaves", { xmlns: NS_KEYLOG, jid, size: String(head.size) }),
    );
    if (el?.name !== "leaves" || el.xmlns !== NS_KEYLOG) throw malformed("no <leaves/>");
    const items = el.getChildren("leaf");
    if (items.length > MAX_LEAVES) throw malformed("too many leaves");
    const out: LoggedKey[] = [];
    for (const item of items) {
      const key: LoggedKey = {
        index: wholeNumber(item, "index"),
        // The address asked for, not one the server names: a leaf of someone else fails.
        jid,
        ns: text(item, "ns"),
        device: wholeNumber(item, "device"),
        ik: text(item, "ik"),
        at: text(item, "at"),
      };
      const { index, ...leaf } = key;
      const ok = await verifyInclusion(
        index,
        head.size,
        await leafHashOf(leaf),
        proofOf(item),
        root,
      );
      if (!ok) {
        throw new KeyLogError(
          "not-included",
          `device ${key.device} of ${jid} is not in the key log the server signed`,
        );
      }
      out.push(key);
    }
    return out;
  }
}
