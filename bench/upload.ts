// Upload throughput (XEP-0363 PUT, MB/s) of Hato with each scanning engine, next to Prosody's
// mod_http_file_share, on the same machine, in interleaved rounds.
//
//   node bench/dist/upload.js [--sizes 1,100] [--rounds 3] [--client curl|node] [--results FILE] [--json FILE]
//
// Hato's figure is what an uploader sees: the PUT's answer (201) comes only after the scan, so
// it includes scanning. Prosody stores without scanning. See docs/benchmarks.md.

import { execFileSync } from "node:child_process";
import { randomFillSync } from "node:crypto";
import { createReadStream, existsSync } from "node:fs";
import { chmod, mkdtemp, open, readFile, rm, writeFile } from "node:fs/promises";
import { request } from "node:https";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createCa } from "@hato/cli";
import {
  MB,
  PASSWORD,
  startClamd,
  startHato,
  startProsody,
  type Target,
  USER,
} from "./upload-servers.js";
import { BenchXmpp } from "./upload-xmpp.js";

const { values: opt } = parseArgs({
  options: {
    sizes: { type: "string", default: "1,100" },
    rounds: { type: "string", default: "3" },
    results: { type: "string" },
    json: { type: "string" },
    client: { type: "string", default: "curl" },
  },
});
const SIZES = opt.sizes.split(",").map((s) => Number(s) * MB);
const ROUNDS = Number(opt.rounds);

/** A file of random bytes (incompressible, nothing any engine recognises). */
async function payload(dir: string, size: number): Promise<string> {
  const file = join(dir, `payload-${size}.bin`);
  const fh = await open(file, "w");
  const chunk = Buffer.alloc(MB);
  for (let left = size; left > 0; left -= chunk.length) {
    randomFillSync(chunk);
    await fh.write(chunk, 0, Math.min(left, chunk.length));
  }
  await fh.close();
  return file;
}

/** One upload: a slot over XMPP (not timed), then the PUT from first byte to the answer. */
async function uploadOnce(
  xmpp: BenchXmpp,
  t: Target,
  file: string,
  size: number,
  ca: string,
): Promise<number> {
  const slot = await xmpp.slot(t.service, `bench-${size}.bin`, size, "application/octet-stream");
  const url = new URL(slot.put);
  if (opt.client === "curl") return curlPut(url, slot.headers, file, size, ca, t);
  const started = process.hrtime.bigint();
  const status = await new Promise<number>((resolve, reject) => {
    const req = request(
      {
        host: "127.0.0.1",
        port: Number(url.port || 443),
        servername: url.hostname,
        ca,
        method: "PUT",
        path: url.pathname + url.search,
        headers: {
          ...slot.headers,
          Host: url.host,
          "Content-Length": String(size),
          "Content-Type": "application/octet-stream",
        },
      },
      (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode ?? 0));
      },
    );
    req.on("error", reject);
    createReadStream(file).pipe(req);
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (status !== 201) throw new Error(`${t.name}: PUT of ${size} bytes answered ${status}`);
  return size / MB / seconds;
}

/** The same PUT with curl (`--client curl`): a client that is neither server's own language. */
async function curlPut(
  url: URL,
  headers: Record<string, string>,
  file: string,
  size: number,
  ca: string,
  t: Target,
): Promise<number> {
  const caFile = `${file}.ca.pem`;
  await writeFile(caFile, ca);
  const port = url.port || "443";
  const args = [
    "-sS",
    "-o",
    "/dev/null",
    "-w",
    "%{http_code} %{time_total}",
    "--cacert",
    caFile,
    "--resolve",
    `${url.hostname}:${port}:127.0.0.1`,
    "-T",
    file,
    "-H",
    "Content-Type: application/octet-stream",
    "-H",
    "Expect:",
    ...Object.entries(headers).flatMap(([k, v]) => ["-H", `${k}: ${v}`]),
    url.href,
  ];
  const out = execFileSync("curl", args).toString().trim().split(" ");
  if (out[0] !== "201") throw new Error(`${t.name}: PUT of ${size} bytes answered ${out[0]}`);
  return size / MB / Number(out[1]);
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

const BEGIN = "<!-- upload:begin (bench/upload.ts) -->";
const END = "<!-- upload:end -->";

interface Figures {
  date: string;
  rounds: number;
  targets: string[];
  /** MB/s per target name, per size in MB, one value per round. */
  mbps: Record<string, Record<string, number[]>>;
  load: [number, number];
  cpus: string;
  client: string;
}

function report(f: Figures): string {
  const [hb, hc, pr] = f.targets as [string, string, string];
  const med = (t: string, mb: string) => median(f.mbps[t]![mb]!);
  const rows = Object.keys(f.mbps[hb]!).map((mb) => {
    const r1 = med(hb, mb) / med(pr, mb);
    const r2 = med(hc, mb) / med(pr, mb);
    return `| ${mb} MB file, median MB/s (higher is better) | **${r1.toFixed(2)}×** | **${r2.toFixed(2)}×** | ${med(hb, mb).toFixed(1)} | ${med(hc, mb).toFixed(1)} | ${med(pr, mb).toFixed(1)} |`;
  });
  const rounds = f.targets
    .map(
      (t) =>
        `${t}: ${Object.entries(f.mbps[t]!)
          .map(([mb, xs]) => `${mb} MB ${xs.map((x) => x.toFixed(1)).join(", ")}`)
          .join("; ")}`,
    )
    .join(". ");
  return `${BEGIN}
## Upload throughput (XEP-0363 PUT)

Generated by \`bench/upload.ts\` (\`bash bench/upload.sh\`); method in [docs/benchmarks.md](../docs/benchmarks.md#upload-throughput).

| figure | ${hb}/Prosody | ${hc}/Prosody | ${hb} | ${hc} | ${pr} mod_http_file_share |
|---|---:|---:|---:|---:|---:|
${rows.join("\n")}

- ${f.date.slice(0, 10)}, ${f.cpus}, loopback HTTPS (TLS 1.3), PUT by ${f.client}, ${f.rounds} interleaved rounds, one warm-up upload each not counted; load average ${f.load[0].toFixed(1)} before, ${f.load[1].toFixed(1)} after. Hato answers 201 only after the scan, so its figures include scanning (clamd: INSTREAM over loopback TCP, a one-signature database: real signature sets cost more); Prosody stores without scanning. MB = 10^6 bytes; files of random bytes.
- Rounds (MB/s): ${rounds}.
${END}`;
}

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

async function main(): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), "hato-upload-bench-"));
  await chmod(root, 0o755); // Prosody runs as its own user and must reach its folder.
  const stops: (() => Promise<void>)[] = [];
  try {
    const authority = await createCa();
    const leaf = await authority.issue(["localhost", "upload.localhost"]);
    const certFile = join(root, "localhost.pem");
    const keyFile = join(root, "localhost.key");
    await writeFile(certFile, leaf.cert);
    await writeFile(keyFile, leaf.key, { mode: 0o600 });
    const files = new Map<number, string>();
    for (const size of SIZES) files.set(size, await payload(root, size));

    const clamd = await startClamd(join(root, "clamd"));
    stops.push(clamd.stop);
    const targets: Target[] = [];
    for (const [engine, address] of [
      ["builtin", undefined],
      ["clamd", clamd.address],
    ] as const) {
      const t = await startHato(
        join(root, `hato-${engine}`),
        { certFile, keyFile },
        engine,
        address,
      );
      stops.unshift(t.stop);
      targets.push(t);
    }
    const prosody = await startProsody(join(root, "prosody"), leaf);
    stops.unshift(prosody.stop);
    targets.push(prosody);

    const clients = new Map<Target, BenchXmpp>();
    for (const t of targets) {
      const c = await BenchXmpp.login({
        port: t.xmppPort,
        domain: t.domain,
        username: USER,
        password: PASSWORD,
        ca: authority.cert,
      });
      clients.set(t, c);
      stops.unshift(async () => c.close());
      await uploadOnce(c, t, files.get(SIZES[0]!)!, SIZES[0]!, authority.cert); // warm-up
    }

    const mbps: Figures["mbps"] = {};
    const loadBefore = loadavg()[0]!;
    for (let round = 0; round < ROUNDS; round++) {
      for (const size of SIZES) {
        // Alternate the order so no server always goes first.
        const order = round % 2 === 0 ? targets : [...targets].reverse();
        for (const t of order) {
          const v = await uploadOnce(clients.get(t)!, t, files.get(size)!, size, authority.cert);
          const bySize = mbps[t.name] ?? {};
          mbps[t.name] = bySize;
          bySize[String(size / MB)] = [...(bySize[String(size / MB)] ?? []), v];
          process.stderr.write(
            `round ${round + 1} ${t.name} ${size / MB} MB: ${v.toFixed(1)} MB/s\n`,
          );
        }
      }
    }
    const figures: Figures = {
      date: new Date().toISOString(),
      rounds: ROUNDS,
      targets: targets.map((t) => t.name),
      mbps,
      load: [loadBefore, loadavg()[0]!],
      cpus: `${cpus().length} × ${cpus()[0]?.model.trim() ?? "CPU"}`,
      client:
        opt.client === "curl"
          ? execFileSync("curl", ["--version"]).toString().split(" ").slice(0, 2).join(" ")
          : `Node ${process.version} https`,
    };
    const section = report(figures);
    process.stdout.write(`${section}\n`);
    if (opt.results) await writeSection(opt.results, section);
    if (opt.json) await writeFile(opt.json, `${JSON.stringify(figures)}\n`);
  } finally {
    for (const stop of stops) await stop().catch((err) => console.error(err));
    await rm(root, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
