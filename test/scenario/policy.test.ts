// The organisation's policy, enforced (docs/policy.md): required end-to-end encryption,
// client-version queries, max sessions and the file rules, each with the allowed and the
// refused case, the XMPP condition and text, and the `policy-denied` event for the audit log.

import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, beforeEach, describe, it } from "node:test";
import { parseJid } from "@hato/jid";
import { createUpload } from "@hato/modules";
import { NS_BIND, NS_VERSION, xml } from "@hato/xml";
import { RawClient, startServer, type TestServer } from "../support/inproc.js";
import { ask, condition, errorText, pause } from "../support/stanzas.js";
import { TestScanner } from "../support/upload.js";

const NS_UPLOAD = "urn:xmpp:http:upload:0";
const ENCRYPTION_TEXT = "your organisation requires end-to-end encryption for 1:1 messages";

describe("policy enforcement", () => {
  let t: TestServer;
  let data: string;
  let alice: RawClient;
  let bob: RawClient;
  let bobJid: string;
  const denied: { user: string; rule: string; text: string }[] = [];
  const apply = (text: string) => {
    const r = t.server.policy.applyText(text);
    assert.ok(r.ok, r.ok ? "" : r.errors.join("\n"));
  };
  before(async () => {
    data = await mkdtemp(join(tmpdir(), "hato-policy-"));
    const watcher = {
      name: "deny-watcher",
      load(api: Parameters<ReturnType<typeof createUpload>["load"]>[0]) {
        api.hook("policy-denied", (d) => void denied.push(d), -10);
      },
    };
    t = await startServer({ data, "upload.max-file-bytes": "100000" }, undefined, [
      createUpload({ scanner: new TestScanner(() => ({ status: "clean", engine: "test" })) }),
      watcher,
    ]);
    for (const u of ["alice", "bob", "carol"]) await t.addUser(u, `pw-${u}`);
    alice = (await RawClient.login(t, "alice", "pw-alice", "desk")).client;
    const b = await RawClient.login(t, "bob", "pw-bob", "phone");
    bob = b.client;
    bobJid = b.jid;
  });
  after(async () => {
    alice.close();
    bob.close();
    await t.stop();
    await rm(data, { recursive: true, force: true });
  });
  beforeEach(() => {
    denied.length = 0;
    apply("{}");
  });

  describe("encryption: required", () => {
    it("a plaintext 1:1 message is refused with policy-violation and the text; the audit hears it", async () => {
      apply("encryption: required\n");
      const r = await ask(
        alice,
        "m1",
        "<message id='m1' type='chat' to='bob@localhost'><body>secret plans</body></message>",
      );
      assert.equal(r.attr("type"), "error");
      assert.equal(condition(r), "policy-violation");
      assert.equal(errorText(r), ENCRYPTION_TEXT);
      await pause();
      assert.ok(!bob.received.some((e) => e.getChildText("body") === "secret plans"));
      assert.deepEqual(denied, [{ user: "alice", rule: "encryption", text: ENCRYPTION_TEXT }]);
      // The audit log records the denial (never the body).
      const entries = await t.storage.audit.list({ limit: 10_000 });
      const entry = entries.findLast((e) => e.kind === "policy-denied");
      assert.equal(entry?.actor, "alice");
      assert.deepEqual(JSON.parse(entry?.details ?? "null"), {
        rule: "encryption",
        text: ENCRYPTION_TEXT,
      });
      assert.ok(!JSON.stringify(entries).includes("secret plans"));
    });

    it("type normal (or no type) is a 1:1 message too", async () => {
      apply("encryption: required\n");
      const r = await ask(
        alice,
        "m2",
        "<message id='m2' to='bob@localhost'><body>hi</body></message>",
      );
      assert.equal(condition(r), "policy-violation");
    });

    it("OMEMO (legacy and omemo:2) with a fallback body passes", async () => {
      apply("encryption: required\n");
      for (const ns of ["eu.siacs.conversations.axolotl", "urn:xmpp:omemo:2"]) {
        alice.send(
          `<message id='e-${ns}' type='chat' to='bob@localhost'><encrypted xmlns='${ns}'><header sid='1'/><payload>AAAA</payload></encrypted><body>I sent you an OMEMO encrypted message</body></message>`,
        );
        const m = await bob.expect((e) => e.attr("id") === `e-${ns}`);
        assert.ok(m.getChild("encrypted", ns));
      }
      assert.deepEqual(denied, []);
    });

    it("messages without a body (chat states) and from the server itself are exempt", async () => {
      apply("encryption: required\n");
      alice.send(
        "<message id='cs' type='chat' to='bob@localhost'><composing xmlns='http://jabber.org/protocol/chatstates'/></message>",
      );
      await bob.expect((e) => e.attr("id") === "cs");
      const server = parseJid("localhost");
      const to = parseJid("bob@localhost");
      assert.ok(server.ok && to.ok);
      t.server.router.route(
        xml(
          "message",
          { id: "ann", type: "normal", to: "bob@localhost", from: "localhost" },
          xml("body", {}, "maintenance tonight"),
        ),
        server.jid,
        to.jid,
        undefined,
      );
      await bob.expect((e) => e.attr("id") === "ann");
      assert.deepEqual(denied, []);
    });

    it("the recipient's group rule applies as well as the sender's", async () => {
      apply("groups:\n  legal: [bob]\noverrides:\n  legal: { encryption: required }\n");
      const r = await ask(
        alice,
        "m3",
        "<message id='m3' type='chat' to='bob@localhost'><body>hi</body></message>",
      );
      assert.equal(condition(r), "policy-violation");
      bob.send("<message id='m4' type='chat' to='carol@localhost'><body>hi</body></message>");
      const back = await bob.expect((e) => e.attr("id") === "m4");
      assert.equal(condition(back), "policy-violation");
    });

    it("optional: plaintext is delivered", async () => {
      alice.send("<message id='p1' type='chat' to='bob@localhost'><body>lunch?</body></message>");
      await bob.expect((e) => e.attr("id") === "p1");
    });
  });

  describe("version-queries", () => {
    it("false: another user's version query to the client gets forbidden with a text", async () => {
      apply("version-queries: false\n");
      const r = await ask(
        alice,
        "v1",
        `<iq type='get' id='v1' to='${bobJid}'><query xmlns='${NS_VERSION}'/></iq>`,
      );
      assert.equal(condition(r), "forbidden");
      assert.match(errorText(r), /does not let others ask which client/);
      await pause();
      assert.ok(!bob.received.some((e) => e.attr("id") === "v1"));
      assert.equal(denied[0]?.rule, "version-queries");
    });

    it("true (the default): the query reaches the client (of a user who shares presence)", async () => {
      bob.send("<presence to='alice@localhost/desk'/>");
      await alice.expect((e) => e.name === "presence" && e.attr("from") === bobJid);
      alice.send(`<iq type='get' id='v2' to='${bobJid}'><query xmlns='${NS_VERSION}'/></iq>`);
      await bob.expect((e) => e.attr("id") === "v2");
    });

    it("false still lets the user's own other sessions ask", async () => {
      apply("version-queries: false\n");
      const other = await RawClient.login(t, "bob", "pw-bob", "laptop");
      other.client.send(
        `<iq type='get' id='v3' to='${bobJid}'><query xmlns='${NS_VERSION}'/></iq>`,
      );
      await bob.expect((e) => e.attr("id") === "v3");
      other.client.close();
    });
  });

  describe("max-sessions", () => {
    it("a session past the organisation's limit gets resource-constraint at bind", async () => {
      apply("max-sessions: 2\n");
      const one = await RawClient.login(t, "carol", "pw-carol", "a");
      const two = await RawClient.login(t, "carol", "pw-carol", "b");
      const c = await RawClient.connect(t.c2sPort);
      await c.starttls(t.ca);
      await c.authenticate("carol", "pw-carol");
      c.open();
      await c.expectName("features");
      c.send(`<iq type='set' id='b'><bind xmlns='${NS_BIND}'><resource>c</resource></bind></iq>`);
      const res = await c.expect((e) => e.attr("id") === "b");
      assert.equal(condition(res), "resource-constraint");
      assert.match(errorText(res), /your organisation allows at most 2 sessions at once/);
      assert.deepEqual(
        denied.map((d) => [d.user, d.rule]),
        [["carol", "max-sessions"]],
      );
      // Taking over a resource in use is not a new session.
      const again = await RawClient.login(t, "carol", "pw-carol", "a");
      assert.equal(again.jid, "carol@localhost/a");
      for (const s of [one.client, two.client, again.client, c]) s.close();
    });
  });

  describe("files", () => {
    const slot = (c: RawClient, id: string, size: number, type: string) =>
      ask(
        c,
        id,
        `<iq type='get' id='${id}' to='localhost'><request xmlns='${NS_UPLOAD}' filename='f.bin' size='${size}' content-type='${type}'/></iq>`,
      );

    it("enabled: false refuses every slot with not-allowed", async () => {
      apply("files: { enabled: false }\n");
      const r = await slot(alice, "f1", 10, "text/plain");
      assert.equal(condition(r), "not-allowed");
      assert.equal(errorText(r), "your organisation does not allow sharing files");
      assert.deepEqual(
        denied.map((d) => d.rule),
        ["files"],
      );
    });

    it("max-bytes refuses larger files with file-too-large; a group override raises it", async () => {
      apply(
        "groups:\n  media: [bob]\nfiles: { max-bytes: 1000 }\noverrides:\n  media: { files: { max-bytes: 50000 } }\n",
      );
      const r = await slot(alice, "f2", 2000, "text/plain");
      assert.equal(condition(r), "not-acceptable");
      assert.match(errorText(r), /your organisation allows files of at most 1000 bytes/);
      assert.equal(
        r.getChild("error")?.getChild("file-too-large", NS_UPLOAD)?.getChildText("max-file-size"),
        "1000",
      );
      const ok = await slot(bob, "f3", 2000, "text/plain");
      assert.equal(ok.attr("type"), "result");
    });

    it("blocked and allowed types", async () => {
      apply("files: { allowed-types: [image/*], blocked-types: [image/svg+xml] }\n");
      assert.equal((await slot(alice, "f4", 10, "image/png")).attr("type"), "result");
      const svg = await slot(alice, "f5", 10, "image/svg+xml");
      assert.equal(condition(svg), "not-acceptable");
      assert.match(errorText(svg), /does not allow sharing files of type image\/svg\+xml/);
      assert.equal(condition(await slot(alice, "f6", 10, "application/pdf")), "not-acceptable");
    });
  });

  describe("reload", () => {
    it("a reload fires policy-reloaded with the documents before and after, for the audit", async () => {
      apply("encryption: required\n");
      const seen: { how: string; ok: boolean; before: unknown; after: unknown }[] = [];
      const off = t.server.bus.on("policy-reloaded", (e) => void seen.push(e), -10, "test");
      // This in-process server has no config file: a reload brings back the empty policy.
      assert.equal(t.server.reloadPolicy().ok, true);
      assert.deepEqual(seen, [
        { how: "command", ok: true, before: { encryption: "required" }, after: {}, errors: [] },
      ]);
      off();
      // The audit log records the change as a diff.
      await pause();
      const entries = await t.storage.audit.list({ limit: 10_000 });
      const entry = entries.findLast((e) => e.kind === "policy-changed");
      assert.deepEqual(JSON.parse(entry?.details ?? "null"), {
        how: "command",
        changes: [{ path: "encryption", before: "required" }],
      });
    });

    it("an invalid policy is rejected whole; the old one keeps being enforced", async () => {
      apply("encryption: required\n");
      const r = t.server.policy.applyText("encryption: optional\ncalls: maybe\n");
      assert.equal(r.ok, false);
      const m = await ask(
        alice,
        "r1",
        "<message id='r1' type='chat' to='bob@localhost'><body>x</body></message>",
      );
      assert.equal(condition(m), "policy-violation");
    });
  });
});

describe("policy enforcement: registration", () => {
  let t: TestServer;
  const denied: { user: string; rule: string }[] = [];
  before(async () => {
    const watcher = {
      name: "deny-watcher",
      load(api: Parameters<ReturnType<typeof createUpload>["load"]>[0]) {
        api.hook("policy-denied", (d) => void denied.push(d), -10);
      },
    };
    t = await startServer({ "register.enabled": "true" }, undefined, [watcher]);
  });
  after(() => t.stop());

  const register = async (id: string, user: string) => {
    const c = await RawClient.connect(t.c2sPort);
    await c.starttls(t.ca);
    c.open();
    await c.expectName("features");
    const r = await ask(
      c,
      id,
      `<iq type='set' id='${id}'><query xmlns='jabber:iq:register'><username>${user}</username><password>a-long-password</password></query></iq>`,
    );
    c.close();
    return r;
  };

  it("off (or invite, until invites exist) refuses in-band registration with not-allowed", async () => {
    const r0 = t.server.policy.applyText("registration: off\n");
    assert.ok(r0.ok);
    const r = await register("g1", "mallory");
    assert.equal(condition(r), "not-allowed");
    assert.match(errorText(r), /does not allow creating accounts here/);
    assert.deepEqual(denied, [{ user: "mallory", rule: "registration", text: errorText(r) }]);
    assert.ok(t.server.policy.applyText("registration: invite\n").ok);
    assert.match(errorText(await register("g2", "mallory")), /by invitation only/);
  });

  it("open (or absent) leaves register.enabled in charge", async () => {
    assert.ok(t.server.policy.applyText("registration: open\n").ok);
    assert.equal((await register("g3", "newbie")).attr("type"), "result");
  });
});
