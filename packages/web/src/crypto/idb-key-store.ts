// The web client's OMEMO keys and sessions in IndexedDB, for either namespace: one database per
// account and namespace (idb-omemo-store.ts, idb-omemo2-store.ts name them), so that neither
// schema's versions touch the other. The private keys never leave the browser: they are stored
// as plain structured-clone data (numbers, strings, Uint8Array) and only the SDK's OMEMO code
// reads them.

import type { RemoteIdentity } from "@hato/sdk";

const VERSION = 1;
/** Object stores: own device (one record, key "own"), pre-keys by id, sessions by address,
 * identities by [jid, device], device lists by jid. */
const OWN = "own";
const PREKEYS = "prekeys";
const SESSIONS = "sessions";
const IDENTITIES = "identities";
const DEVICES = "devices";

/** Wraps an IDBRequest in a promise. */
function done<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error ?? new Error("IndexedDB request failed"));
  });
}

/** Opens (creating on first use) the key database `name`. */
export function openKeyDb(name: string): Promise<IDBDatabase> {
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

/**
 * A key store over one IndexedDB database, every call its own transaction. `Own`, `Pair` and
 * `Session` are the namespace's record types: `IdbKeyStore<OwnDevice, KeyPair, string>` is
 * an OmemoStore, `IdbKeyStore<Omemo2Own, RawPair, Omemo2Session>` an Omemo2Store.
 */
export class IdbKeyStore<Own, Pair, Session> {
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

  loadOwn(): Promise<Own | undefined> {
    return this.get<Own>(OWN, "own");
  }
  saveOwn(own: Own): Promise<void> {
    return this.put(OWN, "own", own);
  }
  loadPreKey(id: number): Promise<Pair | undefined> {
    return this.get<Pair>(PREKEYS, id);
  }
  storePreKey(id: number, pair: Pair): Promise<void> {
    return this.put(PREKEYS, id, pair);
  }
  removePreKey(id: number): Promise<void> {
    return this.remove(PREKEYS, id);
  }
  async preKeyIds(): Promise<number[]> {
    const tx = this.db.transaction(PREKEYS, "readonly");
    return (await done(tx.objectStore(PREKEYS).getAllKeys())) as number[];
  }
  loadSession(address: string): Promise<Session | undefined> {
    return this.get<Session>(SESSIONS, address);
  }
  storeSession(address: string, record: Session): Promise<void> {
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
