// Bounded per-peer message memory: what receipts, markers and corrections can refer to.

import type { ChatMessage } from "./types.js";

/** A message as kept: the public shape plus who sent the original and the ids of its corrections. */
export interface Kept extends ChatMessage {
  /** Bare JID of the original sender (us for outgoing). */
  sender: string;
  /** Ids of correction stanzas that replaced it (later corrections may refer to them). */
  aliases: string[];
}

export const STORE_LIMITS = { peers: 1000, perPeer: 500, aliases: 16 };

interface PeerLog {
  list: Kept[];
  byId: Map<string, Kept>;
}

/** The public copy of a kept message (events never hand out the live object). */
export function snapshot(k: Kept): ChatMessage {
  const m: ChatMessage = {
    id: k.id,
    peer: k.peer,
    outgoing: k.outgoing,
    body: k.body,
    time: new Date(k.time.getTime()),
  };
  if (k.archiveId !== undefined) m.archiveId = k.archiveId;
  if (k.corrected) m.corrected = true;
  if (k.state !== undefined) m.state = k.state;
  if (k.file !== undefined) m.file = { ...k.file };
  if (k.encryptedFile !== undefined) m.encryptedFile = { ...k.encryptedFile };
  if (k.encryption !== undefined) m.encryption = k.encryption;
  if (k.problem !== undefined) m.problem = k.problem;
  if (k.unavailable !== undefined) m.unavailable = k.unavailable;
  return m;
}

/** Messages by peer, oldest first, with the most recent peers kept. */
export class MessageStore {
  private peers = new Map<string, PeerLog>();

  private log(peer: string, create: boolean): PeerLog | undefined {
    let l = this.peers.get(peer);
    if (l !== undefined) {
      this.peers.delete(peer);
      this.peers.set(peer, l); // most recently used last
      return l;
    }
    if (!create) return undefined;
    l = { list: [], byId: new Map() };
    this.peers.set(peer, l);
    if (this.peers.size > STORE_LIMITS.peers) {
      const oldest = this.peers.keys().next().value;
      if (oldest !== undefined) this.peers.delete(oldest);
    }
    return l;
  }

  /** The message with this id (or correction id) exchanged with `peer`, optionally by direction. */
  find(peer: string, id: string, outgoing?: boolean): Kept | undefined {
    const k = this.log(peer, false)?.byId.get(id);
    return k !== undefined && (outgoing === undefined || k.outgoing === outgoing) ? k : undefined;
  }

  /** Keeps a message; returns false when one with the same id and direction is already kept. */
  add(k: Kept): boolean {
    const l = this.log(k.peer, true)!;
    const existing = l.byId.get(k.id);
    if (existing !== undefined && existing.outgoing === k.outgoing) return false;
    // Kept in time order: history pages arrive older than what is already here.
    let i = l.list.length;
    while (i > 0 && l.list[i - 1]!.time.getTime() > k.time.getTime()) i--;
    l.list.splice(i, 0, k);
    l.byId.set(k.id, k);
    if (l.list.length > STORE_LIMITS.perPeer) {
      const gone = l.list.shift()!;
      for (const id of [gone.id, ...gone.aliases]) if (l.byId.get(id) === gone) l.byId.delete(id);
    }
    return true;
  }

  /** Records a correction id as another name of `k`. */
  alias(k: Kept, id: string): void {
    const l = this.log(k.peer, false);
    if (l === undefined || l.byId.has(id)) return;
    if (k.aliases.length >= STORE_LIMITS.aliases) {
      const old = k.aliases.shift()!;
      if (l.byId.get(old) === k) l.byId.delete(old);
    }
    k.aliases.push(id);
    l.byId.set(id, k);
  }

  /** Outgoing messages to `peer` up to and including `k`, newest first. */
  outgoingUpTo(k: Kept): Kept[] {
    const l = this.log(k.peer, false);
    if (l === undefined) return [];
    const i = l.list.indexOf(k);
    return l.list
      .slice(0, i + 1)
      .filter((m) => m.outgoing)
      .reverse();
  }
}
