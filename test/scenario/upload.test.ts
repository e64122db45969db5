// XEP-0363 transcripts: discovery, slots, PUT with scanning before release, safe downloads,
// and every refusal (size, type, quota, rate, lying lengths, slowloris, expiry, reuse, secrets).

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { SECURITY_HEADERS } from "@hato/core";
import { createUpload } from "@hato/modules";
import { openMemoryStorage } from "@hato/storage";
import { type Element, escapeAttr } from "@hato/xml";
import { RawClient, startServer, type TestServer } from "../support/inproc.js";
import { ask, condition, errorText, pause } from "../support/stanzas.js";
import { fetchFile, put, request, TestScanner, type TestVerdict } from "../support/upload.js";

const NS = "urn:xmpp:http:upload:0";
const EICAR_LIKE = Buffer.from("TEST-INFECTED-MARKER");

/** The test scanner's rules: a marker means infected, "unscannable" refused, "scanner-down" down. */
function verdictFor(bytes: Buffer): TestVerdict {
  if (bytes.includes(EICAR_LIKE))
    return {
      status: "infected",
      engine: "test",
      signature: "Test.Marker",
      reason: "it contains the test marker",
    };
  if (bytes.includes("unscannable"))
    return { status: "refused", engine: "test", reason: "the archive is encrypted" };
  if (bytes.includes("scanner-down")) return "down";
  return { status: "clean", engine: "test" };
}

let n = 0;
/** Asks for a slot; `attrs` are the request's attributes. */
function requestSlot(c: RawClient, attrs: Record<string, string>): Promise<Element> {
  const id = `slot-${++n}`;
  const a = Object.entries(attrs)
    .map(([k, v]) => `${k}='${escapeAttr(v)}'`)
    .join(" ");
  return ask(c, id, `<iq type='get' id='${id}' to='localhost'><request xmlns='${NS}' ${a}/></iq>`);
}

/** A granted slot's PUT and GET URLs. */
async function slotFor(c: RawClient, name: string, size: number, type?: string) {
  const attrs: Record<string, string> = { filename: name, size: String(size) };
  if (type !== undefined) attrs["content-type"] = type;
  const r = await requestSlot(c, attrs);
  assert.equal(r.attr("type"), "result", errorText(r));
  const slot = r.getChild("slot", NS)!;
  return {
    put: slot.getChild("put")!.attr("url")!,
    get: slot.getChild("get")!.attr("url")!,
  };
}

describe("XEP-0363 HTTP File Upload", () => {
  let t: TestServer;
  let data: string;
  let alice: RawClient;
  const scanner = new TestScanner(verdictFor);
  const verdicts: { verdict: string; name: string; user: string }[] = [];
  before(async () => {
    data = await mkdtemp(join(tmpdir(), "hato-upload-"));
    const watcher = {
      name: "verdict-watcher",
      load(api: Parameters<ReturnType<typeof createUpload>["load"]>[0]) {
        api.hook("upload-verdict", (v) => void verdicts.push(v), -10);
      },
    };
    t = await startServer(
      {
        data,
        "upload.max-file-bytes": "100000",
        "upload.quota-user-bytes": "200000",
        "upload.slots-per-minute": "60",
        "upload.min-bytes-per-second": "1000",
        "upload.grace-seconds": "1",
      },
      undefined,
      [createUpload({ scanner }), watcher],
    );
    for (const u of ["alice", "bob", "carol", "dave"]) await t.addUser(u, `pw-${u}`);
    alice = (await RawClient.login(t, "alice", "pw-alice")).client;
  });
  after(async () => {
    alice.close();
    await t.stop();
    await rm(data, { recursive: true, force: true });
  });

  it("disco#info of the domain: the feature, identity store/file and the max-file-size form", async () => {
    const r = await ask(
      alice,
      "d1",
      "<iq type='get' id='d1' to='localhost'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>",
    );
    const q = r.getChild("query", "http://jabber.org/protocol/disco#info")!;
    assert.ok(q.getChildren("feature").some((f) => f.attr("var") === NS));
    assert.ok(
      q
        .getChildren("identity")
        .some((i) => i.attr("category") === "store" && i.attr("type") === "file"),
    );
    const form = q.getChild("x", "jabber:x:data")!;
    assert.equal(form.attr("type"), "result");
    const field = (v: string) => form.getChildren("field").find((f) => f.attr("var") === v);
    assert.equal(field("FORM_TYPE")?.getChildText("value"), NS);
    assert.equal(field("max-file-size")?.getChildText("value"), "100000");
  });

  it("alice gets a slot, PUTs a clean file (201 after the verdict) and anyone with the URL GETs it safely", async () => {
    const body = Buffer.from("hello, this is a clean holiday photo\n");
    const { put: putUrl, get: getUrl } = await slotFor(
      alice,
      "holiday.jpg",
      body.length,
      "image/jpeg",
    );
    assert.match(
      putUrl,
      new RegExp(`^https://localhost:${t.tlsPort}/upload/[\\w-]{22}/[\\w-]{43}/holiday\\.jpg$`),
    );
    assert.equal(getUrl, putUrl);
    const up = await put(t.ca, putUrl, body, "image/jpeg");
    assert.equal(up.status, 201, up.body.toString());
    assert.equal(up.json?.status, "clean");
    assert.equal(up.headers["hato-scan"], "clean");
    assert.equal(verdicts.at(-1)?.verdict, "clean");
    assert.equal(verdicts.at(-1)?.user, "alice");

    const got = await fetchFile(t.ca, getUrl);
    assert.equal(got.status, 200);
    assert.deepEqual(got.body, body);
    assert.equal(got.headers["content-type"], "image/jpeg");
    assert.equal(
      got.headers["content-disposition"],
      `attachment; filename="holiday.jpg"; filename*=UTF-8''holiday.jpg`,
    );
    assert.equal(got.headers["x-content-type-options"], "nosniff");
    const sha = createHash("sha256").update(body).digest("base64");
    assert.equal(got.headers["repr-digest"], `sha-256=:${sha}:`);
    assert.equal(got.headers["content-security-policy"], "default-src 'none'; sandbox");
    for (const name of ["Strict-Transport-Security", "Referrer-Policy", "X-Frame-Options"])
      assert.equal(got.headers[name.toLowerCase()], SECURITY_HEADERS[name]);
    const head = await fetchFile(t.ca, getUrl, "HEAD");
    assert.equal(head.status, 200);
    assert.equal(head.headers["content-length"], String(body.length));
    assert.equal(head.body.length, 0);
  });

  it("active types are served as application/octet-stream, never as HTML or SVG", async () => {
    for (const [name, type] of [
      ["page.html", "text/html"],
      ["logo.svg", "image/svg+xml"],
    ] as const) {
      const body = Buffer.from("<svg onload='alert(1)'/>");
      const { put: u } = await slotFor(alice, name, body.length, type);
      assert.equal((await put(t.ca, u, body, type)).status, 201);
      const got = await fetchFile(t.ca, u);
      assert.equal(got.headers["content-type"], "application/octet-stream", name);
      assert.match(got.headers["content-disposition"]!, /^attachment;/);
    }
  });

  it("file-too-large: not-acceptable (modify) with the XEP's element and the limit in words", async () => {
    const r = await requestSlot(alice, {
      filename: "movie.mp4",
      size: "100001",
      "content-type": "video/mp4",
    });
    assert.equal(r.attr("type"), "error");
    assert.equal(condition(r), "not-acceptable");
    assert.equal(r.getChild("error")!.attr("type"), "modify");
    const tooLarge = r.getChild("error")!.getChild("file-too-large", NS);
    assert.equal(tooLarge?.getChildText("max-file-size"), "100000");
    assert.match(errorText(r), /too large.*at most 100000 bytes/);
    // A size no disk holds gets the same answer, not an overflow.
    const huge = await requestSlot(alice, { filename: "x", size: "9999999999999999" });
    assert.equal(condition(huge), "not-acceptable");
  });

  it("bad filename or size: bad-request with a text", async () => {
    for (const attrs of [
      { size: "10" },
      { filename: "  ", size: "10" },
      { filename: "a.txt" },
      { filename: "a.txt", size: "0" },
      { filename: "a.txt", size: "-5" },
      { filename: "a.txt", size: "1e3" },
      { filename: "a.txt", size: "10", "content-type": "not a type" },
    ]) {
      const r = await requestSlot(alice, attrs as Record<string, string>);
      assert.equal(condition(r), "bad-request", JSON.stringify(attrs));
      assert.ok(errorText(r).length > 0);
    }
  });

  it("a blocked type: not-acceptable with a text naming the type", async () => {
    const r = await requestSlot(alice, {
      filename: "setup.exe",
      size: "10",
      "content-type": "application/x-msdownload",
    });
    assert.equal(condition(r), "not-acceptable");
    assert.match(errorText(r), /application\/x-msdownload may not be uploaded/);
  });

  it("path traversal, encoded dots, separators and bidi overrides never reach a name", async () => {
    const cases: [string, string][] = [
      ["../../etc/passwd", "passwd"],
      ["%2e%2e%2fetc%2fpasswd", "___etc_passwd"],
      ["a/b", "b"],
      ["a\\b.txt", "b.txt"],
      [".htaccess", "htaccess"],
      ["invoice\u202Egpj.exe", "invoicegpj.exe"],
      ["x\u2066y\u200F.txt", "xy.txt"],
      ["..", "file"],
      ["r\u00e9sum\u00e9 \u6771.pdf", "r\u00e9sum\u00e9 \u6771.pdf"],
    ];
    for (const [raw, safe] of cases) {
      const { put: u } = await slotFor(alice, raw, 3);
      const last = decodeURIComponent(new URL(u).pathname.split("/").pop()!);
      assert.equal(last, safe, raw);
      assert.equal((await put(t.ca, u, Buffer.from("abc"))).status, 201, raw);
      const got = await fetchFile(t.ca, u);
      assert.equal(got.status, 200, raw);
      const cd = got.headers["content-disposition"]!;
      assert.ok(!/[\u0000-\u001f\u007f-\uffff]/.test(cd), `ASCII header for ${raw}`);
      assert.ok(cd.includes(`filename*=UTF-8''${encodeURIComponent(safe)}`), cd);
      assert.ok(!cd.includes(".."), cd);
    }
    const long = await slotFor(alice, `${"a".repeat(500)}.pdf`, 3);
    const name = decodeURIComponent(new URL(long.put).pathname.split("/").pop()!);
    assert.ok(name.length <= 120 && name.endsWith(".pdf"), name);
  });

  it("an infected file: 422 with the reason, quarantined, never downloadable", async () => {
    const body = Buffer.concat([Buffer.from("invoice "), EICAR_LIKE]);
    const { put: u } = await slotFor(alice, "invoice.pdf", body.length, "application/pdf");
    const r = await put(t.ca, u, body, "application/pdf");
    assert.equal(r.status, 422);
    assert.equal(r.json?.error, "infected");
    assert.match(r.json!.reason!, /test marker.*quarantined/);
    assert.equal(verdicts.at(-1)?.verdict, "infected");
    assert.equal((await fetchFile(t.ca, u)).status, 404);
    assert.equal((await fetchFile(t.ca, u, "HEAD")).status, 404);
    const id = new URL(u).pathname.split("/")[2]!;
    assert.deepEqual(await readdir(join(data, "uploads", "quarantine")), [id]);
    assert.equal((await t.storage.files.get(id))?.state, "infected");
  });

  it("a file the scanner cannot scan in full: 422 not-scanned, nothing kept", async () => {
    const body = Buffer.from("unscannable archive");
    const { put: u } = await slotFor(alice, "secret.zip", body.length, "application/zip");
    const r = await put(t.ca, u, body, "application/zip");
    assert.equal(r.status, 422);
    assert.equal(r.json?.error, "not-scanned");
    assert.match(r.json!.reason!, /encrypted/);
    assert.equal((await fetchFile(t.ca, u)).status, 404);
  });

  it("the scanner down: 503 scanner-unavailable (fail closed), nothing kept", async () => {
    const body = Buffer.from("scanner-down please");
    const { put: u } = await slotFor(alice, "notes.txt", body.length, "text/plain");
    const r = await put(t.ca, u, body, "text/plain");
    assert.equal(r.status, 503);
    assert.equal(r.json?.error, "scanner-unavailable");
    assert.equal(verdicts.at(-1)?.verdict, "unavailable");
    assert.equal((await fetchFile(t.ca, u)).status, 404);
    const id = new URL(u).pathname.split("/")[2]!;
    assert.equal(await t.storage.files.get(id), undefined);
  });

  it("GET before the verdict is 404, not even for a moment the bytes", async () => {
    const body = Buffer.from("slow to scan");
    const { put: u } = await slotFor(alice, "slow.txt", body.length, "text/plain");
    scanner.hold();
    const uploading = put(t.ca, u, body, "text/plain");
    while (scanner.waiting === 0) await pause(20);
    const early = await fetchFile(t.ca, u);
    assert.equal(early.status, 404);
    assert.equal(early.json?.error, "not-found");
    scanner.release();
    assert.equal((await uploading).status, 201);
    assert.equal((await fetchFile(t.ca, u)).status, 200);
  });

  it("wrong secret, unknown slot, wrong name: the same 404 for GET, and 404 for PUT", async () => {
    const body = Buffer.from("abc");
    const { put: u } = await slotFor(alice, "a.txt", 3, "text/plain");
    assert.equal((await put(t.ca, u, body, "text/plain")).status, 201);
    const parts = new URL(u).pathname.split("/");
    const wrongSecret = u.replace(parts[3]!, "A".repeat(43));
    const unknownSlot = u.replace(parts[2]!, "B".repeat(22));
    const wrongName = u.replace(/a\.txt$/, "b.txt");
    const answers = await Promise.all(
      [wrongSecret, unknownSlot, wrongName].map((x) => fetchFile(t.ca, x)),
    );
    for (const a of answers) {
      assert.equal(a.status, 404);
      assert.deepEqual(a.json, answers[0]!.json);
    }
    const listing = await fetchFile(t.ca, `https://localhost:${t.tlsPort}/upload/`);
    assert.equal(listing.status, 404);
    assert.equal((await put(t.ca, wrongSecret, body, "text/plain")).status, 404);
  });

  it("a slot takes one PUT: the second gets 409", async () => {
    const body = Buffer.from("once");
    const { put: u } = await slotFor(alice, "once.txt", body.length, "text/plain");
    assert.equal((await put(t.ca, u, body, "text/plain")).status, 201);
    const again = await put(t.ca, u, Buffer.from("evil"), "text/plain");
    assert.equal(again.status, 409);
    assert.equal(again.json?.error, "slot-used");
    assert.deepEqual((await fetchFile(t.ca, u)).body, body);
  });

  it("Content-Length and Content-Type must be the announced ones", async () => {
    const body = Buffer.from("0123456789");
    const { put: u } = await slotFor(alice, "ten.txt", 10, "text/plain");
    const missing = await request(t.ca, {
      method: "PUT",
      url: u,
      headers: { "Content-Type": "text/plain" },
    });
    assert.equal(missing.status, 411);
    const chunked = await request(t.ca, {
      method: "PUT",
      url: u,
      headers: { "Content-Type": "text/plain", "Transfer-Encoding": "chunked" },
      body: Buffer.from("a\r\n0123456789\r\n0\r\n\r\n"),
    });
    assert.equal(chunked.status, 411);
    const more = await request(t.ca, {
      method: "PUT",
      url: u,
      headers: { "Content-Type": "text/plain", "Content-Length": "11" },
      body: Buffer.from("0123456789x"),
    });
    assert.equal(more.status, 413);
    assert.match(more.json!.reason!, /more than the 10 bytes/);
    const less = await request(t.ca, {
      method: "PUT",
      url: u,
      headers: { "Content-Type": "text/plain", "Content-Length": "9" },
      body: Buffer.from("012345678"),
    });
    assert.equal(less.status, 400);
    const wrongType = await put(t.ca, u, body, "text/html");
    assert.equal(wrongType.status, 400);
    assert.equal(wrongType.json?.error, "type-mismatch");
    // The slot is still unused after refusals that came before the body.
    assert.equal((await put(t.ca, u, body, "text/plain")).status, 201);
    // A declared length beyond the upload limit is refused before any byte is read.
    const { put: v } = await slotFor(alice, "big.bin", 5);
    const huge = await request(t.ca, {
      method: "PUT",
      url: v,
      headers: { "Content-Length": "99999999999" },
    });
    assert.equal(huge.status, 413);
  });

  it("a body shorter than Content-Length (the client hangs up): nothing kept, slot gone", async () => {
    const { put: u } = await slotFor(alice, "short.txt", 10, "text/plain");
    const r = await request(t.ca, {
      method: "PUT",
      url: u,
      headers: { "Content-Type": "text/plain", "Content-Length": "10" },
      body: Buffer.from("01234"),
      hangUp: true,
    });
    assert.notEqual(r.status, 201);
    const id = new URL(u).pathname.split("/")[2]!;
    for (let i = 0; i < 50 && (await t.storage.files.get(id)) !== undefined; i++) await pause(20);
    assert.equal(await t.storage.files.get(id), undefined);
    assert.deepEqual(await readdir(join(data, "uploads", "incoming")), []);
    assert.equal((await fetchFile(t.ca, u)).status, 404);
  });

  it("a body longer than Content-Length: the extra bytes are a bad request, nothing kept", async () => {
    const { put: u } = await slotFor(alice, "long.txt", 10, "text/plain");
    const r = await request(t.ca, {
      method: "PUT",
      url: u,
      headers: { "Content-Type": "text/plain", "Content-Length": "10" },
      body: Buffer.from("0123456789"),
      extra: Buffer.from("MORE BYTES THAN DECLARED\r\n\r\n"),
    });
    assert.equal(r.status, 400);
    const id = new URL(u).pathname.split("/")[2]!;
    for (let i = 0; i < 50 && (await t.storage.files.get(id)) !== undefined; i++) await pause(20);
    assert.equal(await t.storage.files.get(id), undefined);
    assert.equal((await fetchFile(t.ca, u)).status, 404);
  });

  it("slowloris: a client trickling bytes gets 408 and the partial file is deleted", async () => {
    const body = Buffer.alloc(5000, 0x61);
    const { put: u } = await slotFor(alice, "slow.bin", body.length);
    const r = await request(t.ca, {
      method: "PUT",
      url: u,
      headers: { "Content-Length": String(body.length) },
      body,
      trickle: { bytes: 50, ms: 100 },
    });
    assert.equal(r.status, 408);
    assert.equal(r.json?.error, "too-slow");
    assert.deepEqual(await readdir(join(data, "uploads", "incoming")), []);
    assert.equal(await t.storage.files.get(new URL(u).pathname.split("/")[2]!), undefined);
  });

  it("concurrent slot requests beyond the quota: exactly what fits is granted, the rest told why", async () => {
    const { client: bob } = await RawClient.login(t, "bob", "pw-bob");
    const answers = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        requestSlot(bob, { filename: `part${i}.bin`, size: "60000" }),
      ),
    );
    const granted = answers.filter((a) => a.attr("type") === "result");
    const refused = answers.filter((a) => a.attr("type") === "error");
    assert.equal(granted.length, 3);
    for (const r of refused) {
      assert.equal(condition(r), "resource-constraint");
      assert.equal(r.getChild("error")!.attr("type"), "wait");
      assert.match(errorText(r), /quota is 0\.2 MiB and you use 0\.2 MiB/);
    }
    assert.equal(await t.storage.files.usage("bob"), 180000);
    bob.close();
  });

  it("slot requests beyond upload.slots-per-minute: resource-constraint (wait)", async () => {
    const { client: carol } = await RawClient.login(t, "carol", "pw-carol");
    let limited: Element | undefined;
    for (let i = 0; i < 61 && limited === undefined; i++) {
      const r = await requestSlot(carol, { filename: "x.txt", size: "1" });
      if (r.attr("type") === "error") limited = r;
    }
    assert.ok(limited);
    assert.equal(condition(limited), "resource-constraint");
    assert.match(errorText(limited), /more than 60 upload slots in a minute/);
    carol.close();
  });

  it("an account's files go with the account", async () => {
    const { client: dave } = await RawClient.login(t, "dave", "pw-dave");
    const { put: u } = await slotFor(dave, "d.txt", 1, "text/plain");
    assert.equal((await put(t.ca, u, Buffer.from("d"), "text/plain")).status, 201);
    dave.close();
    await t.storage.accounts.delete("dave");
    await t.server.bus.fire("user-deleted", { username: "dave" });
    assert.deepEqual(await t.storage.files.list("dave"), []);
    assert.equal((await fetchFile(t.ca, u)).status, 404);
  });
});

describe("XEP-0363 expiry and quotas freed", () => {
  let t: TestServer;
  let data: string;
  const storage = openMemoryStorage();
  before(async () => {
    data = await mkdtemp(join(tmpdir(), "hato-upload-"));
    t = await startServer(
      {
        data,
        "upload.slot-seconds": "5",
        "upload.quota-user-bytes": "100",
        "upload.expire-days": "7",
      },
      storage,
      [createUpload({ scanner: new TestScanner(verdictFor) })],
    );
    await t.addUser("alice", "pw-alice");
  });
  after(async () => {
    await t.stop();
    await rm(data, { recursive: true, force: true });
  });

  it("an unused slot expires: its PUT gets 410 and its quota comes back", async () => {
    const { client } = await RawClient.login(t, "alice", "pw-alice");
    const { put: u } = await slotFor(client, "later.txt", 100, "text/plain");
    const full = await requestSlot(client, { filename: "more.txt", size: "1" });
    assert.equal(condition(full), "resource-constraint");
    const id = new URL(u).pathname.split("/")[2]!;
    // The slot's deadline passes (moved into the past rather than waited for).
    const rec = (await storage.files.get(id))!;
    await storage.files.delete(id);
    await storage.files.reserve(
      { ...rec, slotExpires: new Date(Date.now() - 1) },
      { userBytes: 1e9, totalBytes: 1e9 },
    );
    const late = await put(t.ca, u, Buffer.alloc(100), "text/plain");
    assert.equal(late.status, 410);
    assert.equal(late.json?.error, "slot-expired");
    await pause(1100); // the slot sweep runs before a request at most once a second
    const again = await requestSlot(client, { filename: "more.txt", size: "100" });
    assert.equal(again.attr("type"), "result", errorText(again));
    assert.equal(await storage.files.get(id), undefined);
    client.close();
  });

  it("files older than upload.expire-days are deleted with their bytes; quota freed", async () => {
    const { client } = await RawClient.login(t, "alice", "pw-alice");
    await pause(1100);
    for (const f of await storage.files.list("alice")) await storage.files.delete(f.id);
    const { put: u } = await slotFor(client, "old.txt", 100, "text/plain");
    assert.equal((await put(t.ca, u, Buffer.alloc(100, 0x62), "text/plain")).status, 201);
    const id = new URL(u).pathname.split("/")[2]!;
    const rec = (await storage.files.get(id))!;
    await storage.files.delete(id);
    await storage.files.reserve(
      { ...rec, created: new Date(Date.now() - 8 * 86_400_000) },
      { userBytes: 1e9, totalBytes: 1e9 },
    );
    assert.equal((await fetchFile(t.ca, u)).status, 404);
    await pause(1100);
    const again = await requestSlot(client, { filename: "new.txt", size: "100" });
    assert.equal(again.attr("type"), "result", errorText(again));
    assert.equal(await storage.files.get(id), undefined);
    assert.deepEqual(await readdir(join(data, "uploads", "files")), []);
    client.close();
  });
});

describe("XEP-0363 with scan.when-down: accept", () => {
  let t: TestServer;
  let data: string;
  before(async () => {
    data = await mkdtemp(join(tmpdir(), "hato-upload-"));
    t = await startServer({ data, "scan.when-down": "accept" }, undefined, [
      createUpload({
        scanner: new TestScanner((bytes) => (bytes.includes("crash") ? "crash" : "down")),
      }),
    ]);
    await t.addUser("alice", "pw-alice");
  });
  after(async () => {
    await t.stop();
    await rm(data, { recursive: true, force: true });
  });

  it("the file is kept, marked not scanned, and served with Hato-Scan: not-scanned", async () => {
    const { client } = await RawClient.login(t, "alice", "pw-alice");
    const body = Buffer.from("nobody looked at this");
    const { put: u } = await slotFor(client, "n.txt", body.length, "text/plain");
    const r = await put(t.ca, u, body, "text/plain");
    assert.equal(r.status, 201);
    assert.equal(r.json?.status, "not-scanned");
    assert.equal(r.headers["hato-scan"], "not-scanned");
    const got = await fetchFile(t.ca, u);
    assert.equal(got.status, 200);
    assert.equal(got.headers["hato-scan"], "not-scanned");
    assert.deepEqual(got.body, body);
    client.close();
  });

  it("a scanner that breaks on a file is no scanner down: refused (422), even with accept", async () => {
    const { client } = await RawClient.login(t, "alice", "pw-alice");
    const body = Buffer.from("crash the engine");
    const { put: u } = await slotFor(client, "c.bin", body.length);
    const r = await put(t.ca, u, body);
    assert.equal(r.status, 422);
    assert.equal(r.json?.error, "not-scanned");
    assert.equal((await fetchFile(t.ca, u)).status, 404);
    client.close();
  });
});

describe("XEP-0363 upload.allowed-types", () => {
  let t: TestServer;
  let data: string;
  before(async () => {
    data = await mkdtemp(join(tmpdir(), "hato-upload-"));
    t = await startServer({ data, "upload.allowed-types": "image/*,text/plain" });
    await t.addUser("alice", "pw-alice");
  });
  after(async () => {
    await t.stop();
    await rm(data, { recursive: true, force: true });
  });

  it("upload.allowed-types: other types (and no type) are not acceptable", async () => {
    const { client } = await RawClient.login(t, "alice", "pw-alice");
    const pdf = await requestSlot(client, {
      filename: "a.pdf",
      size: "3",
      "content-type": "application/pdf",
    });
    assert.equal(condition(pdf), "not-acceptable");
    assert.match(errorText(pdf), /application\/pdf may not be uploaded/);
    const none = await requestSlot(client, { filename: "a", size: "3" });
    assert.equal(condition(none), "not-acceptable");
    const png = await requestSlot(client, {
      filename: "a.png",
      size: "3",
      "content-type": "image/png",
    });
    assert.equal(png.attr("type"), "result");
    client.close();
  });
});

describe("XEP-0363 with upload.enabled: false", () => {
  let t: TestServer;
  before(async () => {
    t = await startServer({ "upload.enabled": "false" });
    await t.addUser("alice", "pw-alice");
  });
  after(() => t.stop());

  it("no feature, no identity, slot requests unanswered by anyone, /upload/ not served", async () => {
    const { client } = await RawClient.login(t, "alice", "pw-alice");
    const info = await ask(
      client,
      "d1",
      "<iq type='get' id='d1' to='localhost'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>",
    );
    const q = info.getChild("query", "http://jabber.org/protocol/disco#info")!;
    assert.ok(!q.getChildren("feature").some((f) => f.attr("var") === NS));
    assert.equal(q.getChild("x", "jabber:x:data"), undefined);
    const r = await requestSlot(client, { filename: "a.txt", size: "3" });
    assert.equal(condition(r), "service-unavailable");
    const http = await fetchFile(t.ca, `https://localhost:${t.tlsPort}/upload/x/y/z`);
    assert.equal(http.status, 404);
    client.close();
  });
});
