// XEP-0160 transcripts: messages to offline accounts are stored and delivered at next login.

import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { openSqliteStorage } from "@hato/storage";
import { NS_DELAY, NS_STANZAS_ERR } from "@hato/xml";
import { RawClient, startServer } from "../support/inproc.js";

describe("XEP-0160 offline messages", () => {
  it("alice writes to offline bob; after a server restart bob logs in and gets it with a delay stamp", async () => {
    const dir = await mkdtemp(join(tmpdir(), "hato-offline-"));
    try {
      let t = await startServer({}, openSqliteStorage(join(dir, "hato.db")));
      await t.addUser("alice", "pw-a");
      await t.addUser("bob", "pw-b");
      const a = await RawClient.login(t, "alice", "pw-a", "desk");
      a.client.send(
        "<message to='bob@localhost' type='chat' id='o1'><body>while you were out</body></message>",
      );
      a.client.send(
        "<message to='bob@localhost' type='chat' id='o2'><composing xmlns='http://jabber.org/protocol/chatstates'/></message>",
      );
      a.client.send(
        "<message to='bob@localhost' type='chat' id='o3'><body>second</body></message>",
      );
      await new Promise((r) => setTimeout(r, 200));
      a.client.close();
      await t.stop();
      await t.storage.close();

      t = await startServer({}, openSqliteStorage(join(dir, "hato.db")));
      // Bound but not yet available: nothing is delivered before initial presence.
      const b = await RawClient.login(t, "bob", "pw-b", "phone", false);
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(b.client.received.filter((e) => e.name === "message").length, 0);
      b.client.send("<presence/>");
      const m1 = await b.client.expect((e) => e.attr("id") === "o1");
      const m3 = await b.client.expect((e) => e.attr("id") === "o3");
      assert.equal(m1.attr("from"), "alice@localhost/desk");
      assert.equal(m1.getChildText("body"), "while you were out");
      const delay = m1.getChild("delay", NS_DELAY);
      assert.equal(delay?.attr("from"), "localhost");
      assert.ok(!Number.isNaN(Date.parse(delay?.attr("stamp") ?? "")));
      assert.equal(m3.getChildText("body"), "second");
      assert.ok(
        !b.client.received.some((e) => e.attr("id") === "o2"),
        "chat states are not stored",
      );
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(await t.storage.offline.count("bob"), 0, "delivered messages leave storage");
      b.client.close();
      await t.stop();
      await t.storage.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("a full storage and an unknown account both get service-unavailable", async () => {
    const t = await startServer({ "offline.max-messages": "1" });
    try {
      await t.addUser("alice", "pw-a");
      await t.addUser("bob", "pw-b");
      const a = await RawClient.login(t, "alice", "pw-a");
      a.client.send("<message to='bob@localhost' id='q1'><body>1</body></message>");
      a.client.send("<message to='bob@localhost' id='q2'><body>2</body></message>");
      const bounced = await a.client.expect((e) => e.attr("id") === "q2");
      assert.equal(bounced.attr("type"), "error");
      assert.ok(bounced.getChild("error")?.getChild("service-unavailable", NS_STANZAS_ERR));
      assert.match(bounced.getChild("error")?.getChildText("text", NS_STANZAS_ERR) ?? "", /full/);
      a.client.send("<message to='nobody@localhost' id='q3'><body>?</body></message>");
      const none = await a.client.expect((e) => e.attr("id") === "q3");
      assert.ok(none.getChild("error")?.getChild("service-unavailable", NS_STANZAS_ERR));
      assert.equal(await t.storage.offline.count("bob"), 1);
      a.client.close();
    } finally {
      await t.stop();
    }
  });

  it("a session that raises its priority from negative to non-negative gets the stored messages then", async () => {
    const t = await startServer();
    try {
      await t.addUser("alice", "pw-a");
      await t.addUser("bob", "pw-b");
      const a = await RawClient.login(t, "alice", "pw-a");
      a.client.send("<message to='bob@localhost' type='chat' id='n1'><body>later</body></message>");
      await new Promise((r) => setTimeout(r, 100));
      const b = await RawClient.login(t, "bob", "pw-b", "r", false);
      b.client.send("<presence><priority>-1</priority></presence>");
      await new Promise((r) => setTimeout(r, 200));
      assert.ok(
        !b.client.received.some((e) => e.attr("id") === "n1"),
        "not while the priority is negative",
      );
      b.client.send("<presence><priority>0</priority></presence>");
      const m = await b.client.expect((e) => e.attr("id") === "n1");
      assert.equal(m.getChildText("body"), "later");
      a.client.close();
      b.client.close();
    } finally {
      await t.stop();
    }
  });
});
