// Interop with go-sendxmpp (Debian, go-xmpp library): messages over STARTTLS and direct TLS reach a live client.

import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { after, before, describe, it } from "node:test";
import { createCa } from "@hato/cli";
import { agentPool } from "../support/agents.js";
import { type Hato, startHato } from "../support/hato.js";
import { type RunResult, run } from "../support/process.js";

interface SendOptions {
  user: string;
  password: string;
  tls: "starttls" | "direct";
  to: string;
  body: string;
  caFile?: string;
}

/** Runs go-sendxmpp with flags only (no config file): Go reads the CA from SSL_CERT_FILE. */
function sendxmpp(hato: Hato, o: SendOptions): Promise<RunResult> {
  const port = o.tls === "direct" ? hato.tlsPort : hato.c2sPort;
  const args = [
    "-u",
    `${o.user}@${hato.domain}`,
    "-p",
    o.password,
    "-j",
    `localhost:${port}`,
    "--timeout",
    "10",
  ];
  if (o.tls === "direct") args.push("-t");
  args.push(o.to);
  // HOME points at the test's temp folder so that no ~/.config/go-sendxmpp is ever read.
  const env = {
    ...process.env,
    SSL_CERT_FILE: o.caFile ?? hato.caFile,
    HOME: dirname(hato.dataDir),
  };
  return run("go-sendxmpp", args, { env, input: o.body, timeoutMs: 30_000 });
}

describe("go-sendxmpp", () => {
  let hato: Hato;
  const pool = agentPool();

  before(async () => {
    hato = await startHato({ users: { alice: "alice-secret", bob: "bob-secret" } });
  });
  after(async () => {
    await pool.stopAll();
    await hato?.stop();
  });

  it("sends over STARTTLS to a slixmpp client", async () => {
    const alice = pool.start("slixmpp", hato, {
      user: "alice",
      password: "alice-secret",
      tls: "starttls",
      channelBinding: "tls-server-end-point",
    });
    await alice.online();
    const r = await sendxmpp(hato, {
      user: "bob",
      password: "bob-secret",
      tls: "starttls",
      to: "alice@localhost",
      body: "deploy finished: 42 ✓",
    });
    assert.equal(r.code, 0, r.stderr);
    const m = await alice.message();
    assert.equal(m.body.trim(), "deploy finished: 42 ✓");
    assert.match(m.from, /^bob@localhost\/.+/, "the server stamps go-sendxmpp's full JID");
    assert.equal(m.type, "chat");
    await alice.stop();
  });

  it("sends over direct TLS (-t) to an xmpp.js client, several lines in one message", async () => {
    const alice = pool.start("xmppjs", hato, {
      user: "alice",
      password: "alice-secret",
      tls: "direct",
    });
    await alice.online();
    const r = await sendxmpp(hato, {
      user: "bob",
      password: "bob-secret",
      tls: "direct",
      to: "alice@localhost",
      body: "line one\nline two <&>\n",
    });
    assert.equal(r.code, 0, r.stderr);
    const m = await alice.message();
    assert.equal(m.body.trim(), "line one\nline two <&>");
    assert.match(m.from, /^bob@localhost\/.+/);
    await alice.stop();
  });

  it("fails with a wrong password and delivers nothing", async () => {
    const alice = pool.start("slixmpp", hato, {
      user: "alice",
      password: "alice-secret",
      tls: "direct",
      channelBinding: "tls-server-end-point",
    });
    await alice.online();
    const bad = await sendxmpp(hato, {
      user: "bob",
      password: "guess",
      tls: "starttls",
      to: "alice@localhost",
      body: "must not arrive",
    });
    assert.notEqual(bad.code, 0, "go-sendxmpp reports the failed login");
    const good = await sendxmpp(hato, {
      user: "bob",
      password: "bob-secret",
      tls: "starttls",
      to: "alice@localhost",
      body: "second try",
    });
    assert.equal(good.code, 0, good.stderr);
    assert.equal(
      (await alice.message()).body.trim(),
      "second try",
      "the first message seen is the one sent after logging in",
    );
    await alice.stop();
  });

  it("refuses the server when SSL_CERT_FILE holds another CA", async () => {
    const caFile = join(dirname(hato.dataDir), "other-ca.pem");
    await writeFile(caFile, (await createCa("Some Other CA")).cert);
    for (const tls of ["starttls", "direct"] as const) {
      const r = await sendxmpp(hato, {
        user: "bob",
        password: "bob-secret",
        tls,
        to: "alice@localhost",
        body: "x",
        caFile,
      });
      assert.notEqual(r.code, 0, `${tls}: ${r.stdout}`);
      assert.match(r.stdout + r.stderr, /certificate|x509/i, tls);
    }
  });
});
