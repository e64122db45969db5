// The data folder with the server stopped: its database and an audit log writer that records
// what the server would have recorded, for commands that work without a running server.

import { AuditLog, type Config } from "@hato/core";
import { openSqliteStorage, type Storage } from "@hato/storage";
import { auditKey, ensureDataDir, paths } from "./data-dir.js";

/** Runs `fn` on the data folder's database and audit log, closing both after. */
export async function withDataFolder<T>(
  config: Config,
  fn: (storage: Storage, audit: AuditLog) => Promise<T>,
): Promise<T> {
  ensureDataDir(config.data);
  const storage = openSqliteStorage(paths(config.data).db);
  try {
    const audit = new AuditLog({
      store: storage.audit,
      key: auditKey(config.data),
      signEveryEntries: config.audit.signEveryEntries,
      signEverySeconds: config.audit.signEverySeconds,
    });
    try {
      return await fn(storage, audit);
    } finally {
      await audit.close();
    }
  } finally {
    await storage.close();
  }
}
