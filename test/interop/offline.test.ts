// XEP-0160 offline messages across a server restart: stored in SQLite, delivered with XEP-0203 <delay/>.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { agentPool } from "../support/agents.js";
import { type Hato, startHato } from "../support/hato.js";

describe("offline messages across a restart", () => {
  let hato: Hato;
  const pool = agentPool();
  const agent = pool.start;

  before(async () => {
    hato = await startHato({ users: { alice: "alice-secret", bob: "bob-secret" } });
  });
  after(async () => {
    await pool.stopAll();
    await hato?.stop();
  });

  it("keeps messages for an offline user through SIGTERM and delivers them at next login", async (t) => {
    const sentAfter = Date.now() - 1000;
    // Two senders, two clients: xmpp.js over STARTTLS, slixmpp over direct TLS.
    const bob = agent("xmppjs", hato, { user: "bob", password: "bob-secret", tls: "starttls" });
    await bob.online();
    bob.send("alice@localhost", "first, while you were away");
    await bob.next("sent");
    await bob.stop();
    const bob2 = agent("slixmpp", hato, {
      user: "bob",
      password: "bob-secret",
      tls: "direct",
      channelBinding: "tls-server-end-point",
    });
    await bob2.online();
    bob2.send("alice@localhost", "second, still away");
    await bob2.next("sent");
    await bob2.stop();

    await hato.restart(); // asserts a clean exit 0 on SIGTERM
    t.diagnostic("server restarted on the same data folder");

    const alice = agent("slixmpp", hato, {
      user: "alice",
      password: "alice-secret",
      tls: "starttls",
      channelBinding: "tls-server-end-point",
    });
    await alice.online();
    const first = await alice.message();
    const second = await alice.message();
    t.diagnostic(`delivered offline: ${first.xml}`);
    assert.deepEqual(
      [first.body, second.body],
      ["first, while you were away", "second, still away"],
      "in the order sent",
    );
    for (const m of [first, second]) {
      assert.match(m.from, /^bob@localhost\/.+/);
      assert.ok(m.delay, `offline message has a <delay/>: ${m.xml}`);
      assert.equal(m.delay.from, "localhost");
      const stamp = Date.parse(m.delay.stamp ?? "");
      assert.ok(Number.isFinite(stamp), `stamp is an XEP-0082 date-time: ${m.delay.stamp}`);
      assert.match(m.delay.stamp ?? "", /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
      assert.ok(
        stamp >= sentAfter && stamp <= Date.now(),
        `stamp ${m.delay.stamp} is when it was sent`,
      );
    }
    await alice.stop();
  });

  it("delivers them only once", async () => {
    const alice = agent("xmppjs", hato, { user: "alice", password: "alice-secret", tls: "direct" });
    const aliceOnline = await alice.online();
    const bob = agent("xmppjs", hato, { user: "bob", password: "bob-secret", tls: "direct" });
    await bob.online();
    bob.send(aliceOnline.jid, "live marker");
    const m = await alice.message();
    assert.equal(
      m.body,
      "live marker",
      `the first message after login is the live one, not a stored one again: ${m.xml}`,
    );
    assert.equal(m.delay, null);
  });
});
