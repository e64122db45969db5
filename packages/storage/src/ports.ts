// Storage ports: one small interface per concern; every adapter (memory, SQLite, PostgreSQL) implements them all.

/** SCRAM verifier for one hash function (RFC 5802 §3): never the password itself. */
export interface StoredScram {
  iterations: number;
  salt: Buffer;
  storedKey: Buffer;
  serverKey: Buffer;
}

/** A local account. `username` is the already PRECIS-prepared localpart; it is compared exactly. */
export interface Account {
  username: string;
  createdAt: Date;
  scram: { sha1: StoredScram; sha256: StoredScram };
  /** e.g. ["admin"]; order is kept. */
  roles: string[];
  /** Always present on accounts read back from a store. */
  disabled?: boolean;
}

/** Fields of an account that can change after creation (credentials have their own method). */
export interface AccountChanges {
  roles?: string[];
  disabled?: boolean;
}

/** Accounts of the host. Order of `list` is Unicode code point order (= UTF-8 byte order). */
export interface AccountStore {
  get(username: string): Promise<Account | undefined>;
  /** false if the account exists already. */
  create(account: Account): Promise<boolean>;
  /** false if there is no such account. */
  setCredentials(username: string, scram: Account["scram"]): Promise<boolean>;
  /** Changes roles and/or the disabled flag; false if there is no such account. */
  update(username: string, changes: AccountChanges): Promise<boolean>;
  /** Deletes the account and all its data (offline messages, key-value data); false if none. */
  delete(username: string): Promise<boolean>;
  /** Usernames strictly after `after`, sorted by code point, at most `limit` of them. */
  list(opts?: { after?: string; limit?: number }): Promise<string[]>;
  count(): Promise<number>;
}

/** A message kept for a user who was offline. `id` is opaque: pass it back to `remove` unchanged. */
export interface OfflineMessage {
  id: number | string;
  stanza: string;
  stamp: Date;
  from: string;
}

/** Per-user quotas; bytes count the UTF-8 length of the serialised stanzas. */
export interface OfflineLimits {
  maxPerUser: number;
  maxBytesPerUser: number;
}

export type OfflinePushResult = "stored" | "quota-exceeded" | "no-such-user";

/** Messages waiting for an offline user; delivered with peek-then-remove so a crash re-delivers. */
export interface OfflineStore {
  /** Stores atomically with the quota check; refuses users without an account. */
  push(
    username: string,
    msg: { stanza: string; stamp: Date; from: string },
    limits: OfflineLimits,
  ): Promise<OfflinePushResult>;
  /** Oldest (first pushed) first; all of them unless `max` is given. */
  peek(username: string, max?: number): Promise<OfflineMessage[]>;
  /** Deletes the given messages of this user; unknown ids are ignored. */
  remove(username: string, ids: (number | string)[]): Promise<void>;
  count(username: string): Promise<number>;
}

/**
 * Small string documents namespaced by store name, per user, or per host with username "".
 * Data of a user lives and dies with the account, so writing for a user without one fails.
 */
export interface KeyValueStore {
  get(store: string, username: string, key: string): Promise<string | undefined>;
  /** `undefined` deletes; false (nothing written) if `username` is not "" and has no account. */
  set(store: string, username: string, key: string, value: string | undefined): Promise<boolean>;
  /** Keys sorted by code point. */
  keys(store: string, username: string): Promise<string[]>;
}

/** All ports of one database. After `close` (idempotent) every call rejects with HATO_ERR_STORAGE_CLOSED. */
export interface Storage {
  accounts: AccountStore;
  offline: OfflineStore;
  kv: KeyValueStore;
  close(): Promise<void>;
}
