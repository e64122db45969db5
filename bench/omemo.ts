// OMEMO cost per message and per new session, in Chromium and in Node, in the same run: the
// SDK bundled by Vite (as the web client bundles it) runs the measurements of
// bench/omemo-measure.ts in a page of Debian's Chromium, and the same function runs in this
// Node process, against one `hato start` (SQLite, the one TLS port).
//
//   node bench/dist/omemo.js [--messages 200] [--devices 20] [--rounds 3] [--results bench/RESULTS.md] [--json FILE]
//
// Per round, each environment gets fresh accounts (so device lists hold one device each) and
// the environments alternate which goes first. Figures are milliseconds per operation: median
// and p95 over all rounds' samples, and ratios (encrypted/plain round trip, Chromium/Node),
// which say more than absolute times on a shared machine. No figure here is a test threshold.

import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { createCa } from "@hato/cli";
import { Accounts } from "@hato/core";
import type { ClientOptions } from "@hato/sdk";
import { openSqliteStorage } from "@hato/storage";
import { chromium } from "playwright-core";
import { build } from "vite";
import WebSocket from "ws";
import { CHROMIUM_ARGS } from "./chromium.js";
import { type Measured, type MeasureOptions, measure } from "./omemo-measure.js";
import { spawnServer } from "./webclient-server.js";

const REPO = fileURLToPath(new URL("../../", import.meta.url));
const CLI = join(REPO, "packages", "cli", "dist", "main.js");
const DOMAIN = "localhost";
const PASSWORD = "bench-pass";

const { values } = parseArgs({
  options: {
    messages: { type: "string", default: "200" },
    devices: { type: "string", default: "20" },
    rounds: { type: "string", default: "3" },
    results: { type: "string" },
    json: { type: "string" },
  },
});
const MESSAGES = Number(values.messages);
const DEVICES = Number(values.devices);
const ROUNDS = Number(values.rounds);
const SIZES = [100, 4096];
const ENVS = ["chromium", "node"] as const;
type Env = (typeof ENVS)[number];

/** The SDK as one ES module (plus the Signal library's lazy chunk), as a browser gets it. */
async function bundleSdk(www: string): Promise<string> {
  await mkdir(www, { recursive: true });
  const entry = join(www, "entry.js");
  const sdk = fileURLToPath(import.meta.resolve("@hato/sdk"));
  const xmlLib = fileURLToPath(import.meta.resolve("@hato/xml"));
  await writeFile(
    entry,
    `export * from ${JSON.stringify(sdk)};\nexport { parseElement, serialize } from ${JSON.stringify(xmlLib)};\n`,
  );
  const out = join(www, "out");
  await build({
    configFile: false,
    logLevel: "silent",
    root: www,
    build: {
      outDir: out,
      emptyOutDir: true,
      lib: { entry, formats: ["es"], fileName: () => "sdk.js" },
    },
  });
  await writeFile(join(out, "index.html"), "<!doctype html><title>OMEMO bench</title>\n");
  return out;
}

async function seed(dataDir: string, prefixes: string[]): Promise<void> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const storage = openSqliteStorage(join(dataDir, "hato.db"));
  try {
    const accounts = new Accounts(storage, DOMAIN, 4096);
    for (const p of prefixes)
      for (const u of ["a", "b", ...Array.from({ length: DEVICES }, (_, i) => `n${i + 1}`)])
        await accounts.add(`${p}${u}@${DOMAIN}`, PASSWORD);
  } finally {
    await storage.close();
  }
}

const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
const median = (xs: number[]) => {
  const s = sorted(xs);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
/** Nearest-rank 95th percentile. */
const p95 = (xs: number[]) => sorted(xs)[Math.max(0, Math.ceil(0.95 * xs.length) - 1)]!;

/** Every round's samples of one environment, pooled. */
function pool(runs: Measured[]): Measured {
  return {
    bySize: SIZES.map((size) => {
      const of = (k: "plainRoundTrip" | "encryptedRoundTrip" | "encrypt" | "decrypt") =>
        runs.flatMap((r) => r.bySize.find((s) => s.size === size)![k]);
      return {
        size,
        plainRoundTrip: of("plainRoundTrip"),
        encryptedRoundTrip: of("encryptedRoundTrip"),
        encrypt: of("encrypt"),
        decrypt: of("decrypt"),
      };
    }),
    newSession: runs.flatMap((r) => r.newSession),
    firstDecrypt: runs.flatMap((r) => r.firstDecrypt),
  };
}

async function main(): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), "hato-omemobench-"));
  const cleanup: (() => Promise<unknown>)[] = [() => rm(root, { recursive: true, force: true })];
  try {
    const ca = await createCa();
    const leaf = await ca.issue([DOMAIN]);
    const certFile = join(root, "localhost.pem");
    const keyFile = join(root, "localhost.key");
    await writeFile(certFile, leaf.cert);
    await writeFile(keyFile, leaf.key, { mode: 0o600 });
    const prefix = (env: Env, round: number) => `${env === "chromium" ? "c" : "n"}${round}`;
    const dataDir = join(root, "data");
    await seed(
      dataDir,
      Array.from({ length: ROUNDS }, (_, r) => ENVS.map((e) => prefix(e, r))).flat(),
    );
    const www = await bundleSdk(join(root, "www"));
    const hato = await spawnServer(CLI, root, {
      data: dataDir,
      domain: DOMAIN,
      host: "127.0.0.1",
      "c2s-port": "0",
      "tls-cert": certFile,
      "tls-key": keyFile,
      "log-level": "warn",
      "scram.iterations": "4096",
      "web.root": www,
    });
    cleanup.unshift(() => hato.stop());
    const service = `wss://localhost:${hato.tlsPort}/xmpp-websocket`;
    const browser = await chromium.launch({
      executablePath: "/usr/bin/chromium",
      args: CHROMIUM_ARGS,
    });
    cleanup.unshift(() => browser.close());
    const context = await browser.newContext({ ignoreHTTPSErrors: true });
    const page = await context.newPage();
    page.setDefaultTimeout(600_000);
    await page.goto(`https://localhost:${hato.tlsPort}/`);
    const caPem = ca.cert;
    const NodeWS = class extends WebSocket {
      constructor(url: string, protocols?: string | string[]) {
        super(url, protocols, { ca: caPem, servername: DOMAIN } as WebSocket.ClientOptions);
      }
    } as unknown as NonNullable<ClientOptions["WebSocket"]>;

    const runs: Record<Env, Measured[]> = { chromium: [], node: [] };
    const loadBefore = loadavg()[0]!;
    for (let r = 0; r < ROUNDS; r++) {
      const order = r % 2 === 0 ? ENVS : ([...ENVS].reverse() as Env[]);
      for (const env of order) {
        const o: MeasureOptions = {
          sdk: env === "chromium" ? `https://localhost:${hato.tlsPort}/sdk.js` : "@hato/sdk",
          xml: env === "chromium" ? `https://localhost:${hato.tlsPort}/sdk.js` : "@hato/xml",
          service,
          domain: DOMAIN,
          password: PASSWORD,
          prefix: prefix(env, r),
          messages: MESSAGES,
          sizes: SIZES,
          newDevices: DEVICES,
        };
        const t0 = performance.now();
        const m =
          env === "chromium"
            ? await page.evaluate(measure, o)
            : await measure(o, { WebSocket: NodeWS });
        runs[env].push(m);
        process.stdout.write(
          `round ${r + 1} ${env}: ${((performance.now() - t0) / 1000).toFixed(1)} s; encrypt 100 B median ${median(m.bySize[0]!.encrypt).toFixed(2)} ms\n`,
        );
      }
    }
    const result: Result = {
      date: new Date().toISOString(),
      loadBefore,
      loadAfter: loadavg()[0]!,
      chromium: browser.version(),
      node: process.version,
      messages: MESSAGES,
      devices: DEVICES,
      rounds: ROUNDS,
      pooled: { chromium: pool(runs.chromium), node: pool(runs.node) },
    };
    const text = report(result);
    process.stdout.write(`${text}\n`);
    if (values.json)
      await writeFile(values.json, `${JSON.stringify({ ...result, runs }, null, 2)}\n`);
    if (values.results) await writeSection(values.results, text);
  } finally {
    for (const f of cleanup) await f().catch(() => undefined);
  }
}

interface Result {
  date: string;
  loadBefore: number;
  loadAfter: number;
  chromium: string;
  node: string;
  messages: number;
  devices: number;
  rounds: number;
  pooled: Record<Env, Measured>;
}

const BEGIN = "<!-- omemo:begin (bench/omemo.ts) -->";
const END = "<!-- omemo:end -->";

function report(r: Result): string {
  const f = (x: number) => (x < 10 ? x.toFixed(2) : x.toFixed(1));
  const mp = (xs: number[]) => `${f(median(xs))} / ${f(p95(xs))}`;
  const ratio = (a: number[], b: number[]) => (median(a) / median(b)).toFixed(2);
  const rows: string[] = [];
  const c = r.pooled.chromium;
  const n = r.pooled.node;
  for (const [i, size] of SIZES.entries()) {
    const cs = c.bySize[i]!;
    const ns = n.bySize[i]!;
    const label = size >= 1024 ? `${size / 1024} KiB` : `${size} B`;
    const line = (
      what: string,
      k: "plainRoundTrip" | "encryptedRoundTrip" | "encrypt" | "decrypt",
      extra: string,
    ) =>
      rows.push(
        `| ${what}, ${label} | ${mp(cs[k])} | ${mp(ns[k])} | ${ratio(cs[k], ns[k])} | ${extra} |`,
      );
    line(
      "encrypt (`omemo.encrypt`)",
      "encrypt",
      `${ratio(cs.encrypt, cs.plainRoundTrip)} / ${ratio(ns.encrypt, ns.plainRoundTrip)}`,
    );
    line(
      "decrypt (`omemo.decrypt`)",
      "decrypt",
      `${ratio(cs.decrypt, cs.plainRoundTrip)} / ${ratio(ns.decrypt, ns.plainRoundTrip)}`,
    );
    line(
      "round trip, encrypted",
      "encryptedRoundTrip",
      `${ratio(cs.encryptedRoundTrip, cs.plainRoundTrip)} / ${ratio(ns.encryptedRoundTrip, ns.plainRoundTrip)}`,
    );
    line("round trip, plain text", "plainRoundTrip", "1 / 1");
  }
  const ref = (m: Measured) => m.bySize[0]!.plainRoundTrip;
  rows.push(
    `| new session: device list + bundle from PEP, X3DH, first key | ${mp(c.newSession)} | ${mp(n.newSession)} | ${ratio(c.newSession, n.newSession)} | ${ratio(c.newSession, ref(c))} / ${ratio(n.newSession, ref(n))} |`,
    `| its first (PreKey) message decrypted by the new device | ${mp(c.firstDecrypt)} | ${mp(n.firstDecrypt)} | ${ratio(c.firstDecrypt, n.firstDecrypt)} | ${ratio(c.firstDecrypt, ref(c))} / ${ratio(n.firstDecrypt, ref(n))} |`,
  );
  return `${BEGIN}
## OMEMO: per message and per new session, Chromium and Node

Generated by \`bench/omemo.ts\` (\`bash bench/omemo.sh\`); method in [docs/benchmarks.md](../docs/benchmarks.md#omemo-in-the-browser).

| operation | Chromium ms, median / p95 | Node ms, median / p95 | Chromium/Node (medians) | ÷ plain round trip (Chromium / Node) |
|---|---:|---:|---:|---:|
${rows.join("\n")}

- ${r.date.slice(0, 10)}, Chromium ${r.chromium} (Debian, headless) and Node ${r.node}, one \`hato start\` on localhost; ${r.rounds} rounds × ${r.messages} messages per size and environment, ${r.rounds} × ${r.devices} new sessions; one device per account (one key per message); load average ${r.loadBefore.toFixed(1)} before, ${r.loadAfter.toFixed(1)} after (a shared 2-core machine: read the ratios).
- "÷ plain round trip" divides by the plain-text round trip of the same size (new session rows: of 100 B) in the same environment and run.
${END}`;
}

/** Replaces this benchmark's section in the results file (or appends it), leaving the rest. */
async function writeSection(file: string, section: string): Promise<void> {
  const old = existsSync(file) ? await readFile(file, "utf8") : "";
  const a = old.indexOf(BEGIN);
  const b = old.indexOf(END);
  const next =
    a >= 0 && b > a
      ? old.slice(0, a) + section + old.slice(b + END.length)
      : `${old.trimEnd()}\n\n${section}\n`;
  await writeFile(file, next);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().catch((err) => {
    process.stderr.write(`omemo bench failed: ${err instanceof Error ? err.stack : err}\n`);
    process.exit(1);
  });
}
