// Chat between Profanity (driven in tmux) and slixmpp, and XEP-0280 carbons between two resources
// of one account (slixmpp and aioxmpp), against the real CLI.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { agentPool, type CarbonEvent } from "../support/agents.js";
import { type Hato, startHato } from "../support/hato.js";
import { run } from "../support/process.js";
import { Profanity } from "../support/profanity.js";
import { runPython } from "../support/python.js";

describe("messages between third-party clients", () => {
  let hato: Hato;
  const pool = agentPool();
  const agent = pool.start;
  const profanities: Profanity[] = [];
  const profanity = async (user: string, password: string) => {
    const p = await Profanity.start(hato, { user, password });
    profanities.push(p);
    return p;
  };

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

  it("uses Debian's aioxmpp (seen by /usr/bin/python3), Profanity and tmux", async (t) => {
    const py = await runPython("aioxmpp-agent.py", ["--version"]);
    assert.equal(py.code, 0, py.stderr);
    const v = JSON.parse(py.stdout) as { aioxmpp: string; python: string };
    const prof = await run("profanity", ["--version"]);
    assert.equal(prof.code, 0, prof.stderr);
    const tmux = await run("tmux", ["-V"]);
    assert.equal(tmux.code, 0, tmux.stderr);
    const profVersion = /Profanity, version (\S+)/.exec(prof.stdout)?.[1];
    t.diagnostic(
      `aioxmpp ${v.aioxmpp} on ${v.python}; Profanity ${profVersion}; ${tmux.stdout.trim()}`,
    );
    assert.match(v.aioxmpp, /^0\.\d+/);
    assert.ok(profVersion, prof.stdout);
  });

  it("Profanity and slixmpp chat both ways", async () => {
    const alice = await profanity("alice", "alice-secret");
    await alice.online();
    const bob = agent("slixmpp", hato, {
      user: "bob",
      password: "bob-secret",
      tls: "starttls",
      channelBinding: "tls-server-end-point",
    });
    const bobOnline = await bob.online();

    await alice.type("/msg bob@localhost Hello Bob from Profanity");
    const atBob = await bob.message((m) => m.body === "Hello Bob from Profanity");
    assert.equal(atBob.from, alice.jid, "the server stamps Profanity's full JID");
    assert.equal(atBob.type, "chat");

    bob.send(alice.jid, "Hi Alice, slixmpp here");
    await alice.waitFor("Hi Alice, slixmpp here");
    assert.ok(bobOnline.jid.startsWith("bob@localhost/"));
  });

  it("carbons: a conversation on one resource is copied to the other (slixmpp and aioxmpp as one account)", async () => {
    const phone = agent("slixmpp", hato, {
      user: "carol",
      password: "carol-secret",
      tls: "starttls",
      channelBinding: "tls-server-end-point",
    });
    const laptop = agent("aioxmpp", hato, {
      user: "carol",
      password: "carol-secret",
      tls: "starttls",
    });
    const bob = agent("aioxmpp", hato, { user: "bob", password: "bob-secret", tls: "direct" });
    const [phoneOnline, laptopOnline, bobOnline] = await Promise.all([
      phone.online(),
      laptop.online(),
      bob.online(),
    ]);
    assert.notEqual(phoneOnline.jid, laptopOnline.jid, "two resources of carol");
    await Promise.all([phone.cmd("carbons"), laptop.cmd("carbons")]);

    // Bob writes to the phone's full JID: the laptop gets a "received" carbon.
    bob.send(phoneOnline.jid, "to the phone");
    const direct = await phone.message((m) => m.body === "to the phone");
    assert.equal(direct.from, bobOnline.jid);
    const received = await laptop.next<CarbonEvent>("carbon", (c) => c.body === "to the phone");
    assert.equal(received.direction, "received");
    assert.equal(received.from, bobOnline.jid);
    assert.equal(received.to, phoneOnline.jid);

    // The laptop answers: the phone gets a "sent" carbon.
    laptop.send("bob@localhost", "answer from the laptop");
    await bob.message((m) => m.body === "answer from the laptop");
    const sent = await phone.next<CarbonEvent>(
      "carbon",
      (c) => c.body === "answer from the laptop",
    );
    assert.equal(sent.direction, "sent");
    assert.equal(sent.from, laptopOnline.jid);
    assert.equal(sent.to, "bob@localhost");

    // And the other way round: slixmpp sends, aioxmpp sees the sent carbon.
    phone.send("bob@localhost", "answer from the phone");
    await bob.message((m) => m.body === "answer from the phone");
    const sent2 = await laptop.next<CarbonEvent>(
      "carbon",
      (c) => c.body === "answer from the phone",
    );
    assert.equal(sent2.direction, "sent");
    assert.equal(sent2.from, phoneOnline.jid);
  });
});
