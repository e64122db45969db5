// Accounts made and removed while the server runs (`hato user add|del` through the admin
// socket): modules hear of it (user-created, user-deleted) and forget what they kept about the
// name, so a re-created account starts clean; live sessions of a deleted account end quietly.

import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { adminRequest, serveAdminSocket } from "@hato/core";
import { NS_STANZAS_ERR } from "@hato/xml";
import { RawClient, startServer } from "../support/inproc.js";

const NS_BLOCKING = "urn:xmpp:blocking";

describe("accounts through the admin socket of a running server", () => {
  it("bob is deleted while online and created again: modules are told, his sessions end, and the new bob does not inherit the old one's block list", async () => {
    const t = await startServer();
    const dir = mkdtempSync(join(tmpdir(), "hato-accounts-"));
    const path = join(dir, "admin.sock");
    const admin = await serveAdminSocket(t.server, path);
    const events: string[] = [];
    for (const ev of ["user-created", "user-deleted"] as const) {
      t.server.bus.on(ev, ({ username }) => void events.push(`${ev} ${username}`), 0, "test");
    }
    try {
      await t.addUser("alice", "pw-a");
      await t.addUser("carol", "pw-c");
      const add = await adminRequest(path, { op: "user.add", address: "bob", password: "pw-b" });
      assert.deepEqual(add, { ok: true, result: "bob" });
      assert.deepEqual(events, ["user-created bob"]);

      const alice = (await RawClient.login(t, "alice", "pw-a", "desk")).client;
      const carol = (await RawClient.login(t, "carol", "pw-c", "desk")).client;
      const bob = (await RawClient.login(t, "bob", "pw-b", "phone")).client;
      bob.send(
        `<iq type='set' id='b1'><block xmlns='${NS_BLOCKING}'><item jid='alice@localhost'/></block></iq>`,
      );
      assert.equal((await bob.expect((e) => e.attr("id") === "b1")).attr("type"), "result");
      alice.send("<message to='bob@localhost' type='chat' id='a1'><body>hi</body></message>");
      const refused = await alice.expect((e) => e.attr("id") === "a1", "a1 refused");
      assert.equal(refused.attr("type"), "error", "the old bob blocks alice");

      // Bob's phone holds a message from carol it never acknowledges when the account goes.
      await bob.enableSm();
      carol.send("<message to='bob@localhost' type='chat' id='c1'><body>still?</body></message>");
      await bob.expect((e) => e.attr("id") === "c1", "c1");
      const del = await adminRequest(path, { op: "user.del", address: "bob@localhost" });
      assert.deepEqual(del, {
        ok: true,
        result: {
          purged: {
            archive: 1,
            offline: 0,
            roster: 0,
            pep: 0,
            files: 0,
            inOtherRosters: 0,
          },
          closed: 1,
        },
      });
      assert.deepEqual(events, ["user-created bob", "user-deleted bob"]);
      const err = await bob.expect((e) => e.name === "error", "stream error");
      assert.ok(err.getChild("not-authorized", "urn:ietf:params:xml:ns:xmpp-streams"));
      // The unacknowledged message is routed again, finds no account, and goes back to carol.
      const back = await carol.expect((e) => e.attr("id") === "c1", "c1 bounced");
      assert.equal(back.attr("type"), "error");
      assert.ok(back.getChild("error")?.getChild("service-unavailable", NS_STANZAS_ERR));
      assert.equal(t.server.sessions.get("bob", "phone"), undefined);

      // The name stays reserved until an admin releases it.
      const taken = await adminRequest(path, { op: "user.add", address: "bob", password: "x" });
      assert.equal(taken?.ok === false && taken.code, "HATO_ERR_USER_RESERVED");
      assert.match(taken?.ok === false ? taken.error : "", /hato user release bob/);
      const released = await adminRequest(path, { op: "user.release", address: "bob" });
      assert.deepEqual(released, { ok: true, result: "bob" });
      const again = await adminRequest(path, {
        op: "user.add",
        address: "bob",
        password: "pw-b2",
      });
      assert.deepEqual(again, { ok: true, result: "bob" });
      assert.deepEqual(events, ["user-created bob", "user-deleted bob", "user-created bob"]);
      const bob2 = (await RawClient.login(t, "bob", "pw-b2", "phone")).client;
      bob2.send(`<iq type='get' id='bl'><blocklist xmlns='${NS_BLOCKING}'/></iq>`);
      const list = await bob2.expect((e) => e.attr("id") === "bl", "block list");
      assert.equal(list.getChild("blocklist", NS_BLOCKING)?.elements().length, 0);
      alice.send("<message to='bob@localhost' type='chat' id='a2'><body>hello</body></message>");
      const got = await bob2.expect((e) => e.attr("id") === "a2", "a2 reaches the new bob");
      assert.equal(got.getChildText("body"), "hello");
      assert.ok(!alice.received.some((e) => e.attr("id") === "a2"), "no error for alice");

      // The server carries on.
      bob2.send("<iq type='get' id='p' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>");
      assert.equal((await bob2.expect((e) => e.attr("id") === "p")).attr("type"), "result");
      for (const c of [alice, carol, bob2]) c.close();
    } finally {
      admin.close();
      rmSync(dir, { recursive: true, force: true });
      await t.stop();
    }
  });
});
