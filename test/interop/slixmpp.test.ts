// Interop with slixmpp (Debian's python3-slixmpp): SCRAM over STARTTLS and direct TLS (XEP-0368), chat.

import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { createCa } from "@hato/cli";
import { type AgentEvent, agentPool } from "../support/agents.js";
import { type Hato, startHato, TEST_USERS } from "../support/hato.js";
import { runPython } from "../support/python.js";

const SCRAM_SHA_256 = /^SCRAM-SHA-256(-PLUS)?$/;

describe("slixmpp", () => {
  let hato: Hato;
  const pool = agentPool();
  const agent = pool.start;

  before(async () => {
    hato = await startHato({
      users: TEST_USERS,
    });
  });
  after(async () => {
    await pool.stopAll();
    await hato?.stop();
  });

  it("is Debian's slixmpp, seen by /usr/bin/python3", async (t) => {
    const r = await runPython("slixmpp-agent.py", ["--version"]);
    assert.equal(r.code, 0, r.stderr);
    const v = JSON.parse(r.stdout) as { slixmpp: string; python: string };
    t.diagnostic(`slixmpp ${v.slixmpp} on ${v.python}`);
    assert.match(v.slixmpp, /^1\.\d+/);
  });

  it("logs in with SCRAM-SHA-256-PLUS over STARTTLS, verifying the server against the test CA", async (t) => {
    const a = agent("slixmpp", hato, {
      user: "alice",
      password: "alice-secret",
      tls: "starttls",
      channelBinding: "tls-server-end-point",
    });
    const online = await a.online();
    t.diagnostic(`slixmpp STARTTLS: mechanism ${online.mechanism}, ${online.tls}`);
    assert.equal(online.mechanism, "SCRAM-SHA-256-PLUS");
    assert.match(online.jid, /^alice@localhost\/.+/);
    assert.match(online.tls ?? "", /^TLSv1\.[23]$/);
    await a.stop();
  });

  it("logs in over direct TLS (XEP-0368) with ALPN xmpp-client", async (t) => {
    const a = agent("slixmpp", hato, {
      user: "bob",
      password: "bob-secret",
      tls: "direct",
      channelBinding: "tls-server-end-point",
    });
    const online = await a.online();
    t.diagnostic(
      `slixmpp direct TLS: mechanism ${online.mechanism}, ${online.tls}, ALPN ${online.alpn}`,
    );
    assert.match(online.mechanism, SCRAM_SHA_256);
    assert.equal(online.alpn, "xmpp-client");
    assert.match(online.jid, /^bob@localhost\/.+/);
    await a.stop();
  });

  it("logs in with SCRAM-SHA-256 without channel binding", async (t) => {
    const a = agent("slixmpp", hato, {
      user: "carol",
      password: "carol-secret",
      tls: "starttls",
      channelBinding: "none",
      mechs: ["SCRAM-SHA-256", "SCRAM-SHA-1"],
    });
    const online = await a.online();
    t.diagnostic(`slixmpp without channel binding: mechanism ${online.mechanism}`);
    assert.equal(online.mechanism, "SCRAM-SHA-256");
    await a.stop();
  });

  it("exchanges chat messages both ways (STARTTLS client and direct TLS client)", async () => {
    const alice = agent("slixmpp", hato, {
      user: "alice",
      password: "alice-secret",
      tls: "starttls",
      channelBinding: "tls-server-end-point",
    });
    const bob = agent("slixmpp", hato, {
      user: "bob",
      password: "bob-secret",
      tls: "direct",
      channelBinding: "tls-server-end-point",
    });
    const [aliceOnline, bobOnline] = await Promise.all([alice.online(), bob.online()]);

    alice.send("bob@localhost", "Hi Bob, <b>&amp; ünïcode ✓</b>", "m1");
    const atBob = await bob.message((m) => m.body.startsWith("Hi Bob"));
    assert.equal(atBob.body, "Hi Bob, <b>&amp; ünïcode ✓</b>");
    assert.equal(atBob.from, aliceOnline.jid, "the server stamps the sender's full JID");
    assert.equal(atBob.type, "chat");

    bob.send(aliceOnline.jid, "Hello Alice", "m2");
    const atAlice = await alice.message((m) => m.body === "Hello Alice");
    assert.equal(atAlice.from, bobOnline.jid);
    assert.equal(atAlice.delay, null, "a live message has no <delay/>");
  });

  it("refuses a server whose certificate it cannot verify (verification is really on)", async () => {
    const other = await createCa("Some Other CA");
    const caFile = join(hato.dataDir, "..", "other-ca.pem");
    await writeFile(caFile, other.cert);
    const a = agent(
      "slixmpp",
      { ...hato, caFile },
      {
        user: "dave",
        password: "dave-secret",
        tls: "starttls",
        channelBinding: "none",
        timeoutSeconds: 15,
      },
    );
    await a.next("disconnected", () => true, 15_000);
    assert.equal(
      a.events().filter((e: AgentEvent) => e.event === "online").length,
      0,
      a.describe(),
    );
    assert.match(a.proc.stderr, /certificate/i, "slixmpp says why it gave up");
  });

  it("is told not-authorized for a wrong password", async () => {
    const a = agent("slixmpp", hato, {
      user: "dave",
      password: "wrong",
      tls: "starttls",
      channelBinding: "none",
      mechs: ["SCRAM-SHA-256"],
    });
    const failure = await a.next("sasl-failure");
    assert.equal(failure["condition"], "not-authorized");
    assert.equal(a.events().filter((e) => e.event === "online").length, 0);
  });

  // Debian bookworm's slixmpp 1.8.3 knows only tls-unique, which is undefined on TLS 1.3
  // (RFC 9266): it tries SCRAM-SHA-256-PLUS and SCRAM-SHA-1-PLUS with tls-unique, then
  // SCRAM-SHA-256 with the "y" flag (a downgrade to refuse), then SCRAM-SHA-1 "y", then PLAIN.
  // Hato allows five attempts per stream (RFC 6120 §6.4.5), so slixmpp reaches PLAIN.
  it("logs in with slixmpp's stock settings (no test-side SASL patch)", async (t) => {
    const a = agent("slixmpp", hato, {
      user: "carol",
      password: "carol-secret",
      tls: "starttls",
      channelBinding: "stock",
      timeoutSeconds: 20,
    });
    try {
      const online = await a.online(15_000);
      t.diagnostic(`stock slixmpp: mechanism ${online.mechanism}`);
      assert.equal(online.mechanism, "PLAIN");
    } finally {
      for (const e of a.events().filter((e) => e.event === "sasl-failure"))
        t.diagnostic(`stock slixmpp SASL failure: ${JSON.stringify(e)}`);
    }
  });
});
