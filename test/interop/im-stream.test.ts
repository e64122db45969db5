// XEP-0198 with real clients: slixmpp (xep_0198) and aioxmpp reach the server through a TCP
// proxy that the test cuts; the session is resumed and every message arrives exactly once.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type AgentEvent, agentPool, type MessageEvent } from "../support/agents.js";
import { type Hato, startHato, TEST_USERS } from "../support/hato.js";
import { startTcpProxy, type TcpProxy } from "../support/tcp-proxy.js";

const batch = (name: string, from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => `${name} ${from + i}`);

describe("stream resumption after a dropped TCP connection", () => {
  let hato: Hato;
  const proxies: TcpProxy[] = [];
  const pool = agentPool();
  const agent = pool.start;

  before(async () => {
    hato = await startHato({
      users: TEST_USERS,
    });
  });
  after(async () => {
    await pool.stopAll();
    await Promise.all(proxies.map((p) => p.close()));
    await hato?.stop();
  });

  /** Every chat body `client` received so far, in order. */
  const bodiesOf = (events: AgentEvent[]) =>
    events.filter((e): e is MessageEvent => e.event === "message").map((m) => m.body);

  const cases = [
    { client: "slixmpp", mode: "reset", user: "bob", other: "aioxmpp" },
    { client: "slixmpp", mode: "silent", user: "carol", other: "aioxmpp" },
    { client: "aioxmpp", mode: "reset", user: "dave", other: "slixmpp" },
  ] as const;
  for (const { client, mode, user, other } of cases) {
    it(`${client} resumes after a ${mode === "reset" ? "reset" : "silently dead"} connection and loses nothing`, async (t) => {
      const proxy = await startTcpProxy(hato.c2sPort);
      proxies.push(proxy);
      const phone = agent(client, hato, {
        user,
        password: `${user}-secret`,
        tls: "starttls",
        channelBinding: "tls-server-end-point",
        port: proxy.port,
        sm: true,
      });
      const alice = agent(other, hato, {
        user: "alice",
        password: "alice-secret",
        tls: "starttls",
        channelBinding: "tls-server-end-point",
      });
      const [phoneOnline] = await Promise.all([phone.online(), alice.online()]);
      const enabled = await phone.next("sm", (e) => e["state"] === "enabled");
      assert.ok(enabled["id"], "the server gives a resumption id");
      assert.equal(proxy.open, 1);

      const before = batch("before", 1, 5);
      for (const b of before) alice.send(phoneOnline.jid, b);
      for (const b of before) await phone.message((m) => m.body === b);

      proxy.cut(mode);
      if (mode === "reset") await phone.next("disconnected");
      // Sent while the phone has no working connection: held for the session (XEP-0198 §5).
      const during = batch("during", 1, 10);
      for (const b of during) alice.send(phoneOnline.jid, b);
      for (const _ of [...before, ...during]) await alice.next("sent");
      // A silently dead connection is noticed by the client only (as a keepalive would); the
      // slixmpp agent then reconnects at once, aioxmpp after its own back-off.
      if (mode === "silent") await phone.cmd("drop");

      const resumed = await phone.next(
        "sm",
        (e) => e["state"] !== "enabled" && e["state"] !== "suspended",
        60_000,
      );
      assert.equal(resumed["state"], "resumed", `resumed, not failed:\n${phone.describe()}`);
      for (const b of during) await phone.message((m) => m.body === b);

      // The session goes on: both directions work after resumption.
      const afterwards = batch("after", 1, 3);
      for (const b of afterwards) alice.send(phoneOnline.jid, b);
      for (const b of afterwards) await phone.message((m) => m.body === b);
      phone.send("alice@localhost", "phone is back");
      const back = await alice.message((m) => m.body === "phone is back");
      assert.equal(back.from, phoneOnline.jid, "the same full JID as before the cut");

      // Counted: every message exactly once, in order.
      assert.deepEqual(bodiesOf(phone.events()), [...before, ...during, ...afterwards]);
      t.diagnostic(
        `${client} ${mode}: ${before.length + during.length + afterwards.length} messages, each once`,
      );
      await phone.stop();
      await alice.stop();
    });
  }
});
