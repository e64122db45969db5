// The servers bench/upload.ts compares, each in its own folder on free loopback ports: clamd,
// `hato start` with an engine, and Debian's Prosody with mod_http_file_share.

import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { connect as netConnect } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Accounts } from "@hato/core";
import { EICAR, pingClamd } from "@hato/modules";
import { openSqliteStorage } from "@hato/storage";
import { spawnServer } from "./webclient-server.js";

const REPO = fileURLToPath(new URL("../../", import.meta.url));
const CLI = join(REPO, "packages", "cli", "dist", "main.js");
export const MB = 1_000_000;
export const USER = "bench";
export const PASSWORD = "bench-password";
/** Every server's file limit. */
export const LIMIT = 200 * MB;

export interface Target {
  name: string;
  /** The XMPP domain and direct-TLS port, the slot service, and what to close. */
  domain: string;
  xmppPort: number;
  service: string;
  stop(): Promise<void>;
}

const freePort = async (): Promise<number> => {
  const { createServer } = await import("node:net");
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const { port } = s.address() as { port: number };
  await new Promise((r) => s.close(r));
  return port;
};

async function waitPort(port: number, what: string, child?: ChildProcess): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = netConnect({ host: "127.0.0.1", port }, () => {
        s.destroy();
        resolve(true);
      });
      s.on("error", () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline || child?.exitCode != null) throw new Error(`${what} did not start`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** clamd from Debian, in its own folder, limits at the upload limit, a one-signature database. */
export async function startClamd(dir: string): Promise<{ address: string; stop(): Promise<void> }> {
  await mkdir(join(dir, "db"), { recursive: true });
  await mkdir(join(dir, "tmp"));
  await writeFile(join(dir, "db", "bench.ndb"), `Bench.EICAR:0:*:${EICAR.toString("hex")}\n`);
  const port = await freePort();
  const conf = join(dir, "clamd.conf");
  await writeFile(
    conf,
    [
      "Foreground yes",
      "TCPAddr 127.0.0.1",
      `TCPSocket ${port}`,
      `DatabaseDirectory ${join(dir, "db")}`,
      `TemporaryDirectory ${join(dir, "tmp")}`,
      `LogFile ${join(dir, "clamd.log")}`,
      "AlertExceedsMax yes",
      "AlertEncrypted yes",
      `StreamMaxLength ${LIMIT}`,
      `MaxFileSize ${LIMIT}`,
      `MaxScanSize ${LIMIT}`,
      "",
    ].join("\n"),
  );
  const child = spawn("/usr/sbin/clamd", ["--config-file", conf], { stdio: "ignore" });
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      await pingClamd({ address: { host: "127.0.0.1", port }, timeoutSeconds: 2 });
      break;
    } catch (err) {
      if (child.exitCode !== null || Date.now() > deadline)
        throw new Error(`clamd did not start: ${(err as Error).message}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  return { address: `tcp://127.0.0.1:${port}`, stop: () => stopChild(child) };
}

/** SIGTERM to `pid` (the child itself unless given), SIGKILL after 10 s; resolves on the child's exit. */
async function stopChild(child: ChildProcess, pid = child.pid): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || pid === undefined) return;
  const exited = once(child, "exit");
  const kill = (signal: NodeJS.Signals) => {
    try {
      process.kill(pid, signal);
    } catch {}
  };
  kill("SIGTERM");
  const timer = setTimeout(() => kill("SIGKILL"), 10_000);
  await exited;
  clearTimeout(timer);
}

/** A `hato start` process with the engine given, its account written before it starts. */
export async function startHato(
  dir: string,
  cert: { certFile: string; keyFile: string },
  engine: string,
  clamdAddress?: string,
): Promise<Target> {
  const data = join(dir, "data");
  await mkdir(data, { recursive: true, mode: 0o700 });
  const storage = openSqliteStorage(join(data, "hato.db"));
  await new Accounts(storage, "localhost", 4096).add(`${USER}@localhost`, PASSWORD);
  await storage.close();
  const big = String(1_000_000 * MB);
  const hato = await spawnServer(CLI, dir, {
    data,
    domain: "localhost",
    host: "127.0.0.1",
    "c2s-port": "0",
    "tls-cert": cert.certFile,
    "tls-key": cert.keyFile,
    "log-level": "warn",
    "upload.max-file-bytes": String(LIMIT),
    "upload.quota-user-bytes": big,
    "upload.quota-total-bytes": big,
    "scan.engine": engine,
    ...(clamdAddress === undefined ? {} : { "scan.clamd-address": clamdAddress }),
  });
  return {
    name: `Hato ${engine}`,
    domain: "localhost",
    xmppPort: hato.tlsPort,
    service: "localhost",
    stop: hato.stop,
  };
}

/**
 * Prosody (Debian) as the `prosody` user: direct-TLS c2s, HTTPS, the upload component
 * `upload.localhost` with mod_http_file_share, limits raised to the same 200 MB.
 */
export async function startProsody(
  dir: string,
  cert: { cert: string; key: string },
): Promise<Target> {
  await mkdir(join(dir, "data"), { recursive: true });
  const xmppPort = await freePort();
  const httpsPort = await freePort();
  await writeFile(join(dir, "cert.pem"), cert.cert);
  await writeFile(join(dir, "key.pem"), cert.key, { mode: 0o600 });
  const cfg = join(dir, "prosody.cfg.lua");
  const ssl = `{ certificate = "${join(dir, "cert.pem")}"; key = "${join(dir, "key.pem")}" }`;
  await writeFile(
    cfg,
    `pidfile = "${join(dir, "prosody.pid")}"
data_path = "${join(dir, "data")}"
plugin_paths = { }
network_backend = "epoll"
interfaces = { "127.0.0.1" }
local_interfaces = { "127.0.0.1" }
c2s_ports = { }
c2s_direct_tls_ports = { ${xmppPort} }
s2s_ports = { }
component_ports = { }
http_ports = { }
https_ports = { ${httpsPort} }
https_interfaces = { "127.0.0.1" }
ssl = ${ssl}
https_ssl = ${ssl}
modules_enabled = { "disco"; "roster"; "saslauth"; "tls"; "ping"; "posix" }
modules_disabled = { "s2s" }
authentication = "internal_plain"
storage = "internal"
log = { warn = "${join(dir, "prosody.log")}" }
http_file_share_size_limit = ${LIMIT}
http_file_share_daily_quota = ${1_000_000 * MB}

VirtualHost "localhost"
Component "upload.localhost" "http_file_share"
`,
  );
  execFileSync("chown", ["-R", "prosody:prosody", dir]);
  execFileSync("runuser", [
    "-u",
    "prosody",
    "--",
    "prosodyctl",
    "--config",
    cfg,
    "register",
    USER,
    "localhost",
    PASSWORD,
  ]);
  const child = spawn("runuser", ["-u", "prosody", "--", "prosody", "--config", cfg, "-F"], {
    stdio: "ignore",
  });
  await waitPort(httpsPort, "prosody", child);
  await waitPort(xmppPort, "prosody", child);
  // biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query's own format syntax
  const debian = execFileSync("dpkg-query", ["-W", "-f=${Version}", "prosody"]).toString();
  const version = debian.replace(/-[^-]*$/, ""); // without the Debian revision
  return {
    name: `Prosody ${version}`,
    domain: "localhost",
    xmppPort,
    service: "upload.localhost",
    // runuser waits for Prosody, which gets the signal itself (its pid is in its pidfile).
    stop: async () => {
      const pid = Number((await readFile(join(dir, "prosody.pid"), "utf8")).trim());
      await stopChild(child, pid > 0 ? pid : undefined);
    },
  };
}
