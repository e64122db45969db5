// The SDK's file sharing against the real server (XEP-0363 + XEP-0066): alice finds the upload
// service, uploads through a Node put with progress, and bob gets a file message whose URL
// serves the bytes; the EICAR test file is refused with the scanner's reason and never sent.

import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { type ChatMessage, HatoClient, UploadError } from "@hato/sdk";
import { mutualContacts, startServer, type TestServer } from "../support/inproc.js";
import { nextEvent, wsTrusting } from "../support/sdk.js";
import { eicar, httpsGet, httpsPut, pngBytes } from "./files.js";

describe("SDK file sharing (XEP-0363, XEP-0066)", () => {
  let t: TestServer;
  let a: HatoClient;
  let b: HatoClient;
  let data: string;
  before(async () => {
    // The upload module as shipped (built-in scanner), with small limits to reach them.
    data = await mkdtemp(join(tmpdir(), "hato-sdk-upload-"));
    t = await startServer({
      data,
      "upload.max-file-bytes": "2000000",
      "upload.quota-user-bytes": "3000000",
    });
    await t.addUser("alice", "pw");
    await t.addUser("bob", "pw");
    await mutualContacts(t, "alice", "bob");
    const client = (user: string) =>
      new HatoClient({
        service: `wss://127.0.0.1:${t.tlsPort}/xmpp-websocket`,
        jid: `${user}@localhost`,
        password: "pw",
        WebSocket: wsTrusting(t.ca),
      });
    a = client("alice");
    b = client("bob");
    await Promise.all([a.connect(), b.connect()]);
  });
  after(async () => {
    await a?.disconnect();
    await b?.disconnect();
    await t?.stop();
    await rm(data, { recursive: true, force: true });
  });

  it("discovers the upload service on the server's domain", async () => {
    const svc = await a.uploadService();
    assert.deepEqual(svc, { jid: "localhost", maxFileSize: 2000000 });
  });

  it("refusals carry the server's words: too large (with the limit), type not allowed", async () => {
    await assert.rejects(a.requestSlot("huge.bin", 2000001, "application/octet-stream"), {
      name: "UploadError",
      code: "file-too-large",
      maxFileSize: 2000000,
    });
    await assert.rejects(a.requestSlot("setup.exe", 1000, "application/x-msdownload"), (e) => {
      assert.ok(e instanceof UploadError);
      assert.equal(e.code, "type-refused");
      assert.match(e.reason, /application\/x-msdownload may not be uploaded/);
      return true;
    });
  });

  it("uploads a PNG with progress; bob's message is a file whose URL serves the same bytes", async () => {
    const png = pngBytes(64, 64);
    const progress: number[] = [];
    const got = nextEvent(b, "message", (m) => m.file !== undefined);
    const sent = await a.upload(
      b.jid,
      { name: "chart.png", size: png.length, type: "image/png", body: png },
      { put: httpsPut(t.ca), onProgress: (n) => progress.push(n) },
    );
    assert.equal(progress.at(-1), png.length);
    assert.deepEqual(sent.file, {
      url: sent.body,
      name: "chart.png",
      size: png.length,
      type: "image/png",
    });
    assert.match(sent.body, new RegExp(`^https://localhost:${t.tlsPort}/upload/.+/chart\\.png$`));

    const [m] = (await got) as [ChatMessage];
    assert.equal(m.body, sent.body);
    assert.deepEqual(m.file, { url: sent.body, name: "chart.png", type: "image/png" });
    const res = await httpsGet(m.file!.url, t.ca);
    assert.equal(res.status, 200);
    assert.ok(res.body.equals(png));
  });

  it("the EICAR test file: the upload rejects with 'infected' and the reason, bob gets nothing, the URL answers 404", async () => {
    let putUrl = "";
    const bobGot: ChatMessage[] = [];
    const off = b.on("message", (m) => bobGot.push(m));
    const body = Buffer.from(eicar(), "latin1");
    await assert.rejects(
      a.upload(
        b.jid,
        { name: "eicar.com", size: body.length, type: "application/octet-stream", body },
        { put: httpsPut(t.ca), onSlot: (s) => (putUrl = s.put) },
      ),
      (e: unknown) => {
        assert.ok(e instanceof UploadError);
        assert.equal(e.code, "infected");
        assert.match(e.reason, /EICAR/i);
        return true;
      },
    );
    assert.notEqual(putUrl, "");
    assert.equal((await httpsGet(putUrl, t.ca)).status, 404);
    // A message after it arrives; nothing about the blocked file came before it.
    const marker = nextEvent(b, "message", (m) => m.body === "after the blocked file");
    a.send(b.jid, "after the blocked file");
    await marker;
    off();
    assert.deepEqual(
      bobGot.map((m) => m.body),
      ["after the blocked file"],
    );
  });

  it("sendFile shares any URL as a file message (x:oob), as other clients send them", async () => {
    const url = "https://files.example.org/share/report.pdf";
    const got = nextEvent(b, "message", (m) => m.body === url);
    const sent = a.sendFile(b.jid, url, { name: "report.pdf", size: 1234 });
    assert.deepEqual(sent.file, { url, name: "report.pdf", size: 1234 });
    const [m] = (await got) as [ChatMessage];
    assert.deepEqual(m.file, { url, name: "report.pdf" });
  });

  it("quota: the refusal says so in the server's words (last: it fills alice's quota)", async () => {
    // Unused slots fill the 3 MB quota; a third is refused until they expire.
    await a.requestSlot("one.bin", 1_500_000, "application/octet-stream");
    await a.requestSlot("two.bin", 1_400_000, "application/octet-stream");
    await assert.rejects(a.requestSlot("three.bin", 1_000_000, "application/octet-stream"), (e) => {
      assert.ok(e instanceof UploadError);
      assert.equal(e.code, "quota");
      assert.match(e.reason, /quota/i);
      return true;
    });
  });
});
