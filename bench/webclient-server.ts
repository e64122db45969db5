// A `hato start` child process for bench/webclient.ts: settings as flags, ready when it says so.

import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:net";

const READY = /^hato: ready domain=(\S+) c2s-port=(\d+) tls-port=(\d+)/m;

export interface BenchServer {
  tlsPort: number;
  child: ChildProcess;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const { port } = s.address() as { port: number };
  await new Promise((r) => s.close(r));
  return port;
}

/** Starts `node CLI start` with `settings` (setting paths; dots become dashes in the flags). */
export async function spawnServer(
  cli: string,
  cwd: string,
  settings: Record<string, string>,
): Promise<BenchServer> {
  const all = { "tls-port": String(await freePort()), ...settings };
  const args = [
    cli,
    "start",
    ...Object.entries(all).flatMap(([k, v]) => [`--${k.replaceAll(".", "-")}`, v]),
  ];
  const child = spawn(process.execPath, ["--max-semi-space-size=1", ...args], {
    cwd,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  const tlsPort = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`hato did not start:\n${out}`)), 30_000);
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = READY.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[3]));
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`hato exited (${code}):\n${out}`));
    });
  });
  return {
    tlsPort,
    child,
    stop: async () => {
      if (child.exitCode !== null) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await new Promise((r) => child.once("exit", r));
      clearTimeout(timer);
    },
  };
}
