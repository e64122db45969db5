// What the key log watcher remembers between runs, and reading it back: the stored copy is
// data like any other (a damaged or edited one is refused, never half-used).

import type { SignedHead } from "./leaf.js";

/** The watcher's memory, as persisted (plain JSON). */
export interface KeyLogMemory {
  v: 1;
  /** The last verified head; its `key` is the pinned log key. */
  head?: SignedHead;
  /** Our own keys the user acknowledged ("This is mine"). */
  acknowledged: { ns: string; device: number; ik: string }[];
  /** The head size up to which every key of our own address was seen. */
  ownChecked?: number;
}

/** More acknowledged keys than this is not a real account: the memory is refused. */
const MAX_ACKNOWLEDGED = 1000;

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);
const count = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
const short = (v: unknown, max: number): v is string =>
  typeof v === "string" && v.length > 0 && v.length <= max;

function parseHead(v: unknown): SignedHead | undefined {
  if (!isObject(v)) return undefined;
  const { size, root, timestamp, signature, key } = v;
  if (!count(size) || !count(timestamp)) return undefined;
  if (!short(root, 64) || !short(signature, 200) || !short(key, 100)) return undefined;
  return { size, root, timestamp, signature, key };
}

/**
 * The memory in `raw` (undefined on first use gives an empty memory); undefined when it is
 * damaged. Field values are checked for type and size only: the head's root and signature
 * are checked by the next consistency proof.
 */
export function parseMemory(raw: unknown): KeyLogMemory | undefined {
  if (raw === undefined || raw === null) return { v: 1, acknowledged: [] };
  if (!isObject(raw) || raw.v !== 1) return undefined;
  const head = raw.head === undefined ? undefined : parseHead(raw.head);
  if (raw.head !== undefined && head === undefined) return undefined;
  const ack = raw.acknowledged;
  if (!Array.isArray(ack) || ack.length > MAX_ACKNOWLEDGED) return undefined;
  const acknowledged: KeyLogMemory["acknowledged"] = [];
  for (const k of ack) {
    if (!isObject(k) || !short(k.ns, 100) || !count(k.device) || !short(k.ik, 64)) return undefined;
    acknowledged.push({ ns: k.ns, device: k.device, ik: k.ik });
  }
  if (raw.ownChecked !== undefined && !count(raw.ownChecked)) return undefined;
  const mem: KeyLogMemory = { v: 1, acknowledged };
  if (head !== undefined) mem.head = head;
  if (raw.ownChecked !== undefined) mem.ownChecked = raw.ownChecked as number;
  return mem;
}
