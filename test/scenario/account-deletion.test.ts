// Deleting an account (docs/accounts.md): its archive, offline messages, PEP, private data and
// files go, the text leaves the database file, its items leave other rosters with a push
// (RFC 6121 §2.5), the audit log has the counts, and its name stays reserved until released.

import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { Accounts } from "@hato/core";
import { openSqliteStorage } from "@hato/storage";
import { NS_ROSTER } from "@hato/xml";
import { mutualContacts, RawClient, startServer, type TestServer } from "../support/inproc.js";
import { ask, condition, errorText } from "../support/stanzas.js";

const NS_REGISTER = "jabber:iq:register";

function inDatabase(db: string, marker: string): boolean {
  const needle = Buffer.from(marker);
  return [db, `${db}-wal`].some((f) => existsSync(f) && readFileSync(f).includes(needle));
}

describe("account deletion", () => {
  let t: TestServer;
  let data: string;
  let db: string;
  before(async () => {
    data = await mkdtemp(join(tmpdir(), "hato-delete-"));
    db = join(data, "hato.db");
    t = await startServer({ data, "register.enabled": "true" }, openSqliteStorage(db));
    for (const u of ["alice", "bob", "carol"]) await t.addUser(u, `pw-${u}`);
  });
  after(async () => {
    await t.stop();
    await t.storage.close();
    await rm(data, { recursive: true, force: true });
  });

  it("purges everything bob owns, removes him from others' rosters with a push, and reserves his name", async () => {
    const marker = `bob-secret-${randomBytes(6).toString("hex")}`;
    const s = t.storage;
    await mutualContacts(t, "alice", "bob");
    await s.roster.set("carol", "bob@localhost", {
      jid: "bob@localhost",
      subscription: "none",
      groups: [],
    });
    await s.archive.append("bob", {
      id: "a1",
      stamp: new Date(),
      with: "dave@example.org",
      stanza: `<message><body>${marker} archived</body></message>`,
    });
    await s.offline.push(
      "bob",
      {
        stanza: `<message><body>${marker} offline</body></message>`,
        stamp: new Date(),
        from: "x@y",
      },
      { maxPerUser: 10, maxBytesPerUser: 1e6 },
    );
    await s.kv.set("private", "bob", "storage:notes", `<notes>${marker} private</notes>`);
    await s.pubsub.putNode("bob", { name: "urn:xmpp:bookmarks:1", config: {} });
    await s.pubsub.publish(
      "bob",
      "urn:xmpp:bookmarks:1",
      { id: "r1", payload: `<x>${marker} pep</x>`, publisher: "bob@localhost", stamp: new Date() },
      10,
    );
    await s.files.reserve(
      {
        id: "bobsfile0000000001",
        owner: "bob",
        name: `${marker}.txt`,
        size: 4,
        type: "",
        secretHash: "0".repeat(64),
        state: "reserved",
        created: new Date(),
        slotExpires: new Date(Date.now() + 60_000),
      },
      { userBytes: 1e9, totalBytes: 1e9 },
    );
    const blob = join(data, "uploads", "files", "bobsfile0000000001");
    await mkdir(join(data, "uploads", "files"), { recursive: true });
    await writeFile(blob, marker);
    await s.compact();
    assert.ok(inDatabase(db, marker));

    // alice and carol are online and have fetched their rosters (so they get pushes).
    const alice = (await RawClient.login(t, "alice", "pw-alice", "desk")).client;
    const carol = (await RawClient.login(t, "carol", "pw-carol", "desk")).client;
    for (const c of [alice, carol])
      await ask(c, "r", `<iq type='get' id='r'><query xmlns='${NS_ROSTER}'/></iq>`);

    const accounts = new Accounts(s, "localhost", 4096, t.server.bus, data);
    const { purged } = await accounts.del("bob");
    assert.deepEqual(purged, {
      archive: 1,
      offline: 1,
      roster: 1,
      pep: 1,
      files: 1,
      inOtherRosters: 2,
    });

    // RFC 6121 §2.5: each holder's session gets a push removing bob; alice, who saw his
    // presence, gets his unavailable presence too.
    for (const c of [alice, carol]) {
      const push = await c.expect(
        (e) =>
          e.name === "iq" &&
          e.attr("type") === "set" &&
          e.getChild("query", NS_ROSTER)?.getChild("item")?.attr("subscription") === "remove",
        "roster push",
      );
      assert.equal(
        push.getChild("query", NS_ROSTER)!.getChild("item")!.attr("jid"),
        "bob@localhost",
      );
    }
    await alice.expect(
      (e) =>
        e.name === "presence" &&
        e.attr("from") === "bob@localhost" &&
        e.attr("type") === "unavailable",
      "unavailable presence",
    );
    assert.equal(await s.roster.item("alice", "bob@localhost"), undefined);
    assert.equal(await s.roster.item("carol", "bob@localhost"), undefined);
    assert.ok(!existsSync(blob));
    assert.deepEqual(await s.files.list("bob"), []);
    assert.ok(!inDatabase(db, marker), "nothing of bob's is left in the database files");

    // The audit entry has the counts.
    const entries = await s.audit.list({ limit: 10_000 });
    const entry = entries.findLast((e) => e.kind === "user-deleted");
    assert.equal(entry?.subject, "bob");
    assert.deepEqual(JSON.parse(entry!.details), { purged });

    // The name is reserved: in-band registration and `user add` are refused with the reason.
    const c = await RawClient.connect(t.c2sPort);
    await c.starttls(t.ca);
    c.open();
    await c.expectName("features");
    const reg = await ask(
      c,
      "g1",
      `<iq type='set' id='g1'><query xmlns='${NS_REGISTER}'><username>bob</username><password>a-long-password</password></query></iq>`,
    );
    assert.equal(condition(reg), "conflict");
    assert.match(errorText(reg), /belonged to an account that was deleted and stays reserved/);
    c.close();
    await assert.rejects(accounts.add("bob", "pw"), { code: "HATO_ERR_USER_RESERVED" });
    assert.deepEqual(await accounts.reserved(), ["bob@localhost"]);
    assert.equal(await accounts.release("bob"), "bob");
    assert.equal(await accounts.add("bob", "pw-new"), "bob");
    for (const x of [alice, carol]) x.close();
  });
});
