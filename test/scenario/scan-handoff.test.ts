// Transcripts of the scanner hand-off for end-to-end encrypted files (urn:hato:scan:0): a token
// over XMPP, an XEP-0454 file uploaded as ciphertext, its key handed to POST /scan/encrypted,
// and the verdict looked up with GET /scan/verdict under both hashes.

import assert from "node:assert/strict";
import { createCipheriv, createHash } from "node:crypto";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { type Clamd, startClamd, TEST_MARKER } from "../support/clamd.js";
import { get } from "../support/https.js";
import { RawClient, startServer, type TestServer } from "../support/inproc.js";
import { ask, condition } from "../support/stanzas.js";
import { fetchFile, type HttpAnswer, put, request } from "../support/upload.js";

const NS_SCAN = "urn:hato:scan:0";
const NS_UPLOAD = "urn:xmpp:http:upload:0";
/** The EICAR test file, put together here so no file of the repository holds it whole. */
const EICAR = Buffer.from(
  ["X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-", "ANTIVIRUS-TEST-FILE!$H+H*"].join(""),
  "latin1",
);

const KEY_A = Buffer.alloc(32, 0xa1);
const KEY_B = Buffer.alloc(32, 0xb2);
const IV = Buffer.from("0102030405060708090a0b0c", "hex");
const sha256 = (...parts: Buffer[]) => {
  const h = createHash("sha256");
  for (const p of parts) h.update(p);
  return h.digest("hex");
};

/** An XEP-0454 file: AES-256-GCM ciphertext with the 16-byte tag after it. */
function encrypt(plain: Buffer, key: Buffer, iv: Buffer): Buffer {
  const c = createCipheriv("aes-256-gcm", key, iv);
  return Buffer.concat([c.update(plain), c.final(), c.getAuthTag()]);
}

let n = 0;

/** What the helpers need from a test's setup, filled in by its `before`. */
interface Ctx {
  t: TestServer;
  alice: RawClient;
  token: string;
}

/** The transcript's steps: a token over XMPP, an upload, a hand-off, a verdict lookup. */
function steps(ctx: Ctx) {
  /** Asks the server for a hand-off token over alice's XMPP session. */
  async function askToken(c: RawClient): Promise<string> {
    const id = `tok-${++n}`;
    const r = await ask(
      c,
      id,
      `<iq type='get' id='${id}' to='localhost'><token xmlns='${NS_SCAN}'/></iq>`,
    );
    assert.equal(r.attr("type"), "result");
    const el = r.getChild("token", NS_SCAN)!;
    assert.ok(Date.parse(el.attr("expires")!) > Date.now());
    // Where /scan/* answers (the uploads' origin), and whether the user's organisation
    // requires scanning (not in these tests).
    assert.equal(el.attr("origin"), `https://localhost:${ctx.t.tlsPort}`);
    assert.equal(el.attr("required"), "false");
    return el.text();
  }

  /** Uploads `body` through XEP-0363 and returns its URL. */
  async function upload(name: string, body: Buffer): Promise<string> {
    const id = `slot-${++n}`;
    const r = await ask(
      ctx.alice,
      id,
      `<iq type='get' id='${id}' to='localhost'><request xmlns='${NS_UPLOAD}' filename='${name}' size='${body.length}' content-type='application/octet-stream'/></iq>`,
    );
    const url = r.getChild("slot", NS_UPLOAD)!.getChild("put")!.attr("url")!;
    const up = await put(ctx.t.ca, url, body, "application/octet-stream");
    assert.equal(up.status, 201, up.body.toString());
    return url;
  }

  function handOff(body: unknown, bearer: string | null = ctx.token): Promise<HttpAnswer> {
    const text = Buffer.from(typeof body === "string" ? body : JSON.stringify(body));
    return request(ctx.t.ca, {
      method: "POST",
      url: `https://localhost:${ctx.t.tlsPort}/scan/encrypted`,
      headers: {
        "Content-Type": "application/json",
        "Content-Length": String(text.length),
        Authorization: bearer === null ? undefined : `Bearer ${bearer}`,
        Connection: "close",
      },
      body: text,
    });
  }

  /** GET /scan/verdict (the upload helper's client sends no query, so the raw one is used). */
  async function lookup(hash: string, keyhash: string, bearer: string | null = ctx.token) {
    const r = await get(
      ctx.t.tlsPort,
      ctx.t.ca,
      `/scan/verdict?sha256=${hash}&keyhash=${keyhash}`,
      {
        headers: bearer === null ? [] : [`Authorization: Bearer ${bearer}`],
      },
    );
    return { status: r.status, headers: r.headers, json: JSON.parse(r.body) };
  }

  async function verdict(hash: string, keyhash: string) {
    const r = await lookup(hash, keyhash);
    assert.equal(r.status, 200, JSON.stringify(r.json));
    return r.json as { status: string; reason?: string };
  }

  return { askToken, upload, handOff, lookup, verdict };
}

describe("scanner hand-off for encrypted files", () => {
  let t: TestServer;
  let data: string;
  let alice: RawClient;
  let token: string;
  let base: string;
  const ctx = {} as Ctx;
  const { askToken, upload, handOff, lookup, verdict } = steps(ctx);

  before(async () => {
    data = await mkdtemp(join(tmpdir(), "hato-handoff-"));
    t = await startServer({
      data,
      "upload.max-file-bytes": "100000",
      "files.handoff-max-bytes": "50000",
      "files.handoff-per-minute": "30",
    });
    base = `https://localhost:${t.tlsPort}`;
    for (const u of ["alice", "carol"]) await t.addUser(u, `pw-${u}`);
    alice = (await RawClient.login(t, "alice", "pw-alice")).client;
    Object.assign(ctx, { t, alice });
    token = await askToken(alice);
    ctx.token = token;
  });
  after(async () => {
    alice.close();
    await t.stop();
    await rm(data, { recursive: true, force: true });
  });

  it("the server announces urn:hato:scan:0 and answers a token IQ with a random token", async () => {
    const info = await ask(
      alice,
      "d1",
      "<iq type='get' id='d1' to='localhost'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>",
    );
    const q = info.getChild("query", "http://jabber.org/protocol/disco#info")!;
    assert.ok(q.getChildren("feature").some((f) => f.attr("var") === NS_SCAN));
    assert.match(token, /^[A-Za-z0-9_-]{43}$/);
    assert.notEqual(await askToken(alice), token);
  });

  it("alice hands off a clean encrypted file: clean, under the ciphertext's hash and SHA-256(key ‖ iv)", async () => {
    const cipher = encrypt(Buffer.from("minutes of the Tuesday meeting\n"), KEY_A, IV);
    const url = await upload("minutes.txt", cipher);
    const r = await handOff({ url, key: KEY_A.toString("hex"), iv: IV.toString("hex") });
    assert.equal(r.status, 200, r.body.toString());
    assert.deepEqual(r.json, {
      status: "clean",
      sha256: sha256(cipher),
      keyhash: sha256(KEY_A, IV),
    });
    assert.deepEqual(await verdict(sha256(cipher), sha256(KEY_A, IV)), { status: "clean" });
    // The same ciphertext under another key is another file as far as verdicts go.
    assert.deepEqual(await verdict(sha256(cipher), sha256(KEY_B, IV)), { status: "not-scanned" });
    assert.deepEqual(await verdict(sha256(Buffer.from("other")), sha256(KEY_A, IV)), {
      status: "not-scanned",
    });
    // Nothing of the plaintext stays on disk.
    assert.deepEqual(await readdir(join(data, "scan-handoff")), []);
  });

  it("an encrypted EICAR file: its ciphertext uploads clean, the hand-off finds it infected and quarantines it", async () => {
    const cipher = encrypt(EICAR, KEY_A, IV);
    const url = await upload("eicar.txt", cipher);
    assert.equal((await fetchFile(t.ca, url)).status, 200);
    const r = await handOff({ url, key: KEY_A.toString("hex"), iv: IV.toString("hex") });
    assert.equal(r.status, 200);
    assert.equal(r.json?.status, "infected");
    assert.match(r.json?.reason ?? "", /EICAR/i);
    const v = await verdict(sha256(cipher), sha256(KEY_A, IV));
    assert.equal(v.status, "infected");
    assert.match(v.reason ?? "", /EICAR/i);
    // Key B never decrypted it, so no verdict is given for it.
    assert.deepEqual(await verdict(sha256(cipher), sha256(KEY_B, IV)), { status: "not-scanned" });
    assert.equal((await fetchFile(t.ca, url)).status, 404);
  });

  it("the wrong key: the GCM tag does not verify, 422, and nothing is recorded", async () => {
    const cipher = encrypt(Buffer.from("quarterly figures"), KEY_A, IV);
    const url = await upload("figures.txt", cipher);
    const r = await handOff({ url, key: KEY_B.toString("hex"), iv: IV.toString("hex") });
    assert.equal(r.status, 422);
    assert.equal(r.json?.error, "decryption-failed");
    assert.deepEqual(await verdict(sha256(cipher), sha256(KEY_B, IV)), { status: "not-scanned" });
    assert.deepEqual(await verdict(sha256(cipher), sha256(KEY_A, IV)), { status: "not-scanned" });
  });

  it("without a valid token: 401 JSON for the hand-off and the verdict lookup", async () => {
    const body = {
      url: `${base}/upload/x/y/z`,
      key: KEY_A.toString("hex"),
      iv: IV.toString("hex"),
    };
    for (const bearer of [null, "not-a-token-that-was-ever-given"]) {
      const r = await handOff(body, bearer);
      assert.equal(r.status, 401);
      assert.equal(r.json?.error, "unauthenticated");
      assert.match(r.headers["www-authenticate"] ?? "", /^Bearer/);
    }
    const v = await lookup("0".repeat(64), "0".repeat(64), null);
    assert.equal(v.status, 401);
    assert.equal(v.json?.error, "unauthenticated");
  });

  it("an oversized body: 413, whether Content-Length says so or a chunked body grows too long", async () => {
    const big = JSON.stringify({ url: "x".repeat(5000), key: "", iv: "" });
    const declared = await handOff(big);
    assert.equal(declared.status, 413);
    assert.equal(declared.json?.error, "body-too-large");
    const chunked = await request(t.ca, {
      method: "POST",
      url: `${base}/scan/encrypted`,
      headers: {
        "Content-Type": "application/json",
        "Transfer-Encoding": "chunked",
        Authorization: `Bearer ${token}`,
      },
      body: Buffer.from(`${big.length.toString(16)}\r\n${big}\r\n0\r\n\r\n`),
    });
    assert.equal(chunked.status, 413);
    assert.equal(chunked.json?.error, "body-too-large");
  });

  it("bad requests: not JSON, a short key, an address that is not an upload here", async () => {
    for (const body of ["{not json", "null", "[]", '"text"']) {
      const r = await handOff(body);
      assert.equal(r.status, 400, body);
      assert.equal(r.json?.error, "bad-request");
    }
    const cipher = encrypt(Buffer.from("x"), KEY_A, IV);
    const url = await upload("x.txt", cipher);
    const short = await handOff({ url, key: "abcd", iv: IV.toString("hex") });
    assert.equal(short.status, 400);
    for (const other of [
      url.replace(`localhost:${t.tlsPort}`, "example.org"),
      url.replace(/\/[^/]+\/x\.txt$/, "/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/x.txt"),
      `${base}/index.html`,
    ]) {
      const r = await handOff({ url: other, key: KEY_A.toString("hex"), iv: IV.toString("hex") });
      assert.equal(r.status, 404, other);
      assert.equal(r.json?.error, "not-found");
    }
  });

  it("a file over files.handoff-max-bytes: 413, and it stays not scanned", async () => {
    const cipher = encrypt(Buffer.alloc(60000, 0x41), KEY_A, IV);
    const url = await upload("big.bin", cipher);
    const r = await handOff({ url, key: KEY_A.toString("hex"), iv: IV.toString("hex") });
    assert.equal(r.status, 413);
    assert.equal(r.json?.error, "file-too-large");
    assert.deepEqual(await verdict(sha256(cipher), sha256(KEY_A, IV)), { status: "not-scanned" });
  });

  it("more hand-offs than files.handoff-per-minute from one user: 429 with Retry-After", async () => {
    const { client } = await RawClient.login(t, "carol", "pw-carol");
    const carol = await askToken(client);
    const statuses: number[] = [];
    for (let i = 0; i < 30; i++) statuses.push((await handOff("{}", carol)).status);
    assert.deepEqual(statuses, Array(30).fill(400));
    const over = await handOff("{}", carol);
    assert.equal(over.status, 429);
    assert.equal(over.json?.error, "rate-limited");
    assert.match(over.headers["retry-after"] ?? "", /^\d+$/);
    // Alice's own allowance is untouched.
    assert.equal((await handOff("{}")).status, 400);
    client.close();
  });

  it("a token is asked for with an IQ get; a set is not understood (service-unavailable)", async () => {
    const r = await ask(
      alice,
      "tk",
      `<iq type='set' id='tk' to='localhost'><token xmlns='${NS_SCAN}'/></iq>`,
    );
    assert.equal(condition(r), "service-unavailable");
  });
});

describe("scanner hand-off with a real clamd", () => {
  let t: TestServer;
  let data: string;
  let clamd: Clamd;
  const ctx = {} as Ctx;
  const { askToken, upload, handOff, verdict } = steps(ctx);
  const offer = (url: string) =>
    handOff({ url, key: KEY_A.toString("hex"), iv: IV.toString("hex") });

  before(async () => {
    data = await mkdtemp(join(tmpdir(), "hato-handoff-clamd-"));
    clamd = await startClamd({ maxBytes: 100000 });
    t = await startServer({
      data,
      "upload.max-file-bytes": "100000",
      "scan.engine": "clamd",
      "scan.clamd-address": clamd.address,
    });
    await t.addUser("alice", "pw-alice");
    ctx.t = t;
    ctx.alice = (await RawClient.login(t, "alice", "pw-alice")).client;
    ctx.token = await askToken(ctx.alice);
  });
  after(async () => {
    ctx.alice?.close();
    await t?.stop();
    await clamd?.close();
    await rm(data, { recursive: true, force: true });
  });

  it("clamd finds EICAR and the test signature in encrypted files; a clean one is clean", async () => {
    const clean = encrypt(Buffer.from("agenda: budget, hiring\n"), KEY_A, IV);
    const r1 = await offer(await upload("agenda.txt", clean));
    assert.equal(r1.json?.status, "clean", r1.body.toString());
    for (const [name, plain, signature] of [
      ["eicar.txt", EICAR, /Hato\.Test\.EICAR/],
      ["marker.txt", Buffer.concat([Buffer.from("notes "), TEST_MARKER]), /Hato\.Test\.Marker/],
    ] as const) {
      const cipher = encrypt(plain, KEY_A, IV);
      const r = await offer(await upload(name, cipher));
      assert.equal(r.status, 200);
      assert.equal(r.json?.status, "infected", name);
      assert.match(r.json?.reason ?? "", signature);
      assert.equal((await verdict(sha256(cipher), sha256(KEY_A, IV))).status, "infected");
      assert.deepEqual(await verdict(sha256(cipher), sha256(KEY_B, IV)), { status: "not-scanned" });
    }
  });

  it("clamd down: 503 scanner-unavailable, and nothing is recorded", async () => {
    const cipher = encrypt(Buffer.from("late figures"), KEY_A, IV);
    const url = await upload("late.txt", cipher);
    await clamd.stop();
    const r = await offer(url);
    assert.equal(r.status, 503);
    assert.equal(r.json?.error, "scanner-unavailable");
    assert.deepEqual(await verdict(sha256(cipher), sha256(KEY_A, IV)), { status: "not-scanned" });
  });
});
