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
  /** Deletes the account and all its data (offline, key-value, roster, archive, PEP); false if none. */
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
  /** Deletes this user's messages stored before `before` (retention); returns how many. */
  purge(username: string, before: Date): Promise<number>;
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

/** RFC 6121 §2.1.2.5 subscription states of a roster item. */
export type Subscription = "none" | "to" | "from" | "both";

/** One roster item; `jid` is a prepared bare JID and the item's key within its roster. */
export interface RosterItem {
  jid: string;
  /** The user's name for the contact; absent when none was given. */
  name?: string;
  subscription: Subscription;
  /** The user asked to see the contact's presence and awaits an answer (RFC 6121 §3.1.2). */
  ask?: boolean;
  /** Pre-approved: the contact's future subscription request is accepted at once (§3.4). */
  approved?: boolean;
  /** Group names, without duplicates, in the order the client gave them. */
  groups: string[];
}

/** A roster and its version (XEP-0237): the version grows with every change, 0 before the first. */
export interface Roster {
  version: number;
  items: RosterItem[];
}

/** Rosters of local accounts. Items are listed in code point order of their JIDs. */
export interface RosterStore {
  get(username: string): Promise<Roster>;
  item(username: string, jid: string): Promise<RosterItem | undefined>;
  /**
   * Writes one item (`undefined` deletes it) and bumps the version; returns the new version,
   * or undefined (nothing written) if the user has no account or, deleting, there was no item.
   */
  set(username: string, jid: string, item: RosterItem | undefined): Promise<number | undefined>;
  count(username: string): Promise<number>;
  /** Usernames whose roster has an item for `jid` (a bare JID), sorted by code point. */
  holders(jid: string): Promise<string[]>;
}

/** A message in a user's archive (XEP-0313); `id` is the XEP-0359 stanza-id the server gave it. */
export interface ArchivedMessage {
  id: string;
  stamp: Date;
  /** Bare JID of the other party (the user's own bare JID for notes to self). */
  with: string;
  stanza: string;
}

/** A page request over one archive, oldest first, as XEP-0313 §4 and XEP-0059 define it. */
export interface ArchiveQuery {
  /** Only messages with this bare JID. */
  with?: string;
  /** Inclusive time bounds. */
  start?: Date;
  end?: Date;
  /** Only messages after this id (exclusive). */
  after?: string;
  /** Only messages before this id (exclusive); `true` asks for the last page. */
  before?: string | true;
  /** Only these ids (XEP-0313 `urn:xmpp:mam:2#extended`). */
  ids?: string[];
  /** Page size; at most this many messages are returned. */
  limit: number;
}

export interface ArchivePage {
  /** Oldest first, also for `before` queries (the page nearest the anchor). */
  messages: ArchivedMessage[];
  /** True when no message matching the filters lies beyond this page in the direction asked. */
  complete: boolean;
  /** How many messages match the filters without paging. */
  count: number;
}

export type ArchiveAppendResult = "stored" | "no-such-user" | "duplicate-id";

/** Message archives of local accounts. */
export interface ArchiveStore {
  append(username: string, msg: ArchivedMessage): Promise<ArchiveAppendResult>;
  /** undefined when `after` or `before` names an id not in this archive (RSM item-not-found). */
  query(username: string, q: ArchiveQuery): Promise<ArchivePage | undefined>;
  /** Deletes messages older than `before` (all when omitted); returns how many. */
  purge(username: string, before?: Date): Promise<number>;
}

/** A pubsub node of one owner (for PEP, the account); `config` holds XEP-0060 form values. */
export interface PubsubNode {
  name: string;
  config: Record<string, string | string[]>;
}

export interface PubsubItem {
  id: string;
  /** The serialised payload element. */
  payload: string;
  /** Bare JID of the publisher. */
  publisher: string;
  stamp: Date;
}

/**
 * Pubsub nodes and items per owner. PEP (XEP-0163) owners are accounts, whose nodes die with
 * them; writes for a username without an account return false.
 */
export interface PubsubStore {
  nodes(owner: string): Promise<PubsubNode[]>;
  node(owner: string, name: string): Promise<PubsubNode | undefined>;
  /** Creates or reconfigures a node; false if the owner has no account. */
  putNode(owner: string, node: PubsubNode): Promise<boolean>;
  /** Deletes a node and its items; false if there was none. */
  deleteNode(owner: string, name: string): Promise<boolean>;
  /**
   * Adds an item, replacing one with the same id, then keeps only the newest `maxItems`;
   * false if the node does not exist.
   */
  publish(owner: string, name: string, item: PubsubItem, maxItems: number): Promise<boolean>;
  /** Newest first; only the given ids when `ids` is set; at most `max`. */
  items(
    owner: string,
    name: string,
    opts?: { ids?: string[]; max?: number },
  ): Promise<PubsubItem[]>;
  /** false if there was no such item. */
  retract(owner: string, name: string, id: string): Promise<boolean>;
  /** Deletes every item of a node; false if the node does not exist. */
  purge(owner: string, name: string): Promise<boolean>;
}

/** All ports of one database. After `close` (idempotent) every call rejects with HATO_ERR_STORAGE_CLOSED. */
export interface Storage {
  accounts: AccountStore;
  offline: OfflineStore;
  kv: KeyValueStore;
  roster: RosterStore;
  archive: ArchiveStore;
  pubsub: PubsubStore;
  files: FileStore;
  audit: AuditStore;
  keylog: KeyLogStore;
  /**
   * Makes deleted content unreadable in the storage's files (retention, account deletion):
   * SQLite checkpoints and truncates its write-ahead log, whose old frames still hold deleted
   * rows. Returns false when a reader kept the log from being truncated (try again later).
   */
  compact(): Promise<boolean>;
  close(): Promise<void>;
}

/**
 * Where an uploaded file stands (XEP-0363): a slot is `reserved` until its one PUT starts
 * (`uploading`), then `scanning` until the verdict: `clean` and `not-scanned` (the scanner was
 * down and the admin chose to accept) are served, `infected` stays in quarantine, never served.
 */
export type FileState =
  | "reserved"
  | "uploading"
  | "scanning"
  | "clean"
  | "not-scanned"
  | "infected";

/** One upload slot and, once the PUT arrived, its file. Sizes count toward quotas in every state. */
export interface FileRecord {
  /** The slot id (random, URL-safe); the key. */
  id: string;
  /** Username of the uploader. */
  owner: string;
  /** The sanitised file name. */
  name: string;
  size: number;
  /** The announced media type ("" when none was announced). */
  type: string;
  /** SHA-256 (hex) of the URL's secret: the secret itself is never stored. */
  secretHash: string;
  state: FileState;
  created: Date;
  /** The PUT must start before this. */
  slotExpires: Date;
  /** When the verdict came; set from `scanning` on. */
  stored?: Date;
  /** SHA-256 (hex) of the bytes received. */
  sha256?: string;
  /** Why a file is infected or not scanned (the scanner's words). */
  reason?: string;
}

/** Quotas checked atomically with a reservation. */
export interface FileQuota {
  userBytes: number;
  totalBytes: number;
}

export type FileReserveResult = "reserved" | "user-quota" | "total-quota" | "duplicate-id";

/** Changes written with a state transition. */
export interface FileChanges {
  stored?: Date;
  sha256?: string;
  reason?: string;
}

/** Upload slots and files' metadata; the bytes live in the data folder. */
export interface FileStore {
  /** Stores a new slot if the owner's and everyone's bytes stay within the quota. */
  reserve(file: FileRecord, quota: FileQuota): Promise<FileReserveResult>;
  get(id: string): Promise<FileRecord | undefined>;
  /** Moves a file from state `from` to `to` only if it is in `from` now; false otherwise. */
  transition(id: string, from: FileState, to: FileState, changes?: FileChanges): Promise<boolean>;
  /** false if there was none. */
  delete(id: string): Promise<boolean>;
  /** Bytes of one owner's slots and files, in every state. */
  usage(owner: string): Promise<number>;
  /** Bytes of everyone's slots and files. */
  totalUsage(): Promise<number>;
  /** One owner's slots and files, oldest first. */
  list(owner: string): Promise<FileRecord[]>;
  /**
   * Slots and files due for removal, oldest first: not yet stored (`reserved`, `uploading`,
   * `scanning`) with `slotExpires` before `slotsBefore`, and any created before `filesBefore`.
   */
  expired(opts: { slotsBefore: Date; filesBefore?: Date; limit: number }): Promise<FileRecord[]>;
}

/**
 * One audit log entry. `hash` is SHA-256 (hex) over the entry's canonical form including
 * `prevHash`, the previous entry's hash (64 zeros for the first): the core computes both; the
 * store keeps them as given.
 */
export interface AuditEntry {
  /** 1, 2, 3... without gaps. */
  seq: number;
  time: Date;
  /** What happened: `auth-succeeded`, `session-closed`, `upload-verdict`... */
  kind: string;
  /** Who did it (a username or "admin"). */
  actor?: string;
  /** What or whom it concerns (a username, a file slot). */
  subject?: string;
  /** The network address it came from. */
  address?: string;
  /** Canonical JSON text of the other facts (never passwords or message bodies). */
  details: string;
  prevHash: string;
  hash: string;
}

/** A signature (Ed25519, base64) over the canonical `{seq, hash, time}` of the chain's head. */
export interface AuditSignedHead {
  seq: number;
  hash: string;
  time: Date;
  signature: string;
}

/** The append-only audit log: no update, no delete. */
export interface AuditStore {
  /** Appends an entry; rejects with HATO_ERR_STORAGE_INVALID_ARGUMENT unless `seq` is the last + 1. */
  append(entry: AuditEntry): Promise<void>;
  /** The newest entry, if any. */
  last(): Promise<AuditEntry | undefined>;
  /** Entries in stored order (by `seq`) after `afterSeq` (default 0), at most `limit`. */
  list(opts: { afterSeq?: number; limit: number }): Promise<AuditEntry[]>;
  /** Stores a signed head. */
  addHead(head: AuditSignedHead): Promise<void>;
  /** Every signed head, by `seq` then time. */
  heads(): Promise<AuditSignedHead[]>;
}

/**
 * One leaf of the key transparency log (docs/key-transparency.md): a device key a user
 * published. `hash` is the RFC 9162 leaf hash (hex) over the leaf's canonical JSON; the
 * module computes it, the store keeps it as given.
 */
export interface KeyLogLeaf {
  /** 0, 1, 2... without gaps: the leaf's position in the Merkle tree. */
  index: number;
  /** Bare JID of the key's owner. */
  jid: string;
  /** "eu.siacs.conversations.axolotl" or "urn:xmpp:omemo:2". */
  ns: string;
  device: number;
  /** SHA-256 (hex) of the identity public key bytes as published. */
  ik: string;
  /** When the server logged it (ISO 8601). */
  at: string;
  hash: string;
}

/** A signed tree head: Ed25519 (base64) over the head's canonical form. */
export interface KeyLogHead {
  size: number;
  /** The Merkle tree hash (hex) of the first `size` leaves. */
  root: string;
  /** ms since the epoch. */
  timestamp: number;
  signature: string;
}

/** The append-only key log: no update, no delete; leaves outlive accounts. */
export interface KeyLogStore {
  /** Appends a leaf; rejects with HATO_ERR_STORAGE_INVALID_ARGUMENT unless `index` is the size. */
  append(leaf: KeyLogLeaf): Promise<void>;
  /** How many leaves there are. */
  size(): Promise<number>;
  /** Leaves by index from `from` (inclusive), at most `limit`. */
  list(opts: { from: number; limit: number }): Promise<KeyLogLeaf[]>;
  /** The newest `limit` leaves of one bare JID, in index order. */
  byJid(jid: string, limit: number): Promise<KeyLogLeaf[]>;
  /** Whether this exact key of this device is logged already. */
  has(key: { jid: string; ns: string; device: number; ik: string }): Promise<boolean>;
  /** How many leaves of `jid` were logged at `since` (ISO 8601) or later. */
  countSince(jid: string, since: string): Promise<number>;
  addHead(head: KeyLogHead): Promise<void>;
  /** The newest stored head (largest size, then latest timestamp). */
  lastHead(): Promise<KeyLogHead | undefined>;
}
