// Encrypted files (XEP-0454 aesgcm:// links in OMEMO messages) between SDK clients over a real
// Hato server with uploads and the scanner hand-off (urn:hato:scan:0) on the built-in engine:
// a round trip with ciphertext only on the server, tampering, a wrong key, size limits, and
// the organisation's scanning rule on the sending and the receiving side.

import assert from "node:assert/strict";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import {
  type ChatMessage,
  type HatoClient,
  type HttpFunction,
  MemoryOmemoStore,
  parseAesgcmLink,
} from "@hato/sdk";
import { befriend, nextEvent, type SdkWorld, sdkWorld } from "../support/sdk.js";
import { eicar, httpsFetch, httpsPut, type Seen } from "./files.js";

/** Bytes that must never appear on the server: the plaintext's marker. */
const MARKER = "PLAINTEXT-MARKER-7c1e";

/** Every file under `dir`, with its bytes. */
async function filesUnder(dir: string): Promise<{ path: string; bytes: Buffer }[]> {
  const out: { path: string; bytes: Buffer }[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!e.isFile()) continue;
    const path = join(e.parentPath, e.name);
    out.push({ path, bytes: await readFile(path) });
  }
  return out;
}

describe("encrypted files (XEP-0454) between SDK clients", () => {
  let world: SdkWorld;
  let data: string;
  let alice: HatoClient;
  let bob: HatoClient;
  let put: ReturnType<typeof httpsPut>;
  let seen: Seen;
  let http: HttpFunction;

  /** The next message bob receives from alice. */
  const toBob = (pred: (m: ChatMessage) => boolean = () => true) =>
    nextEvent(bob, "message", (m) => m.peer === alice.jid && !m.outgoing && pred(m)).then(
      ([m]) => m,
    );

  /** Sets the organisation's rule for everyone and waits until both clients heard of it. */
  async function scanningRequired(on: boolean): Promise<void> {
    const heard = [alice, bob].map((c) => nextEvent(c, "policy"));
    const t = world.server.server;
    const before = t.policy.current.doc;
    const r = t.policy.applyText(
      on ? "files: { scanning-required: true }\n" : "files: { enabled: true }\n",
    );
    assert.ok(r.ok, JSON.stringify(r));
    // What Server.reloadPolicy fires once the new policy is in place.
    await t.bus.fire("policy-reloaded", {
      how: "file",
      ok: true,
      before,
      after: t.policy.current.doc,
      errors: [],
    });
    await Promise.all(heard);
  }

  before(async () => {
    data = await mkdtemp(join(tmpdir(), "hato-sdk-encfiles-"));
    world = await sdkWorld(["alice", "bob"], {
      data,
      "upload.max-file-bytes": "200000",
      "files.handoff-max-bytes": "100000",
    });
    alice = world.client("alice", { omemo: new MemoryOmemoStore() });
    bob = world.client("bob", { omemo: new MemoryOmemoStore() });
    await Promise.all([alice.connect(), bob.connect()]);
    await befriend(alice, bob);
    // Asking once subscribes to the policy pushes that scanningRequired() waits for.
    await Promise.all([alice.policySummary(), bob.policySummary()]);
    put = httpsPut(world.server.ca);
    seen = [];
    http = httpsFetch(world.server.ca, seen);
  });
  after(async () => {
    await world?.stop();
    await rm(data, { recursive: true, force: true });
  });

  it("round trip: the link travels in an OMEMO message, the server holds only ciphertext", async () => {
    const plain = Buffer.from(`minutes of the meeting\n${MARKER}\n`.repeat(50));
    const got = toBob();
    const progress: number[] = [];
    const sent = await alice.sendEncryptedFile(
      bob.jid,
      { name: "Minutes March.txt", type: "text/plain", body: new Uint8Array(plain) },
      { put, http, onProgress: (n) => progress.push(n) },
    );
    assert.equal(sent.encryption, "omemo");
    assert.deepEqual(
      { name: sent.encryptedFile?.name, size: sent.encryptedFile?.size },
      { name: "Minutes March.txt", size: plain.length },
    );
    assert.equal(progress.at(-1), plain.length + 16, "the ciphertext carries the 16-byte tag");
    const link = parseAesgcmLink(sent.body);
    assert.ok(link !== undefined, sent.body);
    assert.equal(link.iv.length, 12);
    assert.equal(link.key.length, 32);
    assert.match(link.name, /^[0-9a-f]{24}\.txt$/, "the server never learns the file's name");

    const m = await got;
    assert.equal(m.encryption, "omemo");
    assert.equal(m.encryptedFile?.link, sent.body);
    assert.equal(m.file, undefined, "no x:oob: the key never travels in the clear");
    const file = await bob.downloadEncryptedFile(m.encryptedFile!.link, { http });
    assert.deepEqual(Buffer.from(file.bytes), plain);
    assert.equal(file.scan, "not-scanned", "nobody requires scanning: the key stayed secret");
    assert.match(file.scanReason ?? "", /did not hand the file to the scanner/);

    // The server's upload store and archive: ciphertext only, no key.
    const stored = await filesUnder(data);
    assert.ok(stored.length > 0);
    for (const f of stored) assert.ok(!f.bytes.includes(MARKER), `${f.path} holds the plaintext`);
    const archive = await world.server.storage.archive.query("bob", { limit: 1000 });
    const all = archive!.messages.map((x) => x.stanza).join("\n");
    assert.ok(!all.includes(link.url.split("/").pop()!), "the link is not in the archive");
    assert.ok(!all.includes(Buffer.from(link.key).toString("hex")));
  });

  it("a tampered file fails loudly: altered at rest, or altered on the way", async () => {
    const got = toBob();
    await alice.sendEncryptedFile(
      bob.jid,
      { name: "a.bin", type: "application/octet-stream", body: new Uint8Array(3000).fill(7) },
      { put, http },
    );
    const m = await got;
    const link = m.encryptedFile!.link;
    // On the way: one flipped bit and no digest to compare with.
    const flipping: HttpFunction = async (req) => {
      const res = await http(req);
      if (req.url.includes("/scan/")) return res;
      const body = new Uint8Array(res.body);
      if (req.method === "GET") body[100]! ^= 1;
      return { ...res, body, header: (n) => (n === "repr-digest" ? undefined : res.header(n)) };
    };
    await assert.rejects(bob.downloadEncryptedFile(link, { http: flipping }), {
      name: "DownloadError",
      code: "decryption-failed",
    });
    // At rest: the stored bytes changed behind the server's back.
    const ciphertext = (await http({ method: "GET", url: parseAesgcmLink(link)!.url })).body;
    const onDisk = (await filesUnder(data)).find((f) => f.bytes.equals(ciphertext));
    assert.ok(onDisk !== undefined);
    const altered = Buffer.from(onDisk.bytes);
    altered[5]! ^= 0x80;
    await writeFile(onDisk.path, altered);
    await assert.rejects(
      bob.downloadEncryptedFile(link, { http }),
      (e: Error & { code?: string }) => {
        assert.equal(e.name, "DownloadError");
        assert.equal(e.code, "failed");
        assert.match(e.message, /not those the server described/);
        return true;
      },
    );
  });

  it("a wrong key (or IV) does not decrypt", async () => {
    const got = toBob();
    await alice.sendEncryptedFile(
      bob.jid,
      { name: "b.bin", type: "", body: new Uint8Array(500).fill(1) },
      { put, http },
    );
    const link = (await got).encryptedFile!.link;
    const hash = link.indexOf("#");
    const otherKey = `${link.slice(0, hash + 25)}${"ab".repeat(32)}`;
    const otherIv = `${link.slice(0, hash + 1)}${"00".repeat(12)}${link.slice(hash + 25)}`;
    for (const bad of [otherKey, otherIv])
      await assert.rejects(bob.downloadEncryptedFile(bad, { http }), {
        name: "DownloadError",
        code: "decryption-failed",
      });
  });

  it("size limits: the upload's on sending, the caller's on receiving", async () => {
    const before = seen.length;
    await assert.rejects(
      alice.sendEncryptedFile(
        bob.jid,
        { name: "big.bin", type: "", body: new Uint8Array(200_000) },
        { put, http },
      ),
      { name: "UploadError", code: "file-too-large" },
    );
    assert.equal(seen.length, before, "nothing was uploaded or handed off");
    const got = toBob();
    await alice.sendEncryptedFile(
      bob.jid,
      { name: "c.bin", type: "", body: new Uint8Array(5000) },
      { put, http },
    );
    const link = (await got).encryptedFile!.link;
    await assert.rejects(bob.downloadEncryptedFile(link, { http, maxBytes: 4000 }), {
      name: "DownloadError",
      code: "too-large",
    });
    // A server that announces no length is cut off while reading.
    const noLength: HttpFunction = async (req) => {
      const res = await http(req);
      return { ...res, header: (n) => (n === "content-length" ? undefined : res.header(n)) };
    };
    await assert.rejects(bob.downloadEncryptedFile(link, { http: noLength, maxBytes: 4000 }), {
      code: "too-large",
    });
  });

  it("hostile links are text, and downloading one is refused before any request", async () => {
    const before = seen.length;
    await assert.rejects(bob.downloadEncryptedFile("aesgcm://localhost/x#00", { http }), {
      name: "DownloadError",
      code: "bad-link",
    });
    assert.equal(seen.length, before);
  });

  describe("when the organisation requires scanning", () => {
    before(() => scanningRequired(true));
    after(() => scanningRequired(false));

    it("a clean file is handed to the scanner, sent, and downloads with a clean verdict", async () => {
      const got = toBob();
      const steps: string[] = [];
      await alice.sendEncryptedFile(
        bob.jid,
        { name: "report.txt", type: "text/plain", body: new Uint8Array(Buffer.from("all good")) },
        { put, http, onHandoff: () => steps.push("handoff") },
      );
      assert.deepEqual(steps, ["handoff"]);
      assert.ok(seen.some((r) => r.method === "POST" && r.url.endsWith("/scan/encrypted")));
      const m = await got;
      const file = await bob.downloadEncryptedFile(m.encryptedFile!.link, { http });
      assert.equal(Buffer.from(file.bytes).toString(), "all good");
      assert.equal(file.scan, "clean");
    });

    it("EICAR: the scanner finds it after decryption, nothing is sent, the upload is quarantined", async () => {
      let url = "";
      await assert.rejects(
        alice.sendEncryptedFile(
          bob.jid,
          { name: "eicar.com.txt", type: "text/plain", body: new Uint8Array(Buffer.from(eicar())) },
          { put, http, onSlot: (s) => (url = s.get) },
        ),
        (e: Error & { code?: string }) => {
          assert.equal(e.name, "UploadError");
          assert.equal(e.code, "infected");
          assert.match(e.message, /EICAR/i);
          return true;
        },
      );
      assert.equal((await http({ method: "GET", url })).status, 404, "quarantined");
      // Bob's next message from alice is the one after: no file message went out.
      const got = toBob();
      await alice.sendEncrypted(bob.jid, "after the virus");
      assert.equal((await got).body, "after the virus");
    });

    it("the receiver refuses a file that was never handed off, before fetching it", async () => {
      // Sent while nobody required scanning: no verdict exists for it.
      await scanningRequired(false);
      const got = toBob();
      await alice.sendEncryptedFile(
        bob.jid,
        { name: "old.txt", type: "text/plain", body: new Uint8Array(Buffer.from("unscanned")) },
        { put, http },
      );
      const link = (await got).encryptedFile!.link;
      await scanningRequired(true);
      const from = seen.length;
      await assert.rejects(
        bob.downloadEncryptedFile(link, { http }),
        (e: Error & { code?: string }) => {
          assert.equal(e.code, "not-scanned");
          assert.match(e.message, /requires scanned files/);
          return true;
        },
      );
      const asked = seen.slice(from);
      assert.ok(
        asked.some((r) => r.method === "HEAD"),
        "the verdict was looked up by the digest",
      );
      assert.ok(
        !asked.some((r) => r.method === "GET" && !r.url.includes("/scan/")),
        "never fetched",
      );
      // A file on another server: its scanner is not ours, so it is refused without a request.
      const elsewhere = link.replace(/^aesgcm:\/\/[^/]+/, "aesgcm://files.example.net");
      const n = seen.length;
      await assert.rejects(bob.downloadEncryptedFile(elsewhere, { http }), { code: "not-scanned" });
      assert.equal(seen.length, n);
    });
  });
});
