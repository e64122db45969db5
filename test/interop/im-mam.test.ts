// XEP-0313 message archive with real clients: 25 messages, paged 10 at a time with RSM by
// slixmpp (its xep_0313 plugin) and by aioxmpp (raw MAM queries through aioxmpp's XSOs).

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type Agent, agentPool, type MamMessage, type MamPage } from "../support/agents.js";
import { type Hato, startHato } from "../support/hato.js";

const COUNT = 25;
const bodies = Array.from(
  { length: COUNT },
  (_, i) => `archived ${String(i + 1).padStart(2, "0")}`,
);

/** Pages through the archive with `max` per page; returns every page. */
async function pageAll(client: Agent, withJid: string, max: number): Promise<MamPage[]> {
  const pages: MamPage[] = [];
  let after: string | null = null;
  for (;;) {
    const page: MamPage = await client.cmd<MamPage>("mam", { with: withJid, max, after });
    pages.push(page);
    if (page.complete || page.messages.length === 0) return pages;
    assert.ok(pages.length <= COUNT, "paging ends");
    after = page.last;
  }
}

describe("MAM paging with third-party clients", () => {
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

  it("archives 25 messages and pages them 10 at a time, in order, for both parties", async (t) => {
    const alice = agent("slixmpp", hato, {
      user: "alice",
      password: "alice-secret",
      tls: "starttls",
      channelBinding: "tls-server-end-point",
    });
    const bob = agent("aioxmpp", hato, { user: "bob", password: "bob-secret", tls: "starttls" });
    await Promise.all([alice.online(), bob.online()]);
    for (const body of bodies) alice.send("bob@localhost", body);
    // Every message arrived (so every message was archived before delivery).
    for (const body of bodies) await bob.message((m) => m.body === body);

    const check = (pages: MamPage[], who: string) => {
      assert.deepEqual(
        pages.map((p) => p.messages.length),
        [10, 10, 5],
        `${who}: three pages of 10, 10 and 5`,
      );
      assert.deepEqual(
        pages.map((p) => p.complete),
        [false, false, true],
        `${who}: only the last page is complete`,
      );
      const all: MamMessage[] = pages.flatMap((p) => p.messages);
      assert.deepEqual(
        all.map((m) => m.body),
        bodies,
        `${who}: every message once, oldest first`,
      );
      assert.equal(new Set(all.map((m) => m.id)).size, COUNT, `${who}: distinct archive ids`);
      for (const p of pages) {
        assert.equal(p.first, p.messages[0]!.id, `${who}: RSM first is the page's first id`);
        assert.equal(p.last, p.messages.at(-1)!.id, `${who}: RSM last is the page's last id`);
      }
      for (const m of all) assert.match(m.from, /^alice@localhost\/.+/);
    };

    const alicePages = await pageAll(alice, "bob@localhost", 10);
    check(alicePages, "slixmpp (sender's archive)");
    const bobPages = await pageAll(bob, "alice@localhost", 10);
    check(bobPages, "aioxmpp (recipient's archive)");
    t.diagnostic(`count reported: ${alicePages[0]!.count} / ${bobPages[0]!.count}`);
    if (alicePages[0]!.count !== null) assert.equal(Number(alicePages[0]!.count), COUNT);
  });

  it("pages from the end with an empty <before/> (the last 10 messages, as a client opening a chat does)", async () => {
    const bob = agent("aioxmpp", hato, { user: "bob", password: "bob-secret", tls: "starttls" });
    await bob.online();
    const page = await bob.cmd<MamPage>("mam", { with: "alice@localhost", max: 10, before: "" });
    assert.deepEqual(
      page.messages.map((m) => m.body),
      bodies.slice(-10),
    );
    assert.equal(page.complete, false, "older messages remain");
  });
});
