// `hato backup --out DIR` and `hato restore DIR --data DATA` (docs/backup.md): the database
// through SQLite's online backup API (the server may keep running), uploaded files, the audit
// signing key, the server secret and generated certificates, with a manifest of SHA-256 digests.

import { createHash } from "node:crypto";
import { createReadStream, existsSync } from "node:fs";
import { chmod, copyFile, mkdir, readdir, readFile, stat, writeFile } from "node:fs/promises";
import { dirname, isAbsolute, join, normalize, sep } from "node:path";
import { AuditLog, adminRequest, type Config, HatoError, HatoErrors } from "@hato/core";
import {
  backupSqlite,
  checkSqliteIntegrity,
  openSqliteStorage,
  sqliteSchemaVersion,
} from "@hato/storage";
import { existingAuditKey, paths } from "./data-dir.js";

export const MANIFEST = "manifest.json";
const FORMAT = "hato-backup";

/** One file of a backup: its path inside the backup (with /), size and SHA-256 (hex). */
export interface ManifestFile {
  path: string;
  size: number;
  sha256: string;
}

export interface Manifest {
  format: typeof FORMAT;
  version: 1;
  created: string;
  domain: string;
  schemaVersion: number;
  files: ManifestFile[];
}

/** Folders and files of the data folder that a backup holds (relative to it). */
const DATA_FOLDERS = ["uploads/files", "uploads/quarantine", "tls"];
const DATA_FILES = ["audit-key.pem", "keylog-key.pem", "secret", "policy.yaml"];

const fail = (message: string): never => {
  throw new HatoError(HatoErrors.BACKUP_FAILED, message);
};

async function sha256(file: string): Promise<string> {
  const h = createHash("sha256");
  for await (const chunk of createReadStream(file)) h.update(chunk as Buffer);
  return h.digest("hex");
}

/** Whether a folder is missing or empty. */
async function emptyOrMissing(dir: string): Promise<boolean> {
  if (!existsSync(dir)) return true;
  return (await readdir(dir)).length === 0;
}

/** Every regular file under `dir`, as paths relative to `root`. */
async function filesUnder(root: string, dir: string): Promise<string[]> {
  const full = join(root, dir);
  if (!existsSync(full)) return [];
  const out: string[] = [];
  for (const e of await readdir(full, { withFileTypes: true })) {
    const rel = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await filesUnder(root, rel)));
    else if (e.isFile()) out.push(rel);
  }
  return out;
}

/** Copies `from` to `to` (private modes); false when `from` vanished meanwhile. */
async function copyPrivate(from: string, to: string): Promise<boolean> {
  await mkdir(dirname(to), { recursive: true, mode: 0o700 });
  try {
    await copyFile(from, to);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw err;
  }
  await chmod(to, 0o600);
  return true;
}

/** `hato backup --out DIR`: works with the server running or stopped. */
export async function backup(config: Config, out: string): Promise<Manifest> {
  const p = paths(config.data);
  if (!existsSync(p.db)) fail(`there is no database in ${config.data} to back up`);
  if (!(await emptyOrMissing(out)))
    fail(`${out} is not empty; a backup goes into a new or empty folder`);
  await mkdir(out, { recursive: true, mode: 0o700 });
  await chmod(out, 0o700);
  const names: string[] = [];
  // The database first: a file released after this snapshot is copied without its record
  // (ignored), one deleted after it may lack its bytes (docs/backup.md).
  await backupSqlite(p.db, join(out, "hato.db"));
  names.push("hato.db");
  for (const f of DATA_FILES)
    if (await copyPrivate(join(config.data, f), join(out, f))) names.push(f);
  for (const dir of DATA_FOLDERS)
    for (const rel of await filesUnder(config.data, dir))
      if (await copyPrivate(join(config.data, rel), join(out, rel))) names.push(rel);
  const files: ManifestFile[] = [];
  for (const rel of names.sort()) {
    const full = join(out, rel);
    files.push({
      path: rel.split(sep).join("/"),
      size: (await stat(full)).size,
      sha256: await sha256(full),
    });
  }
  const manifest: Manifest = {
    format: FORMAT,
    version: 1,
    created: new Date().toISOString(),
    domain: config.domain,
    schemaVersion: sqliteSchemaVersion,
    files,
  };
  await writeFile(join(out, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o600 });
  return manifest;
}

/** Reads and checks a backup's manifest and every file it lists; throws on any mismatch. */
export async function checkBackup(dir: string): Promise<Manifest> {
  const file = join(dir, MANIFEST);
  if (!existsSync(file)) fail(`${dir} has no ${MANIFEST}: not a Hato backup`);
  let m: Manifest;
  try {
    m = JSON.parse(await readFile(file, "utf8")) as Manifest;
  } catch {
    return fail(`${file} is not JSON`);
  }
  if (m.format !== FORMAT || m.version !== 1 || !Array.isArray(m.files))
    fail(`${file} is not a Hato backup manifest of version 1`);
  if (m.schemaVersion > sqliteSchemaVersion)
    fail(
      `the backup's database has schema version ${m.schemaVersion}, this Hato knows up to ${sqliteSchemaVersion}; restore it with a newer Hato`,
    );
  if (!m.files.some((f) => f.path === "hato.db")) fail("the manifest lists no hato.db");
  for (const f of m.files) {
    // Paths stay inside the backup (and later the data folder): no absolute paths, no "..".
    const rel = normalize(f.path);
    if (typeof f.path !== "string" || isAbsolute(rel) || rel.startsWith(".."))
      fail(`the manifest names a path outside the backup: ${JSON.stringify(f.path)}`);
    const full = join(dir, rel);
    if (!existsSync(full)) fail(`${f.path} is listed in the manifest but missing`);
    const size = (await stat(full)).size;
    if (size !== f.size) fail(`${f.path} has ${size} bytes, the manifest says ${f.size}`);
    if ((await sha256(full)) !== f.sha256)
      fail(`${f.path} does not match its SHA-256 in the manifest (damaged or altered)`);
  }
  const listed = new Set(m.files.map((f) => normalize(f.path)));
  for (const rel of await filesUnder(dir, "."))
    if (normalize(rel) !== MANIFEST && !listed.has(normalize(rel)))
      fail(`${rel} is in the backup but not in its manifest`);
  return m;
}

/** `hato restore DIR --data DATA`: into an empty data folder, with no server on it. */
export async function restore(config: Config, from: string): Promise<Manifest> {
  const data = config.data;
  const p = paths(data);
  if ((await adminRequest(p.socket, { op: "ping" }, 3000).catch(() => undefined)) !== undefined)
    fail(`a Hato server is running on ${data}; stop it first (a restore replaces its data)`);
  if (!(await emptyOrMissing(data)))
    fail(`${data} is not empty; restore into a new or empty data folder`);
  const m = await checkBackup(from);
  const integrity = checkSqliteIntegrity(join(from, "hato.db"));
  if (integrity !== "ok") fail(`the backup's database is damaged: ${integrity}`);
  await mkdir(data, { recursive: true, mode: 0o700 });
  await chmod(data, 0o700);
  for (const f of m.files) await copyPrivate(join(from, f.path), join(data, f.path));
  // The restored log says so itself, signed with the restored key (no server runs on DATA).
  const storage = openSqliteStorage(p.db);
  try {
    const key = existingAuditKey(data);
    const audit = new AuditLog({
      store: storage.audit,
      ...(key === undefined ? {} : { key }),
      signEveryEntries: config.audit.signEveryEntries,
      signEverySeconds: config.audit.signEverySeconds,
    });
    await audit.record("backup-restored", {
      details: { created: m.created, files: m.files.length },
    });
    await audit.close();
  } finally {
    await storage.close();
  }
  return m;
}

/** The `hato backup` and `hato restore` commands. */
export async function backupCommand(
  config: Config,
  command: "backup" | "restore",
  args: string[],
  out: string | undefined,
): Promise<number> {
  if (command === "backup") {
    if (out === undefined || args.length > 0) {
      process.stderr.write("usage: hato backup --out DIR [--data DATA]\n");
      return 2;
    }
    const m = await backup(config, out);
    process.stdout.write(
      `backed up ${config.data} to ${out}: ${m.files.length} files and ${MANIFEST} (see docs/backup.md). It holds the audit signing key, the server secret and every archive: keep it as safe as the server.\n`,
    );
    return 0;
  }
  const [from] = args;
  if (from === undefined || args.length > 1) {
    process.stderr.write("usage: hato restore DIR --data DATA\n");
    return 2;
  }
  const m = await restore(config, from);
  process.stdout.write(
    `restored the backup of ${m.created} (${m.files.length} files, every SHA-256 checked) into ${config.data}\n`,
  );
  return 0;
}
