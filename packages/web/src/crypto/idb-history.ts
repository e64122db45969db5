// The web client's decrypted history in IndexedDB (database `hato-history:<bare jid>`): the
// SDK's HistoryStore port. The server's archive holds only OMEMO ciphertext, and a message
// key works once, so this is the only place the text of an encrypted message survives a
// reload. Its own database, so that its schema version never clashes with the key store's.

import { type HistoryRecord, type HistoryStore, LOCAL_HISTORY_LIMITS } from "@hato/sdk";

const VERSION = 1;
const MESSAGES = "messages";

/** As stored: IndexedDB keys cannot be booleans, so the direction is 0 (in) or 1 (out). */
interface Row {
  peer: string;
  dir: 0 | 1;
  id: string;
  originId?: string;
  stanzaId?: string;
  body: string;
  time: number;
}

const toRow = (r: HistoryRecord): Row => ({
  peer: r.peer,
  dir: r.outgoing ? 1 : 0,
  id: r.id,
  body: r.body,
  time: r.time,
  ...(r.originId !== undefined ? { originId: r.originId } : {}),
  ...(r.stanzaId !== undefined ? { stanzaId: r.stanzaId } : {}),
});

/** Reads a row back, refusing anything that is not what we wrote (the store is not trusted blindly). */
function fromRow(v: unknown): HistoryRecord | undefined {
  if (typeof v !== "object" || v === null) return undefined;
  const r = v as Partial<Row>;
  if (
    typeof r.peer !== "string" ||
    (r.dir !== 0 && r.dir !== 1) ||
    typeof r.id !== "string" ||
    typeof r.body !== "string" ||
    typeof r.time !== "number" ||
    (r.originId !== undefined && typeof r.originId !== "string") ||
    (r.stanzaId !== undefined && typeof r.stanzaId !== "string")
  )
    return undefined;
  return {
    peer: r.peer,
    outgoing: r.dir === 1,
    id: r.id,
    body: r.body,
    time: r.time,
    ...(r.originId !== undefined ? { originId: r.originId } : {}),
    ...(r.stanzaId !== undefined ? { stanzaId: r.stanzaId } : {}),
  };
}

/** A request as a promise. */
function done<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

/** A transaction's end as a promise. */
function finished(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error ?? new Error("the history transaction was aborted"));
  });
}

/** Deletes the oldest rows of `range` in `index` (time order) beyond `keep`. */
async function trim(index: IDBIndex, range: IDBKeyRange | null, keep: number): Promise<void> {
  let extra = (await done(index.count(range ?? undefined))) - keep;
  if (extra <= 0) return;
  await new Promise<void>((resolve, reject) => {
    const req = index.openCursor(range);
    req.onerror = () => reject(req.error);
    req.onsuccess = () => {
      const cursor = req.result;
      if (cursor === null || extra <= 0) return resolve();
      cursor.delete();
      extra--;
      cursor.continue();
    };
  });
}

/** HistoryStore over one IndexedDB database. */
export class IdbHistoryStore implements HistoryStore {
  constructor(private readonly db: IDBDatabase) {}

  async get(peer: string, outgoing: boolean, id: string): Promise<HistoryRecord | undefined> {
    const tx = this.db.transaction(MESSAGES, "readonly");
    return fromRow(await done(tx.objectStore(MESSAGES).get([peer, outgoing ? 1 : 0, id])));
  }

  async byStanzaId(peer: string, stanzaId: string): Promise<HistoryRecord | undefined> {
    const tx = this.db.transaction(MESSAGES, "readonly");
    return fromRow(await done(tx.objectStore(MESSAGES).index("stanza").get([peer, stanzaId])));
  }

  async put(r: HistoryRecord): Promise<void> {
    const tx = this.db.transaction(MESSAGES, "readwrite");
    const end = finished(tx);
    const store = tx.objectStore(MESSAGES);
    store.put(toRow(r));
    // The limits, oldest first: this conversation's, then everyone's.
    await trim(
      store.index("peer-time"),
      IDBKeyRange.bound([r.peer, -Infinity], [r.peer, Infinity]),
      LOCAL_HISTORY_LIMITS.perPeer,
    );
    await trim(store.index("time"), null, LOCAL_HISTORY_LIMITS.total);
    await end;
  }

  async list(peer: string): Promise<HistoryRecord[]> {
    const tx = this.db.transaction(MESSAGES, "readonly");
    const rows = await done(
      tx
        .objectStore(MESSAGES)
        .index("peer-time")
        .getAll(IDBKeyRange.bound([peer, -Infinity], [peer, Infinity])),
    );
    return rows.map(fromRow).filter((r) => r !== undefined);
  }

  close(): void {
    this.db.close();
  }
}

/** Opens (creating on first use) the decrypted history of `jid` on this browser. */
export function openHistoryStore(jid: string): Promise<IdbHistoryStore> {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(`hato-history:${jid.toLowerCase()}`, VERSION);
    req.onupgradeneeded = () => {
      const db = req.result;
      const store = db.createObjectStore(MESSAGES, { keyPath: ["peer", "dir", "id"] });
      // Rows without a stanza-id are simply not in this index (a key path with a missing part).
      store.createIndex("stanza", ["peer", "stanzaId"], { unique: false });
      store.createIndex("peer-time", ["peer", "time"]);
      store.createIndex("time", "time");
    };
    req.onsuccess = () => resolve(new IdbHistoryStore(req.result));
    req.onerror = () => reject(req.error);
    req.onblocked = () => reject(new Error("the local history is open in an older tab"));
  });
}
