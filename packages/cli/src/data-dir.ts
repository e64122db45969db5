// The data folder: database, server secret, generated certificate, admin socket, first password.

import { createPrivateKey, generateKeyPairSync, type KeyObject, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Config } from "@hato/core";
import type { PemPair } from "./certs.js";

export const paths = (data: string) => ({
  db: join(data, "hato.db"),
  secret: join(data, "secret"),
  socket: join(data, "admin.sock"),
  adminPassword: join(data, "admin-password"),
  tlsDir: join(data, "tls"),
  auditKey: join(data, "audit-key.pem"),
  keylogKey: join(data, "keylog-key.pem"),
});

/** Creates the folder (0700) if missing; nobody but the server's user may look inside. */
export function ensureDataDir(data: string): void {
  mkdirSync(data, { recursive: true, mode: 0o700 });
}

/** The server secret (for fake SCRAM salts), created once with 32 random bytes. */
export function serverSecret(data: string): Buffer {
  const file = paths(data).secret;
  if (!existsSync(file)) writeFileSync(file, randomBytes(32), { mode: 0o600, flag: "wx" });
  return readFileSync(file);
}

/**
 * The Ed25519 key that signs the audit log's head, created once (0600) in the data folder.
 * It lives outside the database so that someone who can write the database cannot re-sign a
 * recomputed chain; keep a copy elsewhere (or back it up apart from the database).
 */
export function auditKey(data: string): KeyObject {
  return signingKey(paths(data).auditKey);
}

/**
 * The Ed25519 key that signs the key transparency log's heads (docs/key-transparency.md),
 * created once (0600). Clients pin its public key: losing it makes every client warn.
 */
export function keylogKey(data: string): KeyObject {
  return signingKey(paths(data).keylogKey);
}

/** An Ed25519 private key in `file`, made there (0600, never overwritten) on first use. */
function signingKey(file: string): KeyObject {
  if (!existsSync(file)) {
    const { privateKey } = generateKeyPairSync("ed25519");
    const pem = privateKey.export({ type: "pkcs8", format: "pem" }) as string;
    writeFileSync(file, pem, { mode: 0o600, flag: "wx" });
  }
  return createPrivateKey(readFileSync(file, "utf8"));
}

/** The audit key when it exists (verifying must not create one). */
export function existingAuditKey(data: string): KeyObject | undefined {
  const file = paths(data).auditKey;
  return existsSync(file) ? createPrivateKey(readFileSync(file, "utf8")) : undefined;
}

/** The configured certificate, or a self-signed one generated in the data folder for the domain. */
export async function tlsMaterial(config: Config): Promise<PemPair> {
  if (config.tls.cert !== "") {
    return {
      cert: readFileSync(config.tls.cert, "utf8"),
      key: readFileSync(config.tls.key, "utf8"),
    };
  }
  const dir = paths(config.data).tlsDir;
  const cert = join(dir, `${config.domain}.crt`);
  const key = join(dir, `${config.domain}.key`);
  if (!existsSync(cert) || !existsSync(key)) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const names =
      config.domain === "localhost" ? ["localhost"] : [config.domain, `*.${config.domain}`];
    // Loaded only here: the X.509 library costs start-up time and memory a configured
    // certificate never needs.
    const { createSelfSigned } = await import("./certs.js");
    const pair = await createSelfSigned(names);
    writeFileSync(key, pair.key, { mode: 0o600 });
    writeFileSync(cert, pair.cert, { mode: 0o644 });
  }
  return { cert: readFileSync(cert, "utf8"), key: readFileSync(key, "utf8") };
}
