// XEP-0191 with real clients: Profanity blocks with /blocked, slixmpp blocks through xep_0191;
// the blocked party's messages are refused like those to an account that does not exist.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { agentPool, type ResultEvent } from "../support/agents.js";
import { type Hato, startHato } from "../support/hato.js";
import { Profanity } from "../support/profanity.js";

interface BlocklistResult extends ResultEvent {
  jids: string[];
}

describe("blocking with third-party clients", () => {
  let hato: Hato;
  const pool = agentPool();
  const agent = pool.start;
  const profanities: Profanity[] = [];

  before(async () => {
    hato = await startHato({
      users: { alice: "alice-secret", bob: "bob-secret", carol: "carol-secret" },
    });
  });
  after(async () => {
    await Promise.all(profanities.map((p) => p.stop()));
    await pool.stopAll();
    await hato?.stop();
  });

  it("Profanity blocks slixmpp: the message bounces as for a missing account, and never shows", async () => {
    const alice = await Profanity.start(hato, { user: "alice", password: "alice-secret" });
    profanities.push(alice);
    await alice.online();
    const bob = agent("slixmpp", hato, {
      user: "bob",
      password: "bob-secret",
      tls: "starttls",
      channelBinding: "tls-server-end-point",
    });
    await bob.online();

    // Profanity shows a conversation in its own window: open Bob's (window 2) as a user would.
    await alice.type("/msg bob@localhost");
    bob.send(alice.jid, "before the block");
    await alice.waitFor("before the block");

    // Command answers go to the console (window 1).
    await alice.type("/win 1");
    await alice.type("/blocked add bob@localhost");
    await alice.waitFor("User bob@localhost successfully blocked.");
    await alice.type("/blocked");
    await alice.waitFor(/Blocked users:[\s\S]*bob@localhost/);

    // What a message to an account that does not exist gets:
    bob.send("nobody@localhost", "to nobody", "ghost-1");
    const ghost = await bob.message((m) => m.type === "error" && m.id === "ghost-1");
    bob.send(alice.jid, "after the block", "blocked-1");
    const bounce = await bob.message((m) => m.type === "error" && m.id === "blocked-1");
    assert.equal(bounce.error, ghost.error, "the same error as for a missing account");
    assert.equal(bounce.error, "service-unavailable");

    // Carol writes after Bob's attempt; once her message is on screen, Bob's would have been too.
    const carol = agent("slixmpp", hato, {
      user: "carol",
      password: "carol-secret",
      tls: "direct",
      channelBinding: "tls-server-end-point",
    });
    await carol.online();
    await alice.type("/msg carol@localhost");
    carol.send(alice.jid, "from carol, after bob's attempt");
    await alice.waitFor("from carol, after bob's attempt");
    await alice.type("/win 2");
    const bobWindow = await alice.waitFor("before the block");
    assert.ok(
      !bobWindow.includes("after the block"),
      `Profanity never shows the blocked message:\n${bobWindow}`,
    );

    await alice.type("/win 1");
    await alice.type("/blocked remove bob@localhost");
    await alice.waitFor("User bob@localhost successfully unblocked.");
    await alice.type("/win 2");
    bob.send(alice.jid, "unblocked again");
    await alice.waitFor("unblocked again");
  });

  it("slixmpp blocks aioxmpp through XEP-0191; the blocklist is the same for aioxmpp on the account", async () => {
    const bob = agent("slixmpp", hato, {
      user: "bob",
      password: "bob-secret",
      tls: "starttls",
      channelBinding: "tls-server-end-point",
    });
    const carol = agent("aioxmpp", hato, {
      user: "carol",
      password: "carol-secret",
      tls: "starttls",
    });
    const [bobOnline] = await Promise.all([bob.online(), carol.online()]);
    await bob.cmd("block", { jids: ["carol@localhost"] });
    const list = await bob.cmd<BlocklistResult>("blocklist");
    assert.deepEqual(list.jids, ["carol@localhost"]);

    const bob2 = agent("aioxmpp", hato, { user: "bob", password: "bob-secret", tls: "starttls" });
    await bob2.online();
    const list2 = await bob2.cmd<BlocklistResult>("blocklist");
    assert.deepEqual(list2.jids, ["carol@localhost"], "aioxmpp reads the same list");

    // Carol's message is refused; Bob's own messages to Carol are refused too (XEP-0191 §3.4).
    carol.send(bobOnline.jid, "hello bob?", "in-1");
    bob.send("carol@localhost", "outgoing to a blocked contact", "out-1");
    const outBounce = await bob.message((m) => m.type === "error" && m.id === "out-1");
    assert.equal(outBounce.error, "not-acceptable");
    carol.send("bob@localhost", "second try", "in-2");
    // Carol gets what a missing account gives (XEP-0191: the blocked party cannot tell).
    for (const id of ["in-1", "in-2"]) {
      const refused = await carol.message((m) => m.type === "error" && m.id === id);
      assert.equal(refused.error, "service-unavailable");
    }

    await bob.cmd("unblock", { jids: ["carol@localhost"] });
    carol.send(bobOnline.jid, "after unblock");
    const got = await bob.message((m) => m.type !== "error");
    assert.equal(got.body, "after unblock", "nothing from Carol arrived while blocked");
  });
});
