// Creates the benchmark accounts user1..userN / "pass" directly in a Hato data folder's SQLite file.
//
//   node bench/dist/mkusers-hato.js --data DIR --users 2000 [--iterations 4096] [--shared]
//
// `hato user add` derives PBKDF2 keys in a new process per account; this opens the storage once.
// By default every account gets its own salt (as Prosody and ejabberd do, so a client cannot
// reuse one SaltedPassword for all users); --shared derives one set of SCRAM credentials and
// stores it for every account, which is only faster when the iteration count is very high.

import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { Accounts, HatoError, HatoErrors, scramFor } from "@hato/core";
import { openSqliteStorage } from "@hato/storage";

const { values } = parseArgs({
  options: {
    data: { type: "string" },
    users: { type: "string", default: "2000" },
    iterations: { type: "string", default: "4096" },
    domain: { type: "string", default: "localhost" },
    prefix: { type: "string", default: "user" },
    password: { type: "string", default: "pass" },
    concurrency: { type: "string", default: "8" },
    shared: { type: "boolean", default: false },
  },
});
if (!values.data) {
  process.stderr.write("usage: mkusers-hato --data DIR [--users N] [--iterations I] [--shared]\n");
  process.exit(2);
}
const n = Number(values.users);
const iterations = Number(values.iterations);
mkdirSync(values.data, { recursive: true, mode: 0o700 });
const storage = openSqliteStorage(join(values.data, "hato.db"));
const t0 = performance.now();
let created = 0;
let exists = 0;
try {
  if (values.shared) {
    const scram = await scramFor(values.password, iterations);
    for (let i = 1; i <= n; i++) {
      const ok = await storage.accounts.create({
        username: `${values.prefix}${i}`,
        createdAt: new Date(),
        scram,
        roles: [],
      });
      if (ok) created++;
      else exists++;
    }
  } else {
    const accounts = new Accounts(storage, values.domain, iterations);
    let next = 1;
    // PBKDF2 runs on libuv's thread pool, so a few derivations in flight use every core.
    const worker = async () => {
      while (next <= n) {
        const i = next++;
        try {
          await accounts.add(`${values.prefix}${i}@${values.domain}`, values.password);
          created++;
        } catch (err) {
          if (err instanceof HatoError && err.code === HatoErrors.USER_EXISTS) exists++;
          else throw err;
        }
      }
    };
    await Promise.all(Array.from({ length: Number(values.concurrency) }, worker));
  }
} finally {
  await storage.close();
}
const secs = (performance.now() - t0) / 1000;
process.stdout.write(
  `hato:${values.data} created=${created} exists=${exists} of ${n} (${iterations} iterations, ${values.shared ? "shared" : "per-user"} salts) in ${secs.toFixed(2)}s\n`,
);
