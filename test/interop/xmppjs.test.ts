// Interop with @xmpp/client (xmpp.js 0.14): SCRAM over STARTTLS and direct TLS, chat with slixmpp too.

import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { createCa } from "@hato/cli";
import { agentPool } from "../support/agents.js";
import { type Hato, startHato } from "../support/hato.js";

describe("@xmpp/client", () => {
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

  // xmpp.js 0.14 implements SCRAM-SHA-1 (without -PLUS) and PLAIN; it picks SCRAM over TLS.
  it("logs in with SCRAM over STARTTLS, trusting the test CA through NODE_EXTRA_CA_CERTS", async (t) => {
    const a = agent("xmppjs", hato, { user: "alice", password: "alice-secret", tls: "starttls" });
    const online = await a.online();
    t.diagnostic(`xmpp.js STARTTLS: mechanism ${online.mechanism}, ${online.tls}`);
    assert.match(online.mechanism, /^SCRAM-SHA-/);
    assert.match(online.jid, /^alice@localhost\/.+/);
    assert.match(online.tls ?? "", /^TLSv1\.[23]$/);
    await a.stop();
  });

  it("logs in with SCRAM over direct TLS (xmpps://, no ALPN offered by xmpp.js)", async (t) => {
    const a = agent("xmppjs", hato, { user: "bob", password: "bob-secret", tls: "direct" });
    const online = await a.online();
    t.diagnostic(
      `xmpp.js direct TLS: mechanism ${online.mechanism}, ${online.tls}, ALPN ${online.alpn}`,
    );
    assert.match(online.mechanism, /^SCRAM-SHA-/);
    assert.match(online.jid, /^bob@localhost\/.+/);
    await a.stop();
  });

  it("exchanges chat messages both ways between two xmpp.js clients", async () => {
    const alice = agent("xmppjs", hato, {
      user: "alice",
      password: "alice-secret",
      tls: "starttls",
    });
    const bob = agent("xmppjs", hato, { user: "bob", password: "bob-secret", tls: "direct" });
    const [aliceOnline, bobOnline] = await Promise.all([alice.online(), bob.online()]);

    alice.send("bob@localhost", "ping from alice ' \" < > &");
    const atBob = await bob.message();
    assert.equal(atBob.body, "ping from alice ' \" < > &");
    assert.equal(atBob.from, aliceOnline.jid);

    bob.send(aliceOnline.jid, "pong from bob");
    const atAlice = await alice.message();
    assert.equal(atAlice.body, "pong from bob");
    assert.equal(atAlice.from, bobOnline.jid);
    assert.equal(atAlice.to, aliceOnline.jid);
  });

  it("exchanges chat messages with a slixmpp client", async () => {
    const alice = agent("xmppjs", hato, { user: "alice", password: "alice-secret", tls: "direct" });
    const bob = agent("slixmpp", hato, {
      user: "bob",
      password: "bob-secret",
      tls: "starttls",
      channelBinding: "tls-server-end-point",
    });
    const [aliceOnline, bobOnline] = await Promise.all([alice.online(), bob.online()]);

    alice.send(bobOnline.jid, "from xmpp.js to slixmpp");
    assert.equal((await bob.message()).body, "from xmpp.js to slixmpp");
    bob.send("alice@localhost", "from slixmpp to xmpp.js");
    const atAlice = await alice.message();
    assert.equal(atAlice.body, "from slixmpp to xmpp.js");
    assert.equal(atAlice.from, bobOnline.jid);
    assert.equal(aliceOnline.jid.split("/")[0], "alice@localhost");
  });

  it("refuses the server when the test CA is not the one trusted", async () => {
    const caFile = join(hato.dataDir, "..", "other-ca.pem");
    await writeFile(caFile, (await createCa("Some Other CA")).cert);
    const a = agent(
      "xmppjs",
      { ...hato, caFile },
      { user: "alice", password: "alice-secret", tls: "direct", timeoutSeconds: 15 },
    );
    const err = await a.next("error");
    assert.match(String(err["message"]), /certificate/i);
    assert.equal(a.events().filter((e) => e.event === "online").length, 0);
  });

  it("fails to log in with a wrong password", async () => {
    const a = agent("xmppjs", hato, {
      user: "alice",
      password: "not-her-password",
      tls: "starttls",
      timeoutSeconds: 15,
    });
    const err = await a.next("error");
    assert.equal(err["condition"], "not-authorized", JSON.stringify(err));
    assert.equal(a.events().filter((e) => e.event === "online").length, 0);
  });
});
