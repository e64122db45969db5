// files.scanning-required (docs/policy.md): no slot when no scanner can give a verdict, never
// an unscanned file kept even with scan.when-down: accept, and no direct file transfer even
// with files.peer-to-peer on; each refusal recorded. Users without the rule: as before.

import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, beforeEach, describe, it } from "node:test";
import { createUpload } from "@hato/modules";
import { mutualContacts, RawClient, startServer, type TestServer } from "../support/inproc.js";
import { ask, condition, errorText, pause } from "../support/stanzas.js";
import { put, TestScanner, type TestVerdict } from "../support/upload.js";

const NS_UPLOAD = "urn:xmpp:http:upload:0";
const SLOT_TEXT =
  "Your organisation requires every file to be scanned, and the virus scanner is not available now, so no file can be uploaded; try again later.";
const P2P_TEXT =
  "your organisation requires every file to be scanned, so direct file transfer is refused: send the file as an upload";
const P2P_RECIPIENT_TEXT =
  "the recipient's organisation requires every file to be scanned, so direct file transfer is refused: send the file as an upload";
const fileOffer = (to: string) =>
  `<iq type='set' id='ft1' to='${to}'><jingle xmlns='urn:xmpp:jingle:1' action='session-initiate' sid='s1'><content creator='initiator' name='a-file'><description xmlns='urn:xmpp:jingle:apps:file-transfer:5'><file><name>report.pdf</name><size>1024</size></file></description><transport xmlns='urn:xmpp:jingle:transports:ibb:1' block-size='4096' sid='t2'/></content></jingle></iq>`;

describe("policy files.scanning-required", () => {
  let t: TestServer;
  let data: string;
  let verdict: TestVerdict = { status: "clean", engine: "test" };
  const scanner = new TestScanner(() => verdict);
  let alice: RawClient;
  let bob: RawClient;
  let bobJid: string;
  let aliceJid: string;

  const slot = (c: RawClient, id: string) =>
    ask(
      c,
      id,
      `<iq type='get' id='${id}' to='localhost'><request xmlns='${NS_UPLOAD}' filename='f.bin' size='3' content-type='text/plain'/></iq>`,
    );
  const denials = async () =>
    (await t.storage.audit.list({ limit: 10_000 }))
      .filter((e) => e.kind === "policy-denied")
      .map((e) => ({ actor: e.actor, ...(JSON.parse(e.details) as object) }));

  before(async () => {
    data = await mkdtemp(join(tmpdir(), "hato-scanreq-"));
    t = await startServer(
      {
        data,
        "upload.max-file-bytes": "100000",
        "scan.when-down": "accept",
        "files.peer-to-peer": "true",
      },
      undefined,
      [createUpload({ scanner })],
    );
    for (const u of ["alice", "bob"]) await t.addUser(u, `pw-${u}`);
    await mutualContacts(t, "alice", "bob"); // IQs to a full JID need that
    const a = await RawClient.login(t, "alice", "pw-alice", "desk");
    alice = a.client;
    aliceJid = a.jid;
    const b = await RawClient.login(t, "bob", "pw-bob", "phone");
    bob = b.client;
    bobJid = b.jid;
    const r = t.server.policy.applyText(
      "groups: { finance: [alice] }\noverrides:\n  finance: { files: { scanning-required: true } }\n",
    );
    assert.ok(r.ok);
  });
  after(async () => {
    alice.close();
    bob.close();
    await t.stop();
    await rm(data, { recursive: true, force: true });
  });
  beforeEach(() => {
    scanner.down = false;
    verdict = { status: "clean", engine: "test" };
  });

  it("with a working scanner, a user who requires scanning gets a slot and a scanned file", async () => {
    const r = await slot(alice, "s1");
    assert.equal(r.attr("type"), "result");
    const url = r.getChild("slot", NS_UPLOAD)!.getChild("put")!.attr("url")!;
    const up = await put(t.ca, url, Buffer.from("abc"), "text/plain");
    assert.equal(up.status, 201);
    assert.equal(up.headers["hato-scan"], "clean");
  });

  it("with the scanner down, the slot is refused with the reason and recorded; others get one", async () => {
    scanner.down = true;
    const r = await slot(alice, "s2");
    assert.equal(r.attr("type"), "error");
    assert.equal(condition(r), "service-unavailable");
    assert.equal(r.getChild("error")!.attr("type"), "wait");
    assert.equal(errorText(r), SLOT_TEXT);
    await pause();
    assert.deepEqual((await denials()).at(-1), { actor: "alice", rule: "files", text: SLOT_TEXT });
    // bob's organisation does not require scanning: scan.when-down: accept applies to him.
    assert.equal((await slot(bob, "s3")).attr("type"), "result");
  });

  it("scan.when-down: accept never keeps an unscanned file of such a user", async () => {
    verdict = "down"; // ready at slot time, down when the bytes arrive
    const mine = await slot(alice, "s4");
    const url = mine.getChild("slot", NS_UPLOAD)!.getChild("put")!.attr("url")!;
    const up = await put(t.ca, url, Buffer.from("abc"), "text/plain");
    assert.equal(up.status, 503);
    assert.deepEqual(await t.storage.files.list("alice").then((l) => l.map((f) => f.state)), [
      "clean",
    ]);
    await pause();
    assert.equal((await denials()).at(-1)?.actor, "alice");
    // bob's file is kept, marked not scanned.
    const his = await slot(bob, "s5");
    const hisUrl = his.getChild("slot", NS_UPLOAD)!.getChild("put")!.attr("url")!;
    const got = await put(t.ca, hisUrl, Buffer.from("abc"), "text/plain");
    assert.equal(got.status, 201);
    assert.equal(got.headers["hato-scan"], "not-scanned");
  });

  it("direct file transfer is refused for a sender or recipient who requires scanning, even with files.peer-to-peer", async () => {
    const r = await ask(alice, "ft1", fileOffer(bobJid));
    assert.equal(condition(r), "policy-violation");
    assert.equal(errorText(r), P2P_TEXT);
    await pause();
    assert.ok(!bob.received.some((e) => e.getChild("jingle", "urn:xmpp:jingle:1")));
    assert.deepEqual((await denials()).at(-1), { actor: "alice", rule: "files", text: P2P_TEXT });

    const back = await ask(bob, "ft1", fileOffer(aliceJid));
    assert.equal(condition(back), "policy-violation");
    assert.equal(errorText(back), P2P_RECIPIENT_TEXT);

    // Without the rule on either side, files.peer-to-peer lets the offer through.
    assert.ok(t.server.policy.applyText("{}").ok);
    bob.send(fileOffer(aliceJid).replace("id='ft1'", "id='ft2'"));
    await alice.expect((e) => e.attr("id") === "ft2" && e.getChild("jingle") !== undefined);
    assert.ok(
      t.server.policy.applyText(
        "groups: { finance: [alice] }\noverrides:\n  finance: { files: { scanning-required: true } }\n",
      ).ok,
    );
  });
});
