// In-memory audit log port, for tests.

import {
  checkAuditEntry,
  checkAuditHead,
  checkAuditList,
  checkNextSeq,
  copyAuditEntry,
  copyAuditHead,
} from "./audit-validate.js";
import type { AuditEntry, AuditSignedHead, AuditStore } from "./ports.js";

/** The audit port over arrays; `live` throws once the storage is closed. */
export function memoryAudit(live: () => void): AuditStore {
  const entries: AuditEntry[] = [];
  const heads: AuditSignedHead[] = [];
  return {
    async append(entry) {
      live();
      checkAuditEntry(entry);
      checkNextSeq(entry.seq, entries.at(-1)?.seq ?? 0);
      entries.push(copyAuditEntry(entry));
    },
    async last() {
      live();
      const e = entries.at(-1);
      return e === undefined ? undefined : copyAuditEntry(e);
    },
    async list(opts) {
      live();
      checkAuditList(opts);
      const after = opts.afterSeq ?? 0;
      return entries
        .filter((e) => e.seq > after)
        .slice(0, opts.limit)
        .map(copyAuditEntry);
    },
    async addHead(head) {
      live();
      checkAuditHead(head);
      heads.push(copyAuditHead(head));
    },
    async heads() {
      live();
      return [...heads]
        .sort((a, b) => a.seq - b.seq || a.time.getTime() - b.time.getTime())
        .map(copyAuditHead);
    },
  };
}
