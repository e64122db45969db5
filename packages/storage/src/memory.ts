// In-memory storage adapter for tests: same behaviour as the database adapters, nothing persisted.

import { StorageError } from "./errors.js";
import { memoryAudit } from "./memory-audit.js";
import { memoryFiles } from "./memory-files.js";
import {
  emptyImData,
  type ImData,
  memoryArchive,
  memoryPubsub,
  memoryRoster,
} from "./memory-im.js";
import { memoryKeyLog } from "./memory-keylog.js";
import type {
  Account,
  AccountChanges,
  AccountStore,
  KeyValueStore,
  OfflineLimits,
  OfflineMessage,
  OfflinePushResult,
  OfflineStore,
  Storage,
  StoredScram,
} from "./ports.js";
import {
  checkAccount,
  checkChanges,
  checkDate,
  checkId,
  checkKvOwner,
  checkLimit,
  checkLimits,
  checkScram,
  checkText,
  checkUsername,
  compareCodePoints,
  utf8Bytes,
} from "./validate.js";

interface StoredMessage extends OfflineMessage {
  id: number;
  bytes: number;
}

/** Everything a user owns; dropping it from the map deletes all of that user's data at once. */
interface UserData {
  account: Account;
  offline: StoredMessage[];
  kv: Map<string, Map<string, string>>;
  im: ImData;
}

// Copies on the way in and out, so callers can never mutate what is stored (a database can't).
function copyScram(s: StoredScram): StoredScram {
  return {
    iterations: s.iterations,
    salt: Buffer.from(s.salt),
    storedKey: Buffer.from(s.storedKey),
    serverKey: Buffer.from(s.serverKey),
  };
}

function copyAccount(a: Account): Account {
  return {
    username: a.username,
    createdAt: new Date(a.createdAt.getTime()),
    scram: { sha1: copyScram(a.scram.sha1), sha256: copyScram(a.scram.sha256) },
    roles: [...a.roles],
    disabled: a.disabled === true,
  };
}

function copyMessage(m: StoredMessage): OfflineMessage {
  return { id: m.id, stanza: m.stanza, stamp: new Date(m.stamp.getTime()), from: m.from };
}

/** Opens an empty storage that lives as long as the returned object. */
export function openMemoryStorage(): Storage {
  const users = new Map<string, UserData>();
  const hostKv = new Map<string, Map<string, string>>();
  let nextId = 1;
  let closed = false;

  const live = (): void => {
    if (closed) throw new StorageError("HATO_ERR_STORAGE_CLOSED");
  };

  const accounts: AccountStore = {
    async get(username) {
      live();
      checkUsername(username);
      const user = users.get(username);
      return user && copyAccount(user.account);
    },
    async create(account) {
      live();
      checkAccount(account);
      if (users.has(account.username)) return false;
      users.set(account.username, {
        account: copyAccount(account),
        offline: [],
        kv: new Map(),
        im: emptyImData(),
      });
      return true;
    },
    async setCredentials(username, scram) {
      live();
      checkUsername(username);
      checkScram(scram);
      const user = users.get(username);
      if (!user) return false;
      user.account.scram = { sha1: copyScram(scram.sha1), sha256: copyScram(scram.sha256) };
      return true;
    },
    async update(username, changes: AccountChanges) {
      live();
      checkUsername(username);
      checkChanges(changes);
      const user = users.get(username);
      if (!user) return false;
      if (changes.roles !== undefined) user.account.roles = [...changes.roles];
      if (changes.disabled !== undefined) user.account.disabled = changes.disabled;
      return true;
    },
    async delete(username) {
      live();
      checkUsername(username);
      return users.delete(username);
    },
    async list(opts = {}) {
      live();
      if (opts.after !== undefined) checkText("after", opts.after);
      checkLimit("limit", opts.limit);
      const after = opts.after;
      const names = [...users.keys()]
        .filter((name) => after === undefined || compareCodePoints(name, after) > 0)
        .sort(compareCodePoints);
      return opts.limit === undefined ? names : names.slice(0, opts.limit);
    },
    async count() {
      live();
      return users.size;
    },
  };

  const offline: OfflineStore = {
    async push(username, msg, limits: OfflineLimits): Promise<OfflinePushResult> {
      live();
      checkUsername(username);
      checkText("stanza", msg.stanza);
      checkText("from", msg.from);
      checkDate("stamp", msg.stamp);
      checkLimits(limits);
      const user = users.get(username);
      if (!user) return "no-such-user";
      const bytes = utf8Bytes(msg.stanza);
      const used = user.offline.reduce((sum, m) => sum + m.bytes, 0);
      if (user.offline.length + 1 > limits.maxPerUser || used + bytes > limits.maxBytesPerUser) {
        return "quota-exceeded";
      }
      const stamp = new Date(msg.stamp.getTime());
      user.offline.push({ id: nextId++, stanza: msg.stanza, stamp, from: msg.from, bytes });
      return "stored";
    },
    async peek(username, max) {
      live();
      checkUsername(username);
      checkLimit("max", max);
      const list = users.get(username)?.offline ?? [];
      return list.slice(0, max ?? list.length).map(copyMessage);
    },
    async remove(username, ids) {
      live();
      checkUsername(username);
      for (const id of ids) checkId(id);
      const user = users.get(username);
      if (!user) return;
      const gone = new Set(ids.map(String));
      user.offline = user.offline.filter((m) => !gone.has(String(m.id)));
    },
    async count(username) {
      live();
      checkUsername(username);
      return users.get(username)?.offline.length ?? 0;
    },
    async purge(username, before) {
      live();
      checkUsername(username);
      checkDate("before", before);
      const user = users.get(username);
      if (!user) return 0;
      const kept = user.offline.filter((m) => m.stamp.getTime() >= before.getTime());
      const gone = user.offline.length - kept.length;
      user.offline = kept;
      return gone;
    },
  };

  /** The store map of a user or of the host; undefined for a user without an account. */
  const space = (username: string): Map<string, Map<string, string>> | undefined =>
    username === "" ? hostKv : users.get(username)?.kv;

  const kv: KeyValueStore = {
    async get(store, username, key) {
      live();
      checkKvOwner(store, username);
      checkText("key", key);
      return space(username)?.get(store)?.get(key);
    },
    async set(store, username, key, value) {
      live();
      checkKvOwner(store, username);
      checkText("key", key);
      if (value !== undefined) checkText("value", value);
      const stores = space(username);
      if (!stores) return false;
      let entries = stores.get(store);
      if (value === undefined) {
        entries?.delete(key);
        if (entries?.size === 0) stores.delete(store);
        return true;
      }
      if (!entries) {
        entries = new Map();
        stores.set(store, entries);
      }
      entries.set(key, value);
      return true;
    },
    async keys(store, username) {
      live();
      checkKvOwner(store, username);
      return [...(space(username)?.get(store)?.keys() ?? [])].sort(compareCodePoints);
    },
  };

  const im = (username: string) => users.get(username)?.im;
  return {
    accounts,
    offline,
    kv,
    roster: memoryRoster(im, live, () =>
      [...users.entries()].map(([name, u]) => [name, u.im] as const),
    ),
    archive: memoryArchive(im, live),
    pubsub: memoryPubsub(im, live),
    files: memoryFiles(live),
    audit: memoryAudit(live),
    keylog: memoryKeyLog(live),
    async compact() {
      live();
      return true; // nothing outlives a delete in memory
    },
    async close() {
      closed = true;
    },
  };
}
