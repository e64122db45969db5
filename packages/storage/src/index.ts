// @hato/storage: storage ports, their adapters (memory, SQLite) and the contract every adapter passes.

export { runStorageContract } from "./contract.js";
export { StorageError, type StorageErrorCode, storageErrors } from "./errors.js";
export { openMemoryStorage } from "./memory.js";
export type {
  Account,
  AccountChanges,
  AccountStore,
  ArchiveAppendResult,
  ArchivedMessage,
  ArchivePage,
  ArchiveQuery,
  ArchiveStore,
  AuditEntry,
  AuditSignedHead,
  AuditStore,
  FileChanges,
  FileQuota,
  FileRecord,
  FileReserveResult,
  FileState,
  FileStore,
  KeyLogHead,
  KeyLogLeaf,
  KeyLogStore,
  KeyValueStore,
  OfflineLimits,
  OfflineMessage,
  OfflinePushResult,
  OfflineStore,
  PubsubItem,
  PubsubNode,
  PubsubStore,
  Roster,
  RosterItem,
  RosterStore,
  Storage,
  StoredScram,
  Subscription,
} from "./ports.js";
export { latestVersion as sqliteSchemaVersion } from "./sqlite/migrations.js";
export {
  backupSqlite,
  checkSqliteIntegrity,
  openSqliteStorage,
  type SqliteOptions,
} from "./sqlite/open.js";
