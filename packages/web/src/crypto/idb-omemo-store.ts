// The web client's OMEMO keys (eu.siacs.conversations.axolotl) in IndexedDB: the SDK's
// OmemoStore port over the shared key store (idb-key-store.ts), database `hato-omemo:<bare jid>`.

import type { KeyPair, OmemoStore, OwnDevice } from "@hato/sdk";
import { IdbKeyStore, openKeyDb } from "./idb-key-store.js";

/** The database name of `jid`'s OMEMO store (one database per account). */
export const omemoDbName = (jid: string): string => `hato-omemo:${jid}`;

export type IdbOmemoStore = IdbKeyStore<OwnDevice, KeyPair, string> & OmemoStore;

/** The OMEMO store of `jid` (a bare JID), created on first use. */
export async function openOmemoStore(jid: string): Promise<IdbOmemoStore> {
  return new IdbKeyStore<OwnDevice, KeyPair, string>(await openKeyDb(omemoDbName(jid)));
}
