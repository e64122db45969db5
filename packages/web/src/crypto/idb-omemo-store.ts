// The web client's OMEMO keys and sessions in IndexedDB: the SDK's OmemoStore port, one
// database per account (`hato-omemo:<bare jid>`). The private keys never leave the browser:
// they are stored as plain structured-clone data (numbers, strings, Uint8Array) and only the
// SDK's OMEMO code reads them.

import type { KeyPair, OmemoStore, OwnDevice, RemoteIdentity } from "@hato/sdk";

const VERSION = 1;
/** Object stores: own device (one record, key "own"), pre-keys by id, sessions by address,
 * identities by [jid, device], device lists by jid. */
const OWN = "own";
const PREKEYS = "prekeys";
const SESSIONS = "sessions";
const IDENTITIES = "identities";
const DEVICES = "devices";

/** The database name of `jid`'s OMEMO store (shared decision: one database per account). */
export const omemoDbName = (jid: string): string => `hato-omemo:${jid}`;

/** Wraps an IDBRequest in a promise. */
function done<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error ?? new Error("IndexedDB request failed"));
  });
}

/** Opens (creating on first use) the OMEMO database of `jid`. */
function openDb(name: string): Promise<IDBDatabase> {
  const req = indexedDB.open(name, VERSION);
  req.onupgradeneeded = () => {
    const db = req.result;
    for (const s of [OWN, PREKEYS, SESSIONS, IDENTITIES, DEVICES])
      if (!db.objectStoreNames.contains(s)) db.createObjectStore(s);
  };
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error ?? new Error(`cannot open IndexedDB ${name}`));
    req.onblocked = () => reject(new Error(`IndexedDB ${name} is blocked by another tab`));
  });
}

/** OmemoStore over one IndexedDB database; every call is its own transaction. */
export class IdbOmemoStore implements OmemoStore {
  constructor(private readonly db: IDBDatabase) {}

  private async get<T>(store: string, key: IDBValidKey): Promise<T | undefined> {
    const tx = this.db.transaction(store, "readonly");
    return (await done(tx.objectStore(store).get(key))) as T | undefined;
  }

  private put(store: string, key: IDBValidKey, value: unknown): Promise<void> {
    const tx = this.db.transaction(store, "readwrite");
    tx.objectStore(store).put(value, key);
    return committed(tx);
  }

  private remove(store: string, key: IDBValidKey): Promise<void> {
    const tx = this.db.transaction(store, "readwrite");
    tx.objectStore(store).delete(key);
    return committed(tx);
  }

  loadOwn(): Promise<OwnDevice | undefined> {
    return this.get<OwnDevice>(OWN, "own");
  }
  saveOwn(own: OwnDevice): Promise<void> {
    return this.put(OWN, "own", own);
  }
  loadPreKey(id: number): Promise<KeyPair | undefined> {
    return this.get<KeyPair>(PREKEYS, id);
  }
  storePreKey(id: number, pair: KeyPair): Promise<void> {
    return this.put(PREKEYS, id, pair);
  }
  removePreKey(id: number): Promise<void> {
    return this.remove(PREKEYS, id);
  }
  async preKeyIds(): Promise<number[]> {
    const tx = this.db.transaction(PREKEYS, "readonly");
    return (await done(tx.objectStore(PREKEYS).getAllKeys())) as number[];
  }
  loadSession(address: string): Promise<string | undefined> {
    return this.get<string>(SESSIONS, address);
  }
  storeSession(address: string, record: string): Promise<void> {
    return this.put(SESSIONS, address, record);
  }
  removeSession(address: string): Promise<void> {
    return this.remove(SESSIONS, address);
  }
  loadIdentity(jid: string, device: number): Promise<RemoteIdentity | undefined> {
    return this.get<RemoteIdentity>(IDENTITIES, [jid, device]);
  }
  saveIdentity(jid: string, device: number, identity: RemoteIdentity): Promise<void> {
    return this.put(IDENTITIES, [jid, device], identity);
  }
  async identities(jid: string): Promise<Map<number, RemoteIdentity>> {
    // Array keys sort by their first element, then the second: [jid, 0] … [jid, ∞] is one contact.
    const range = IDBKeyRange.bound([jid, 0], [jid, Number.POSITIVE_INFINITY]);
    const tx = this.db.transaction(IDENTITIES, "readonly");
    const s = tx.objectStore(IDENTITIES);
    const [keys, values] = await Promise.all([
      done(s.getAllKeys(range)),
      done(s.getAll(range)) as Promise<RemoteIdentity[]>,
    ]);
    const out = new Map<number, RemoteIdentity>();
    keys.forEach((k, i) => {
      out.set((k as [string, number])[1], values[i]!);
    });
    return out;
  }
  loadDevices(jid: string): Promise<number[] | undefined> {
    return this.get<number[]>(DEVICES, jid);
  }
  saveDevices(jid: string, devices: number[]): Promise<void> {
    return this.put(DEVICES, jid, devices);
  }

  /** Closes the database (sign-out). */
  close(): void {
    this.db.close();
  }
}

/** Resolves when a write transaction has committed (the data is on disk as far as IndexedDB says). */
function committed(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error ?? new Error("IndexedDB transaction failed"));
    tx.onabort = () => reject(tx.error ?? new Error("IndexedDB transaction aborted"));
  });
}

/** The OMEMO store of `jid` (a bare JID), created on first use. */
export async function openOmemoStore(jid: string): Promise<IdbOmemoStore> {
  return new IdbOmemoStore(await openDb(omemoDbName(jid)));
}
