// The data folder: database, server secret, generated certificate, admin socket, first password.

import { randomBytes } from "node:crypto";
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
