// The web client's OMEMO 2 (urn:xmpp:omemo:2) keys in IndexedDB: the SDK's Omemo2Store port
// over the shared key store (idb-key-store.ts), database `hato-omemo2:<bare jid>`, beside the
// legacy namespace's `hato-omemo:<bare jid>`.

import type { Omemo2Own, Omemo2Session, Omemo2Store, RawPair } from "@hato/sdk";
import { IdbKeyStore, openKeyDb } from "./idb-key-store.js";

/** The database name of `jid`'s OMEMO 2 store (one database per account and namespace). */
export const omemo2DbName = (jid: string): string => `hato-omemo2:${jid}`;

export type IdbOmemo2Store = IdbKeyStore<Omemo2Own, RawPair, Omemo2Session> & Omemo2Store;

/** The OMEMO 2 store of `jid` (a bare JID), created on first use. */
export async function openOmemo2Store(jid: string): Promise<IdbOmemo2Store> {
  return new IdbKeyStore<Omemo2Own, RawPair, Omemo2Session>(await openKeyDb(omemo2DbName(jid)));
}
