// The SDK's XEP-0313 history against the real server's archive: RSM paging backwards.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { HatoClient } from "@hato/sdk";
import { RawClient } from "../support/inproc.js";
import { befriend, nextEvent, type SdkWorld, sdkWorld } from "../support/sdk.js";

describe("SDK history (MAM) paging", () => {
  let w: SdkWorld;
  let a: HatoClient;
  let b: HatoClient;
  before(async () => {
    w = await sdkWorld(["alice", "bob", "carol"]);
    a = w.client("alice");
    b = w.client("bob");
    await Promise.all([a.connect(), b.connect()]);
    await befriend(a, b);
  });
  after(() => w.stop());

  it("pages over 25 archived messages, newest page first, each page oldest to newest", async () => {
    for (let i = 1; i <= 25; i++) {
      // Alternate senders, each message received before the next is sent: a known order.
      const [from, to] = i % 2 === 1 ? [a, b] : [b, a];
      const got = nextEvent(to, "message", (m) => m.body === `msg ${i}`);
      from.send(to.jid, `msg ${i}`);
      await got;
    }

    // A fresh client (a reload) has nothing cached: everything comes from the archive.
    const fresh = w.client("alice", { resource: "reloaded" });
    await fresh.connect();
    const p1 = await fresh.history(b.jid, { max: 10 });
    assert.deepEqual(
      p1.messages.map((m) => m.body),
      Array.from({ length: 10 }, (_, i) => `msg ${i + 16}`),
    );
    assert.equal(p1.complete, false);
    assert.ok(p1.messages.every((m) => m.archiveId && m.peer === "bob@localhost"));
    assert.deepEqual(
      p1.messages.map((m) => m.outgoing),
      Array.from({ length: 10 }, (_, i) => (i + 16) % 2 === 1),
      "alice's own messages are outgoing",
    );
    for (let i = 1; i < p1.messages.length; i++) {
      assert.ok(p1.messages[i]!.time >= p1.messages[i - 1]!.time, "oldest to newest");
    }

    const p2 = await fresh.history(b.jid, { max: 10, before: p1.messages[0]!.archiveId });
    assert.deepEqual(
      p2.messages.map((m) => m.body),
      Array.from({ length: 10 }, (_, i) => `msg ${i + 6}`),
    );
    assert.equal(p2.complete, false);
    const p3 = await fresh.history(b.jid, { max: 10, before: p2.messages[0]!.archiveId });
    assert.deepEqual(
      p3.messages.map((m) => m.body),
      ["msg 1", "msg 2", "msg 3", "msg 4", "msg 5"],
    );
    assert.equal(p3.complete, true);
    await fresh.disconnect();
  });

  it("applies corrections inside a page, only from the original sender", async () => {
    const c = w.client("carol");
    await c.connect();
    await befriend(a, c);
    const got = nextEvent(c, "message", (m) => m.body === "meet at 5");
    const m = a.send(c.jid, "meet at 5");
    await got;
    const fixed = nextEvent(c, "updated", (u) => u.id === m.id);
    a.correct(c.jid, m.id, "meet at 6");
    await fixed;
    // Carol tries to rewrite Alice's message: archived, but not Carol's to correct.
    const { client: raw } = await RawClient.login(w.server, "carol", "pw", "raw");
    raw.send(
      `<message to='alice@localhost' type='chat' id='evil'><body>meet at 9</body>` +
        `<replace xmlns='urn:xmpp:message-correct:0' id='${m.id}'/></message>`,
    );
    const after = nextEvent(a, "message", (x) => x.body === "ok");
    raw.send(`<message to='alice@localhost' type='chat' id='ok1'><body>ok</body></message>`);
    await after;
    raw.close();

    const fresh = w.client("alice", { resource: "again" });
    await fresh.connect();
    const page = await fresh.history(c.jid);
    assert.deepEqual(
      page.messages.map((x) => [x.body, x.corrected ?? false]),
      [
        ["meet at 6", true],
        ["ok", false],
      ],
    );
    assert.equal(page.messages[0]!.id, m.id);
    assert.equal(page.complete, true);
    await fresh.disconnect();
  });
});
