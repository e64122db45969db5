// One port for everything (issue 4): a real `hato start` with the STARTTLS port turned off,
// and a real client on each protocol through the single TLS port: slixmpp over direct TLS
// (ALPN xmpp-client), xmpp.js over RFC 7395 WebSocket, node's https client and curl over HTTPS.

import assert from "node:assert/strict";
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { request } from "node:https";
import { after, before, describe, it } from "node:test";
import { agentPool } from "../support/agents.js";
import { type Hato, startHato, TEST_USERS } from "../support/hato.js";
import { run } from "../support/process.js";

/** TCP ports a process listens on (Linux: its socket inodes matched in /proc/net/tcp{,6}). */
function listeningPorts(pid: number): number[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(m[1]!);
    } catch {}
  }
  const ports = new Set<number>();
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    for (const line of readFileSync(table, "utf8").split("\n").slice(1)) {
      const f = line.trim().split(/\s+/);
      // local_address is f[1] (hex address:port), st is f[3] (0A = LISTEN), inode is f[9]
      if (f[3] === "0A" && inodes.has(f[9]!)) ports.add(Number.parseInt(f[1]!.split(":")[1]!, 16));
    }
  }
  return [...ports].sort((a, b) => a - b);
}

/** GET with node's https client, trusting the test CA. */
function httpsGet(
  port: number,
  path: string,
  ca: string,
): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "localhost", port, path, ca, method: "GET" }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => {
        body += d;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

describe("one port: XMPP, WebSocket and HTTPS through the TLS port, 5222 off", () => {
  let hato: Hato;
  const pool = agentPool();
  const agent = pool.start;

  before(async () => {
    hato = await startHato({ users: TEST_USERS, flags: { "c2s-port": "0" } });
  });
  after(async () => {
    await pool.stopAll();
    await hato?.stop();
  });

  it("listens on exactly one TCP port: --c2s-port 0 turned STARTTLS off", () => {
    assert.equal(hato.c2sPort, 0, "the ready line reports c2s-port=0");
    assert.deepEqual(listeningPorts(hato.proc!.child.pid!), [hato.tlsPort]);
    assert.match(hato.proc!.stdout, /hato: (web client at|one port) https:\/\/localhost:\d+\//);
  });

  it("slixmpp (direct TLS, ALPN xmpp-client) and xmpp.js (WebSocket) chat both ways", async (t) => {
    const slix = agent("slixmpp", hato, {
      user: "alice",
      password: TEST_USERS.alice!,
      tls: "direct",
      channelBinding: "tls-server-end-point",
    });
    const js = agent("xmppjs", hato, { user: "bob", password: TEST_USERS.bob!, tls: "websocket" });
    const [a, b] = await Promise.all([slix.online(), js.online()]);
    t.diagnostic(`slixmpp: ${a.mechanism} ALPN ${a.alpn}; xmpp.js over WebSocket: ${b.mechanism}`);
    assert.equal(a.alpn, "xmpp-client");
    assert.match(b.jid, /^bob@localhost\/.+/);
    slix.send(b.jid, "hello from slixmpp over direct TLS");
    const m1 = await js.message((m) => m.body === "hello from slixmpp over direct TLS");
    assert.equal(m1.from, a.jid);
    js.send(a.jid, "hello from xmpp.js over WebSocket");
    const m2 = await slix.message((m) => m.body === "hello from xmpp.js over WebSocket");
    assert.equal(m2.from, b.jid);
  });

  it("xmpp.js over direct TLS without ALPN: the first byte picks XMPP", async () => {
    const js = agent("xmppjs", hato, { user: "carol", password: TEST_USERS.carol!, tls: "direct" });
    const online = await js.online();
    assert.equal(online.alpn, null);
    assert.match(online.jid, /^carol@localhost\/.+/);
  });

  it("HTTPS on the same port: host-meta and health with node's https client", async () => {
    const ca = readFileSync(hato.caFile, "utf8");
    const health = await httpsGet(hato.tlsPort, "/health", ca);
    assert.equal(health.status, 200);
    assert.deepEqual(JSON.parse(health.body), { status: "ok" });
    assert.equal(
      health.headers["strict-transport-security"],
      "max-age=63072000; includeSubDomains",
    );
    const meta = await httpsGet(hato.tlsPort, "/.well-known/host-meta.json", ca);
    assert.equal(meta.status, 200);
    assert.equal(
      JSON.parse(meta.body).links[0].href,
      `wss://localhost:${hato.tlsPort}/xmpp-websocket`,
    );
    const xrd = await httpsGet(hato.tlsPort, "/.well-known/host-meta", ca);
    assert.match(xrd.body, /rel='urn:xmpp:alt-connections:websocket'/);
  });

  it("HTTPS with curl (ALPN http/1.1, and without ALPN)", async (t) => {
    const probe = await run("curl", ["--version"], { timeoutMs: 10_000 }).catch(() => undefined);
    if (probe?.code !== 0) return t.skip("curl is not installed");
    for (const extra of [[], ["--no-alpn"]]) {
      const r = await run(
        "curl",
        [
          "-sS",
          "--cacert",
          hato.caFile,
          ...extra,
          `https://localhost:${hato.tlsPort}/.well-known/host-meta.json`,
        ],
        { timeoutMs: 20_000 },
      );
      assert.equal(r.code, 0, r.stderr);
      assert.equal(
        JSON.parse(r.stdout).links[0].href,
        `wss://localhost:${hato.tlsPort}/xmpp-websocket`,
      );
    }
  });
});
