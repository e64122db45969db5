// `hato audit verify|export`: read the data folder's database directly (read-only), with the
// server running or stopped.

import { existsSync } from "node:fs";
import { type Config, verifyAuditLog } from "@hato/core";
import { type AuditEntry, openSqliteStorage } from "@hato/storage";
import { existingAuditKey, paths } from "./data-dir.js";

/** One entry as a JSON object: the stored fields, `details` parsed, `time` in ISO 8601. */
export function entryJson(e: AuditEntry): Record<string, unknown> {
  let details: unknown;
  try {
    details = JSON.parse(e.details);
  } catch {
    details = e.details; // a tampered entry still exports; verify says what is wrong
  }
  return {
    seq: e.seq,
    time: e.time.toISOString(),
    kind: e.kind,
    ...(e.actor === undefined ? {} : { actor: e.actor }),
    ...(e.subject === undefined ? {} : { subject: e.subject }),
    ...(e.address === undefined ? {} : { address: e.address }),
    details,
    prevHash: e.prevHash,
    hash: e.hash,
  };
}

export async function auditCommand(config: Config, args: string[]): Promise<number> {
  const [sub] = args;
  if (sub !== "verify" && sub !== "export") {
    process.stderr.write("usage: hato audit verify|export [--data DIR]\n");
    return 2;
  }
  const file = paths(config.data).db;
  if (!existsSync(file)) {
    process.stderr.write(`hato: no database in ${config.data}\n`);
    return 1;
  }
  const storage = openSqliteStorage(file, { readonly: true });
  try {
    if (sub === "export") {
      let afterSeq = 0;
      for (;;) {
        const page = await storage.audit.list({ afterSeq, limit: 1000 });
        if (page.length === 0) break;
        const text = page.map((e) => `${JSON.stringify(entryJson(e))}\n`).join("");
        if (!process.stdout.write(text)) await new Promise((r) => process.stdout.once("drain", r));
        afterSeq = page.at(-1)!.seq;
      }
      return 0;
    }
    const key = existingAuditKey(config.data);
    const verdict = await verifyAuditLog(storage.audit, key);
    if (verdict.ok) {
      process.stdout.write(`${verdict.summary}\n`);
      if (key === undefined)
        process.stderr.write(
          `hato: warning: ${paths(config.data).auditKey} is missing; head signatures were not checked\n`,
        );
      return 0;
    }
    process.stderr.write(`hato: audit log tampered: ${verdict.problem}\n`);
    return 1;
  } finally {
    await storage.close();
  }
}
