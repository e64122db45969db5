// A real clamd (Debian's clamav-daemon) for tests: on loopback, on a free TCP port, with a
// configuration and a signature database written into a temporary folder (no internet, no
// freshclam), in the foreground, stopped by the test.

import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EICAR, pingClamd } from "@hato/modules";
import { freePort } from "./inproc.js";
import { forgetFolder, Proc, removeAtExit } from "./process.js";

/** Bytes that only the test database's own signature (`Hato.Test.Marker`) matches. */
export const TEST_MARKER = Buffer.from(["HATO", "TEST", "SIGNATURE", "4f1c9e"].join("-"));

export interface Clamd {
  /** `tcp://127.0.0.1:PORT`, as `scan.clamd-address` takes it. */
  address: string;
  host: string;
  port: number;
  /** Stops clamd (idempotent). */
  stop(): Promise<void>;
  /** Stops clamd and removes its folder. */
  close(): Promise<void>;
  /** clamd's log so far, for failure messages. */
  log(): string;
}

/**
 * Starts clamd with `maxBytes` as StreamMaxLength, MaxFileSize and MaxScanSize (the upload
 * limit of the test), AlertExceedsMax and AlertEncrypted on, and resolves once it answers PONG.
 */
export async function startClamd(opts: {
  maxBytes: number;
  /** Alerts to leave off, to test that Hato refuses such a clamd. */
  off?: ("AlertEncrypted" | "AlertExceedsMax")[];
}): Promise<Clamd> {
  const dir = mkdtempSync(join(tmpdir(), "hato-clamd-"));
  removeAtExit(dir);
  const db = join(dir, "db");
  mkdirSync(db);
  mkdirSync(join(dir, "tmp"));
  // .ndb: name, target type (0: any file), offset (* anywhere), hex bytes.
  writeFileSync(
    join(db, "hato-test.ndb"),
    `Hato.Test.EICAR:0:*:${EICAR.toString("hex")}\nHato.Test.Marker:0:*:${TEST_MARKER.toString("hex")}\n`,
  );
  const port = await freePort();
  const logFile = join(dir, "clamd.log");
  const conf = join(dir, "clamd.conf");
  writeFileSync(
    conf,
    [
      "Foreground yes",
      "TCPAddr 127.0.0.1",
      `TCPSocket ${port}`,
      `DatabaseDirectory ${db}`,
      `TemporaryDirectory ${join(dir, "tmp")}`,
      `LogFile ${logFile}`,
      `PidFile ${join(dir, "clamd.pid")}`,
      // Nothing counts as clean that was not scanned in full.
      `AlertExceedsMax ${opts.off?.includes("AlertExceedsMax") ? "no" : "yes"}`,
      `AlertEncrypted ${opts.off?.includes("AlertEncrypted") ? "no" : "yes"}`,
      `StreamMaxLength ${opts.maxBytes}`,
      `MaxFileSize ${opts.maxBytes}`,
      `MaxScanSize ${opts.maxBytes}`,
      "",
    ].join("\n"),
  );
  // No `User`: clamd stays the user that starts it (root here, which clamd 1.4 allows); the
  // folder is private to that user.
  const proc = new Proc("/usr/sbin/clamd", ["--config-file", conf], { timeoutMs: 10 * 60_000 });
  const log = () => {
    try {
      return readFileSync(logFile, "utf8") + proc.describe();
    } catch {
      return proc.describe();
    }
  };
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      await pingClamd({ address: { host: "127.0.0.1", port }, timeoutSeconds: 2 });
      break;
    } catch (err) {
      if (proc.exited || Date.now() > deadline) {
        await proc.stop("SIGKILL");
        throw new Error(`clamd did not start: ${(err as Error).message}\n${log()}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  const stop = async () => {
    await proc.stop("SIGTERM", 5000);
  };
  return {
    address: `tcp://127.0.0.1:${port}`,
    host: "127.0.0.1",
    port,
    stop,
    log,
    async close() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
      forgetFolder(dir);
    },
  };
}
