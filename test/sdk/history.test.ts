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
    w = await sdkWorld(["alice", "bob", "carol", "dave", "erin"]);
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

    assert.equal(
      p1.first,
      p1.messages[0]!.archiveId,
      "no bodiless results here: first is the oldest message",
    );
    const p2 = await fresh.history(b.jid, { max: 10, before: p1.first });
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

  it("a correction in a newer page applies when the older page with its original loads", async () => {
    const d = w.client("dave");
    await d.connect();
    await befriend(a, d);
    const got = nextEvent(d, "message", (m) => m.body === "orig");
    const m = a.send(d.jid, "orig");
    await got;
    for (let i = 1; i <= 4; i++) {
      const filler = nextEvent(d, "message", (x) => x.body === `filler ${i}`);
      a.send(d.jid, `filler ${i}`);
      await filler;
    }
    const fixed = nextEvent(d, "updated", (u) => u.id === m.id);
    a.correct(d.jid, m.id, "orig, fixed");
    await fixed;

    const fresh = w.client("alice", { resource: "pages" });
    await fresh.connect();
    const newest = await fresh.history(d.jid, { max: 2 });
    assert.deepEqual(
      newest.messages.map((x) => x.body),
      ["filler 3", "filler 4"],
    );
    const older = await fresh.history(d.jid, { max: 10, before: newest.messages[0]!.archiveId });
    assert.deepEqual(
      older.messages.map((x) => [x.body, x.corrected ?? false]),
      [
        ["orig, fixed", true],
        ["filler 1", false],
        ["filler 2", false],
      ],
    );
    assert.equal(older.complete, true);
    await fresh.disconnect();
  });

  it("paging with `first` walks past a stretch of bodiless archive entries (markers)", async () => {
    const e = w.client("erin");
    await e.connect();
    await befriend(a, e);
    const got = nextEvent(e, "message", (m) => m.body === "read me");
    const m = a.send(e.jid, "read me");
    await got;
    for (let i = 0; i < 12; i++) e.markDisplayed(a.jid, m.id);
    const echo = nextEvent(a, "message", (x) => x.body === "done");
    e.send(a.jid, "done"); // after the markers, on the same stream: they are archived by now
    await echo;

    const fresh = w.client("alice", { resource: "markers" });
    await fresh.connect();
    const bodies: string[] = [];
    let before: string | undefined;
    for (let i = 0; i < 20; i++) {
      const page = await fresh.history(e.jid, { max: 1, ...(before ? { before } : {}) });
      bodies.unshift(...page.messages.map((x) => x.body));
      if (page.complete) break;
      assert.ok(page.first, "an incomplete page always says where to go on");
      before = page.first;
    }
    assert.deepEqual(bodies, ["read me", "done"]);
    await fresh.disconnect();
  });
});
