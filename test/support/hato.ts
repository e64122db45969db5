// A real `hato start` in a child process, on loopback, with a temporary data folder and a test CA.

import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createCa } from "@hato/cli";
import { forgetFolder, Proc, type RunResult, removeAtExit, run } from "./process.js";

/** The CLI, found relative to this file (test/dist/support → packages/cli/dist). */
export const CLI = fileURLToPath(new URL("../../../packages/cli/dist/main.js", import.meta.url));

const READY = /^hato: ready domain=(\S+) c2s-port=(\d+) tls-port=(\d+) data=(.+)$/;

export interface TestCerts {
  /** PEM file of the test CA, to be trusted by clients. */
  caFile: string;
  certFile: string;
  keyFile: string;
}

let certs: Promise<TestCerts> | undefined;
/** A CA and a certificate for localhost under it, written once per process to a temp folder. */
export function testCerts(): Promise<TestCerts> {
  certs ??= (async () => {
    const dir = await mkdtemp(join(tmpdir(), "hato-certs-"));
    removeAtExit(dir);
    const ca = await createCa();
    const leaf = await ca.issue(["localhost"]);
    const files = {
      caFile: join(dir, "ca.pem"),
      certFile: join(dir, "localhost.pem"),
      keyFile: join(dir, "localhost.key"),
    };
    await writeFile(files.caFile, ca.cert);
    await writeFile(files.certFile, leaf.cert);
    await writeFile(files.keyFile, leaf.key, { mode: 0o600 });
    return files;
  })();
  return certs;
}

/** A port free on 127.0.0.1 right now (Hato's port 0 means "off", not "any"). */
export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, "127.0.0.1", resolve));
  const { port } = s.address() as { port: number };
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

/** The accounts most interop tests start with: each user's password is "<name>-secret". */
export const TEST_USERS: Readonly<Record<string, string>> = {
  alice: "alice-secret",
  bob: "bob-secret",
  carol: "carol-secret",
  dave: "dave-secret",
};

export interface HatoOptions {
  /** Extra settings as flags without the dashes: `{ "offline-max-messages": "5" }`. */
  flags?: Record<string, string>;
  logLevel?: "debug" | "info" | "warn" | "error";
  /** Milliseconds to wait for the ready line. */
  startTimeoutMs?: number;
  /** Accounts to create once the server runs: local part → password. */
  users?: Record<string, string>;
}

export interface Hato {
  domain: string;
  c2sPort: number;
  tlsPort: number;
  dataDir: string;
  caFile: string;
  /** The running server process (undefined while stopped). */
  proc: Proc | undefined;
  /** Runs the CLI with `--data` for this server (its admin socket when running). */
  cli(args: string[], opts?: { input?: string }): Promise<RunResult>;
  /** `hato user add NAME@domain --password PW`; throws with the output when it fails. */
  addUser(name: string, password: string): Promise<void>;
  /** Stops (SIGTERM, expecting exit 0) and starts again on the same data folder and ports. */
  restart(): Promise<void>;
  /** Stops the server only, keeping the data folder. Returns its exit. */
  shutdown(): Promise<RunResult | undefined>;
  /** Starts a stopped server again. */
  start(): Promise<void>;
  /** Stops the server and removes the temporary folder. Safe to call twice. */
  stop(): Promise<void>;
  /** The server's standard error so far (its log). */
  log(): string;
}

/** Starts `hato start` on 127.0.0.1 on two free ports; call `stop()` in an `after` hook. */
export async function startHato(opts: HatoOptions = {}): Promise<Hato> {
  const { caFile, certFile, keyFile } = await testCerts();
  const root = await mkdtemp(join(tmpdir(), "hato-test-"));
  removeAtExit(root);
  const dataDir = join(root, "data");
  let ports = { c2s: String(await freePort()), tls: String(await freePort()) };
  let logs = "";
  const domain = "localhost";

  // cwd is the temp folder so that no hato.yaml lying around is picked up.
  const cli = (args: string[], o: { input?: string } = {}) =>
    run(process.execPath, [CLI, ...args, "--data", dataDir], {
      cwd: root,
      input: o.input ?? "",
      timeoutMs: 30_000,
    });

  const launch = async () => {
    const settings: Record<string, string> = {
      data: dataDir,
      domain,
      host: "127.0.0.1",
      "c2s-port": ports.c2s,
      "tls-port": ports.tls,
      "tls-cert": certFile,
      "tls-key": keyFile,
      "log-level": opts.logLevel ?? (process.env.HATO_TEST_LOG === "1" ? "debug" : "info"),
      ...opts.flags,
    };
    const args = [CLI, "start", ...Object.entries(settings).flatMap(([k, v]) => [`--${k}`, v])];
    const proc = new Proc(process.execPath, args, { cwd: root });
    try {
      const { line } = await proc.waitForLine(READY, opts.startTimeoutMs ?? 20_000);
      const m = READY.exec(line)!;
      ports = { c2s: m[2]!, tls: m[3]! };
    } catch (err) {
      await proc.stop("SIGKILL");
      throw new Error(`hato did not start: ${(err as Error).message}`);
    }
    return proc;
  };

  const handle: Hato = {
    domain,
    c2sPort: 0,
    tlsPort: 0,
    dataDir,
    caFile,
    proc: undefined,
    cli,
    async addUser(name, password) {
      const r = await cli(["user", "add", `${name}@${domain}`, "--password", password]);
      if (r.code !== 0)
        throw new Error(`hato user add ${name} failed (${r.code}): ${r.stdout}${r.stderr}`);
    },
    async shutdown() {
      const proc = handle.proc;
      if (!proc) return undefined;
      handle.proc = undefined;
      const result = await proc.stop("SIGTERM", 10_000);
      logs += result.stderr;
      return result;
    },
    async start() {
      if (handle.proc) return;
      handle.proc = await launch();
      handle.c2sPort = Number(ports.c2s);
      handle.tlsPort = Number(ports.tls);
    },
    async restart() {
      const result = await handle.shutdown();
      if (result && (result.code !== 0 || result.signal !== null)) {
        throw new Error(
          `hato did not stop cleanly on SIGTERM (code ${result.code}, signal ${result.signal}):\n${result.stderr}`,
        );
      }
      await handle.start();
    },
    async stop() {
      await handle.shutdown();
      await rm(root, { recursive: true, force: true });
      forgetFolder(root);
    },
    log: () => logs + (handle.proc?.stderr ?? ""),
  };
  await handle.start();
  for (const [name, password] of Object.entries(opts.users ?? {}))
    await handle.addUser(name, password);
  return handle;
}
