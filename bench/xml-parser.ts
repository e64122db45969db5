// Benchmark: Hato's restricted-XML stream parser against saxes and ltx.
//
//   node bench/dist/xml-parser.js [--runs N] [--stanzas N]
//
// (1) Which restricted-XML rules each parser enforces (RFC 6120 §11 and XML well-formedness).
// (2) Throughput on a realistic client stream fed in TCP-like chunks, median of several runs.
// Results and the decision they support are recorded in docs/xml-parser.md.

import { ADAPTERS, type Summary } from "./xml-adapters.js";
import { chunked, STREAM_HEADER, xmppStream } from "./xml-corpus.js";

const arg = (name: string, dflt: number): number => {
  const k = process.argv.indexOf(name);
  return k > 0 ? Number(process.argv[k + 1]) : dflt;
};
const RUNS = arg("--runs", 9);
const STANZAS = arg("--stanzas", 20000);

interface Case {
  name: string;
  chunks: Uint8Array[];
  /** undefined: the parser must report an error; otherwise a check on the stanzas. */
  ok?: (stanzas: Summary[]) => boolean;
}

const HEADER_NO_DECL = STREAM_HEADER.replace("<?xml version='1.0'?>", "");
const enc = (s: string) => Buffer.from(s);
const doc = (payload: string | number[], prolog = "<?xml version='1.0'?>"): Uint8Array[] => [
  Buffer.concat([
    enc(prolog + HEADER_NO_DECL),
    typeof payload === "string" ? enc(payload) : Buffer.from(payload),
  ]),
];
const withBytes = (before: string, bytes: number[], after: string) =>
  doc([...enc(before), ...bytes, ...enc(after)]);

const LAUGHS =
  "<?xml version='1.0'?><!DOCTYPE stream:stream [<!ENTITY lol 'lol'>" +
  "<!ENTITY lol2 '&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;'>" +
  "<!ENTITY lol3 '&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;'>]>";

const CASES: Case[] = [
  {
    name: "DOCTYPE with internal subset (entities unused)",
    chunks: doc("<message/>", "<?xml version='1.0'?><!DOCTYPE stream:stream [<!ENTITY x 'y'>]>"),
  },
  {
    name: "Billion laughs (DTD entities used)",
    chunks: doc("<message><body>&lol3;</body></message>", LAUGHS),
  },
  {
    name: "External entity (XXE)",
    chunks: doc(
      "<message><body>&xxe;</body></message>",
      "<?xml version='1.0'?><!DOCTYPE s [<!ENTITY xxe SYSTEM 'file:///etc/passwd'>]>",
    ),
  },
  { name: "Undeclared entity &lol9;", chunks: doc("<message><body>&lol9;</body></message>") },
  { name: "Comment", chunks: doc("<message><!-- hidden --><body>x</body></message>") },
  { name: "Processing instruction", chunks: doc("<message><?evil x?><body>x</body></message>") },
  { name: "XML declaration inside the stream", chunks: doc("<?xml version='1.0'?><message/>") },
  {
    name: "Invalid UTF-8: overlong C0 80",
    chunks: withBytes("<message><body>", [0xc0, 0x80], "</body></message>"),
  },
  {
    name: "Invalid UTF-8: encoded surrogate ED A0 80",
    chunks: withBytes("<message><body>", [0xed, 0xa0, 0x80], "</body></message>"),
  },
  {
    name: "Invalid UTF-8: truncated sequence before '>'",
    chunks: withBytes("<message to='a'", [0xe3], "><body>x</body></message>"),
  },
  { name: "Control character U+0001", chunks: doc("<message><body>\u0001</body></message>") },
  { name: "Character reference &#0;", chunks: doc("<message><body>&#0;</body></message>") },
  { name: "Unbound namespace prefix", chunks: doc("<message><foo:bar/></message>") },
  { name: "Mismatched end tag", chunks: doc("<message><body>x</message></body>") },
  { name: "Duplicate attribute", chunks: doc("<message to='a@b' to='c@d'/>") },
  {
    name: "Duplicate attribute after namespace resolution",
    chunks: doc("<message xmlns:a='u' xmlns:b='u' a:x='1' b:x='2'/>"),
  },
  { name: "'<' in attribute value", chunks: doc("<message to='a<b'/>") },
  { name: "Empty prefixed namespace declaration xmlns:p=''", chunks: doc("<message xmlns:p=''/>") },
  { name: "Non-whitespace text between stanzas", chunks: doc("hello<message/>") },
  {
    name: "4 MiB stanza that never closes (size limit)",
    chunks: [...doc("<message><body>"), ...chunked(Buffer.alloc(4 << 20, "a"), 16384, 16384)],
  },
  {
    name: "Multi-byte characters split across chunks decode correctly",
    chunks: doc("<message><body>Grüße 日本語 😀</body></message>").flatMap((b) => chunked(b, 1, 1)),
    ok: (s) => s[0]?.body === "Grüße 日本語 😀",
  },
  {
    name: "Namespaces resolved (inherited jabber:client, stream:features)",
    chunks: doc("<message><body>x</body></message><stream:features/>"),
    ok: (s) =>
      s[0]?.ns === "jabber:client" &&
      s[1]?.name === "features" &&
      s[1]?.ns === "http://etherx.jabber.org/streams",
  },
  {
    name: "Valid references and CDATA give the right text",
    chunks: doc("<message><body>a &lt;&amp;&gt; &#x1F600;<![CDATA[<b>]]></body></message>"),
    ok: (s) => s[0]?.body === "a <&> 😀<b>",
  },
];

function correctness(): string {
  const rows = [
    `| Case | ${ADAPTERS.map((a) => a.name).join(" | ")} |`,
    `|---|${ADAPTERS.map(() => ":-:").join("|")}|`,
  ];
  const score = ADAPTERS.map(() => 0);
  for (const c of CASES) {
    const cells = ADAPTERS.map((a, k) => {
      const out = a.parse(c.chunks, true);
      const pass = c.ok ? out.error === undefined && c.ok(out.stanzas) : out.error !== undefined;
      if (pass) score[k]!++;
      if (c.ok) return pass ? "correct" : `**wrong**${out.error ? " (error)" : ""}`;
      return pass ? "rejects" : "**accepts**";
    });
    rows.push(`| ${c.name} | ${cells.join(" | ")} |`);
  }
  rows.push(
    `| **Cases handled as required** | ${score.map((s) => `**${s}/${CASES.length}**`).join(" | ")} |`,
  );
  return rows.join("\n");
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** MB/s of each adapter, median of RUNS; the adapters take turns so load changes hit all alike. */
function throughput(chunks: Uint8Array[], bytes: number): number[] {
  const rates = ADAPTERS.map(() => [] as number[]);
  for (const a of ADAPTERS) a.parse(chunks, false); // warm up
  for (let r = 0; r < RUNS; r++) {
    ADAPTERS.forEach((a, k) => {
      // CPU time of this process, not wall time: the figure is per core, and other processes on
      // a shared machine do not skew it.
      const t0 = process.cpuUsage();
      const out = a.parse(chunks, false);
      const t = process.cpuUsage(t0);
      const s = (t.user + t.system) / 1e6;
      if (out.error) throw new Error(`${a.name} failed on the workload: ${out.error}`);
      if (out.count !== STANZAS) throw new Error(`${a.name} saw ${out.count} stanzas`);
      rates[k]!.push(bytes / s / 1e6);
    });
  }
  return rates.map(median);
}

function speed(): string {
  const data = xmppStream(STANZAS);
  const workloads: [string, Uint8Array[]][] = [
    ["1–16 KiB chunks", chunked(data, 1024, 16384)],
    ["64–1500 B chunks", chunked(data, 64, 1500)],
  ];
  const results = workloads.map(([, chunks]) => throughput(chunks, data.length));
  const rows = [
    `Workload: ${STANZAS} stanzas, ${(data.length / 1e6).toFixed(2)} MB (80 % chat messages, 10 % presence, 10 % iq; ~14 % of words non-ASCII or escaped); median of ${RUNS} runs, MB per CPU-second, Node ${process.version}.`,
    "",
    `| Parser | ${workloads.map(([w]) => `MB/s, ${w}`).join(" | ")} | stanzas/s (1–16 KiB) |`,
    `|---|${workloads.map(() => "--:").join("|")}|--:|`,
  ];
  ADAPTERS.forEach((a, k) => {
    const perSec = (results[0]![k]! * 1e6 * STANZAS) / data.length;
    rows.push(
      `| ${a.name} | ${results.map((r) => r[k]!.toFixed(1)).join(" | ")} | ${Math.round(perSec).toLocaleString("en")} |`,
    );
  });
  return rows.join("\n");
}

console.log("## Restricted-XML correctness\n");
console.log(correctness());
console.log("\n## Throughput\n");
console.log(speed());
