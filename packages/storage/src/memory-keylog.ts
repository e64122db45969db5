// In-memory key transparency log port, for tests.

import {
  checkKeyLogHead,
  checkKeyLogLeaf,
  checkKeyLogRange,
  checkNextIndex,
  copyHead,
  copyLeaf,
} from "./keylog-validate.js";
import type { KeyLogHead, KeyLogLeaf, KeyLogStore } from "./ports.js";
import { checkCount, checkText } from "./validate.js";

/** The key log port over arrays; `live` throws once the storage is closed. */
export function memoryKeyLog(live: () => void): KeyLogStore {
  const leaves: KeyLogLeaf[] = [];
  const heads: KeyLogHead[] = [];
  return {
    async append(leaf) {
      live();
      checkKeyLogLeaf(leaf);
      checkNextIndex(leaf.index, leaves.length);
      leaves.push(copyLeaf(leaf));
    },
    async size() {
      live();
      return leaves.length;
    },
    async list(opts) {
      live();
      checkKeyLogRange(opts);
      return leaves.slice(opts.from, opts.from + opts.limit).map(copyLeaf);
    },
    async byJid(jid, limit) {
      live();
      checkText("jid", jid);
      checkCount("limit", limit);
      const mine = leaves.filter((l) => l.jid === jid);
      return (limit === 0 ? [] : mine.slice(-limit)).map(copyLeaf);
    },
    async has(k) {
      live();
      return leaves.some(
        (l) => l.jid === k.jid && l.ns === k.ns && l.device === k.device && l.ik === k.ik,
      );
    },
    async countSince(jid, since) {
      live();
      checkText("jid", jid);
      checkText("since", since);
      return leaves.filter((l) => l.jid === jid && l.at >= since).length;
    },
    async addHead(head) {
      live();
      checkKeyLogHead(head);
      heads.push(copyHead(head));
    },
    async lastHead() {
      live();
      const best = [...heads].sort((a, b) => b.size - a.size || b.timestamp - a.timestamp)[0];
      return best === undefined ? undefined : copyHead(best);
    },
  };
}
