// `hato start`: open the data folder, make what is missing, start listening.

import { randomBytes } from "node:crypto";
import { existsSync, unlinkSync, writeFileSync } from "node:fs";
import {
  Accounts,
  adminRequest,
  type Config,
  createLogger,
  dataPolicyFile,
  HatoError,
  HatoErrors,
  Server,
  serveAdminSocket,
} from "@hato/core";
import { createKeyLog, defaultModules } from "@hato/modules";
import { openSqliteStorage } from "@hato/storage";
import {
  auditKey,
  ensureDataDir,
  keylogKey,
  paths,
  serverSecret,
  tlsMaterial,
} from "./data-dir.js";

/** Creates admin@domain with a random password on first start and shows that password once. */
async function firstAdmin(accounts: Accounts, config: Config, count: number): Promise<void> {
  if (count > 0) return;
  const password = randomBytes(18).toString("base64url");
  const address = `admin@${config.domain}`;
  await accounts.add(address, password, ["admin"]);
  // Roles come from the policy only: without a config file, the first admin is named in the
  // data folder's policy (which the admin console edits); a config file is never rewritten here.
  const own = dataPolicyFile(config.data);
  if (config.file === undefined && !existsSync(own))
    writeFileSync(
      own,
      "# Written at the first start; the admin console and `hato user role` edit it.\nroles:\n  admin: [admin]\n",
      { mode: 0o600 },
    );
  // Shown on the terminal when there is one; otherwise a file only the server's user can
  // read. Never through the logger, so it cannot end up in collected logs.
  if (process.stdout.isTTY) {
    process.stdout.write(
      `\nFirst start: created ${address} with password\n\n    ${password}\n\nIt is shown only this once.\n\n`,
    );
  } else {
    const file = paths(config.data).adminPassword;
    writeFileSync(file, `${address} ${password}\n`, { mode: 0o600 });
    process.stdout.write(
      `First start: created ${address}; its password is in ${file} (readable only by this user).\n`,
    );
  }
}

export async function start(config: Config): Promise<number> {
  const log = createLogger(config.log.level);
  ensureDataDir(config.data);
  const p = paths(config.data);
  // One server per data folder: a second one would share the database and take over the
  // first one's admin socket.
  if ((await adminRequest(p.socket, { op: "ping" }, 3000).catch(() => undefined)) !== undefined) {
    throw new HatoError(HatoErrors.DATA_IN_USE, `another Hato server is running on ${config.data}`);
  }
  const tls = await tlsMaterial(config);
  const storage = openSqliteStorage(p.db);
  const accounts = new Accounts(storage, config.domain, config.scram.iterations);
  await firstAdmin(accounts, config, await storage.accounts.count());
  const server = new Server({
    config,
    storage,
    log,
    // The key log signs with the data folder's key, which clients pin.
    modules: defaultModules.map((m) =>
      m.name === "keylog" ? createKeyLog({ key: keylogKey(config.data) }) : m,
    ),
    secret: serverSecret(config.data),
    tls,
    auditKey: auditKey(config.data),
  });
  const ports = await server.start();
  const admin = await serveAdminSocket(server, p.socket);
  // Handlers first: a SIGTERM sent as soon as "ready" is read must find them installed, or
  // the default action kills the process without closing the audit log.
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info("stopping", { signal });
    admin.close();
    try {
      unlinkSync(p.socket);
    } catch {}
    await server.stop();
    await storage.close();
    process.exit(0);
  };
  process.on("SIGINT", () => void stop("SIGINT"));
  process.on("SIGTERM", () => void stop("SIGTERM"));
  process.stdout.write(
    `hato: ready domain=${config.domain} c2s-port=${ports.c2s} tls-port=${ports.tls} data=${config.data}\n`,
  );
  if (ports.tls !== 0) {
    const url = `https://${config.domain}${ports.tls === 443 ? "" : `:${ports.tls}`}/`;
    process.stdout.write(
      server.webRoot === undefined
        ? `hato: one port ${url} (XMPP direct TLS, HTTPS, WebSocket); the web client is not built (npm run build -w @hato/web) and web.root is not set\n`
        : `hato: web client at ${url} (the same port carries XMPP direct TLS and WebSocket)\n`,
    );
  }
  log.info("started", { domain: config.domain, c2s: ports.c2s, tls: ports.tls });

  return -1;
}
