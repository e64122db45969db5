// The SDK across a server restart it did not see (its network was silent meanwhile): the
// resume is refused (XEP-0198 <failed/>), it binds on the same stream, loads the roster
// again and resends what the old session never acknowledged.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { HatoClient } from "@hato/sdk";
import { startServer, type TestServer } from "../support/inproc.js";
import { befriend, type SdkWorld, sdkWorld, until } from "../support/sdk.js";
import { startTcpProxy, type TcpProxy } from "../support/tcp-proxy.js";

describe("SDK across a server restart", () => {
  let w: SdkWorld;
  let proxy: TcpProxy;
  let restarted: TestServer | undefined;
  let a: HatoClient;
  let b: HatoClient;
  before(async () => {
    w = await sdkWorld(["alice", "bob"]);
    proxy = await startTcpProxy(w.server.tlsPort);
    a = w.client("alice", { port: proxy.port, keepaliveSeconds: 1 });
    b = w.client("bob");
    await Promise.all([a.connect(), b.connect()]);
    await befriend(a, b);
  });
  after(async () => {
    for (const c of [a, b]) if (c.status !== "disconnected") await c.disconnect();
    await restarted?.stop();
    await proxy.close();
  });

  it("a refused resume falls back to a new session, and the unacknowledged message arrives", async () => {
    const atB: string[] = [];
    b.on("message", (m) => {
      if (!m.outgoing) atB.push(m.body);
    });
    proxy.cut("silent");
    a.send(b.jid, "into the silence"); // never acknowledged by the old server
    const { c2sPort, tlsPort } = w.server;
    await w.server.stop();
    restarted = await startServer(
      { "c2s-port": String(c2sPort), "tls-port": String(tlsPort) },
      w.server.storage,
    );
    await until(a, () => a.status === "reconnecting");
    await until(a, () => a.status === "online");
    await until(b, () => b.status === "online");
    await until(b, () => atB.length >= 1);
    assert.deepEqual(atB, ["into the silence"]);
    await until(a, () => a.contacts().some((c) => c.jid === b.jid && c.show === "available"));
  });
});
