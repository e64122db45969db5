// The clamd engine against Debian's real clamd with a signature database the test writes:
// EICAR and a test-only signature are found, clean files pass, what clamd cannot scan in full
// is refused, and a clamd that is down or silent gives no verdict at all (fail closed).

import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { type Config, createLogger } from "@hato/core";
import {
  createScanner,
  EICAR,
  type Scanner,
  ScannerUnavailable,
  type Verdict,
} from "@hato/modules";
import { type Clamd, startClamd, TEST_MARKER } from "../support/clamd.js";
import { freePort } from "../support/inproc.js";
import { buildZip } from "../support/zip.js";

const MAX = 1024 * 1024;
const dir = mkdtempSync(join(tmpdir(), "hato-clamd-test-"));
let clamd: Clamd;
let scanner: Scanner;
const log = createLogger("error");

const settings = (address: string, timeoutSeconds = 20): Pick<Config, "scan"> => ({
  scan: {
    engine: "clamd",
    clamdAddress: address,
    timeoutSeconds,
    denyList: "",
    archiveMaxEntries: 100,
    archiveMaxDepth: 3,
    whenDown: "refuse",
    archiveMaxRatio: 100,
    archiveMaxExpandedBytes: 64 * MAX,
  },
});

let n = 0;
async function scan(name: string, data: Uint8Array | string, s = scanner): Promise<Verdict> {
  const path = join(dir, `f${n++}`);
  const bytes = Buffer.from(data);
  writeFileSync(path, bytes);
  return s.scan({ path, name, type: "application/octet-stream", size: bytes.length });
}

before(async () => {
  clamd = await startClamd({ maxBytes: MAX });
  scanner = createScanner(settings(clamd.address), log);
});
after(async () => {
  await scanner?.close();
  await clamd?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("clamd engine (INSTREAM to a real clamd)", () => {
  it("the EICAR test file is FOUND", async () => {
    const v = await scan("eicar.txt", EICAR);
    assert.equal(v.status, "infected", JSON.stringify(v) + clamd.log());
    assert.equal(v.engine, "clamd");
    if (v.status === "infected") {
      assert.match(v.signature, /Hato\.Test\.EICAR/);
      assert.match(v.reason, /found Hato\.Test\.EICAR/);
    }
  });
  it("the test-only signature is FOUND, also deep inside a zip", async () => {
    const bytes = Buffer.concat([
      Buffer.from("some text, then "),
      TEST_MARKER,
      Buffer.from(" more"),
    ]);
    const v = await scan("notes.txt", bytes);
    assert.equal(v.status, "infected", JSON.stringify(v));
    const z = await scan("notes.zip", buildZip([{ name: "dir/notes.txt", data: bytes }]));
    assert.equal(z.status, "infected", JSON.stringify(z));
    if (z.status === "infected") assert.match(z.signature, /Hato\.Test\.Marker/);
  });
  it("clean files are OK: text, a zip of text, an empty file", async () => {
    assert.deepEqual(await scan("a.txt", "hello\n"), { status: "clean", engine: "clamd" });
    assert.equal(
      (await scan("a.zip", buildZip([{ name: "a.txt", data: "x".repeat(5000) }]))).status,
      "clean",
    );
    assert.equal((await scan("empty.txt", "")).status, "clean");
  });
  it("a file over StreamMaxLength is refused, not passed", async () => {
    const v = await scan("big.bin", Buffer.alloc(MAX + 64 * 1024, 0x41));
    assert.equal(v.status, "refused", JSON.stringify(v));
    if (v.status === "refused") assert.match(v.reason, /larger than/);
  });
  it("a zip whose member expands past MaxFileSize is refused (AlertExceedsMax)", async () => {
    const v = await scan(
      "packed.zip",
      buildZip([{ name: "zeros.txt", data: Buffer.alloc(3 * MAX) }]),
    );
    assert.equal(v.status, "refused", JSON.stringify(v));
    if (v.status === "refused") assert.match(v.reason, /limits/);
  });
  it("an encrypted zip is refused (AlertEncrypted)", async () => {
    const v = await scan(
      "secret.zip",
      buildZip([{ name: "a.txt", data: "ciphertext", method: 0, encrypted: true }]),
    );
    assert.equal(v.status, "refused", JSON.stringify(v));
    if (v.status === "refused") assert.match(v.reason, /encrypted/);
  });
  it("a file that cannot be read gives no verdict", async () => {
    await assert.rejects(
      scanner.scan({ path: join(dir, "missing"), name: "a.txt", type: "text/plain", size: 1 }),
      ScannerUnavailable,
    );
  });
  it("PING is answered with PONG", async () => {
    const { pingClamd } = await import("@hato/modules");
    await pingClamd({ address: { host: clamd.host, port: clamd.port }, timeoutSeconds: 5 });
  });
});

/**
 * A stand-in for clamd on a unix socket: checks the INSTREAM framing, answers the scanner's
 * configuration probes as a well-configured clamd does, and answers files with `reply`.
 */
async function fakeClamd(path: string, reply: (data: Buffer) => string) {
  const received: Buffer[] = [];
  const server = createServer((socket) => {
    let buf = Buffer.alloc(0);
    socket.on("data", (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      if (buf.toString("latin1") === "zPING\0") {
        socket.end("PONG\0");
        return;
      }
      const head = "zINSTREAM\0";
      if (buf.length < head.length) return;
      assert.equal(buf.subarray(0, head.length).toString("latin1"), head);
      let at = head.length;
      const parts: Buffer[] = [];
      while (at + 4 <= buf.length) {
        const len = buf.readUInt32BE(at);
        if (len === 0) {
          const data = Buffer.concat(parts);
          if (data.includes("level63.zip")) {
            socket.end("stream: Heuristics.Limits.Exceeded.MaxRecursion FOUND\0");
          } else if (data.includes("probe.txt")) {
            socket.end("stream: Heuristics.Encrypted.Zip FOUND\0");
          } else {
            received.push(data);
            socket.end(reply(data));
          }
          return;
        }
        if (at + 4 + len > buf.length) return;
        parts.push(buf.subarray(at + 4, at + 4 + len));
        at += 4 + len;
      }
    });
  });
  await new Promise<void>((r) => server.listen(path, r));
  return {
    received,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

describe("clamd engine over a unix socket (a stand-in that checks the protocol)", () => {
  it("sends zINSTREAM, length-prefixed chunks and a zero terminator; reads the NUL-ended reply", async () => {
    const path = join(dir, "clamd.sock");
    const fake = await fakeClamd(path, () => "stream: OK\0");
    try {
      const s = createScanner(settings(path), log);
      const data = Buffer.alloc(200 * 1024, 7);
      assert.deepEqual(await scan("a.bin", data, s), { status: "clean", engine: "clamd" });
      assert.equal(fake.received.length, 1);
      assert.ok(fake.received[0]!.equals(data));
    } finally {
      await fake.close();
    }
  });
  it("a garbled reply, or one without end, gives no verdict", async () => {
    for (const [i, answer] of ["stream: maybe\0", "x".repeat(10000), "PONG\0"].entries()) {
      const path = join(dir, `garbled${i}.sock`);
      const fake = await fakeClamd(path, () => answer);
      try {
        const s = createScanner(settings(path, 2), log);
        await assert.rejects(scan("a.txt", "hello", s), ScannerUnavailable, answer.slice(0, 20));
      } finally {
        await fake.close();
      }
    }
  });
  it("other heuristics are findings; limit heuristics are refusals", async () => {
    const path = join(dir, "heur.sock");
    const fake = await fakeClamd(path, (d) =>
      d.includes("phish")
        ? "stream: Heuristics.Phishing.Email.SpoofedDomain FOUND\0"
        : "stream: Heuristics.Limits.Exceeded.MaxScanTime FOUND\0",
    );
    try {
      const s = createScanner(settings(path), log);
      assert.equal((await scan("a.eml", "phish", s)).status, "infected");
      assert.equal((await scan("a.bin", "slow", s)).status, "refused");
    } finally {
      await fake.close();
    }
  });
});

describe("clamd engine: a clamd that would pass what it cannot scan is not trusted", () => {
  for (const [off, message] of [
    ["AlertEncrypted", /set AlertEncrypted yes/],
    ["AlertExceedsMax", /set AlertExceedsMax yes/],
  ] as const) {
    it(`${off} no: every scan gives ScannerUnavailable saying what to set`, async () => {
      const lax = await startClamd({ maxBytes: MAX, off: [off] });
      try {
        const s = createScanner(settings(lax.address), log);
        await assert.rejects(
          scan("a.txt", "hello", s),
          (e: Error) => e instanceof ScannerUnavailable && message.test(e.message),
        );
      } finally {
        await lax.close();
      }
    });
  }
});

describe("clamd engine: no verdict without a working clamd", () => {
  let silent: Server;
  let silentPort: number;
  before(async () => {
    silent = createServer((socket) => socket.on("data", () => {}));
    silentPort = await freePort();
    await new Promise<void>((r) => silent.listen(silentPort, "127.0.0.1", r));
  });
  after(() => new Promise<void>((r) => silent.close(() => r())));

  it("a clamd that does not answer in time: ScannerUnavailable", async () => {
    const s = createScanner(settings(`tcp://127.0.0.1:${silentPort}`, 1), log);
    await assert.rejects(
      scan("a.txt", "hello", s),
      (e: Error) => e instanceof ScannerUnavailable && /within 1 seconds/.test(e.message),
    );
  });
  it("clamd stopped: ScannerUnavailable", async () => {
    await clamd.stop();
    await assert.rejects(
      scan("a.txt", "hello"),
      (e: Error) => e instanceof ScannerUnavailable && /cannot be reached/.test(e.message),
    );
  });
});
