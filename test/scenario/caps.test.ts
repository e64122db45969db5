// XEP-0115 transcripts: caps are verified before they are cached; queries and cache are bounded.

import { after, before, describe, it } from "node:test";
import type { Element } from "@hato/xml";
import { RawClient, startServer, type TestServer } from "../support/inproc.js";
import {
  answerCaps,
  assertNothing,
  befriend,
  capsElement,
  capsVer,
  iq,
  isEvent,
  NS_PUBSUB,
} from "../support/pep.js";

const TUNE = "http://jabber.org/protocol/tune";
const MOOD = "http://jabber.org/protocol/mood";
const capsQuery = (e: Element) =>
  e.name === "iq" && e.attr("type") === "get" && e.getChild("query")?.attr("node") !== undefined;

async function users(t: TestServer, ...names: string[]) {
  for (const n of names) await t.addUser(n, `pw-${n}`);
}

describe("XEP-0115 caps verification", () => {
  let t: TestServer;
  before(async () => {
    t = await startServer();
    await users(t, "alice", "carol", "dave", "erin");
  });
  after(() => t.stop());

  it("XEP-0115: a caps answer that does not hash to its ver is not cached, so it poisons nobody", async () => {
    const honest = [TUNE, `${TUNE}+notify`, "http://jabber.org/protocol/disco#info"];
    const ver = capsVer(honest);
    // mallory claims the honest ver but answers with extra features (+notify for mood).
    const m = await RawClient.login(t, "erin", "pw-erin", "mallory", false);
    m.client.send(`<presence>${capsElement(ver)}</presence>`);
    await answerCaps(m.client, ver, [...honest, `${MOOD}+notify`]);
    // Another session announcing the same ver is asked again: nothing was cached for it.
    const h = await RawClient.login(t, "carol", "pw-carol", "honest", false);
    h.client.send(`<presence>${capsElement(ver)}</presence>`);
    await answerCaps(h.client, ver, honest);
    // Now it is cached: a third session with that ver is not asked.
    const third = await RawClient.login(t, "dave", "pw-dave", "third", false);
    third.client.send(`<presence>${capsElement(ver)}</presence>`);
    await assertNothing(
      third.client,
      (e) => e.name === "iq" && e.attr("type") === "get",
      "a caps query",
    );
    // And the liar gets no notifications: its features were never accepted.
    await befriend(t, "alice", "erin");
    m.client.send(`<presence to='alice@localhost'>${capsElement(ver)}</presence>`);
    const a = await RawClient.login(t, "alice", "pw-alice", "desk");
    await iq(
      a.client,
      `<iq type='set'><pubsub xmlns='${NS_PUBSUB}'><publish node='${MOOD}'><item><mood xmlns='${MOOD}'><sad/></mood></item></publish></pubsub></iq>`,
    );
    await assertNothing(m.client, isEvent("alice@localhost", MOOD), "a mood event");
    for (const x of [m, h, third, a]) x.client.close();
  });
});

describe("XEP-0115 caps limits", () => {
  it("a session has at most caps.queries-per-session disco#info queries in flight", async () => {
    const t = await startServer({ "caps.queries-per-session": "1" });
    try {
      await users(t, "alice");
      const { client } = await RawClient.login(t, "alice", "pw-alice", "x", false);
      const f1 = ["urn:example:one"];
      const f2 = ["urn:example:two"];
      const f3 = ["urn:example:three"];
      client.send(`<presence>${capsElement(capsVer(f1))}</presence>`);
      const q1 = await client.expect(capsQuery, "first query");
      client.send(`<presence>${capsElement(capsVer(f2))}</presence>`);
      await assertNothing(client, capsQuery, "a second query while the first is unanswered");
      client.send(
        `<iq type='error' id='${q1.attr("id")}' to='localhost'><query xmlns='http://jabber.org/protocol/disco#info'/><error type='cancel'><service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>`,
      );
      await new Promise((r) => setTimeout(r, 100));
      client.send(`<presence>${capsElement(capsVer(f3))}</presence>`);
      await answerCaps(client, capsVer(f3), f3);
      client.close();
    } finally {
      await t.stop();
    }
  });

  it("the cache keeps at most caps.cache-size entries, least recently used first out", async () => {
    const t = await startServer({ "caps.cache-size": "16" });
    try {
      await users(t, "alice");
      const { client } = await RawClient.login(t, "alice", "pw-alice", "x", false);
      const sets = Array.from({ length: 17 }, (_, i) => [`urn:example:f${i}`]);
      for (const f of sets) {
        client.send(`<presence>${capsElement(capsVer(f))}</presence>`);
        await answerCaps(client, capsVer(f), f);
      }
      // f16 is cached: announcing it again asks nothing.
      const other = await RawClient.login(t, "alice", "pw-alice", "y", false);
      other.client.send(`<presence>${capsElement(capsVer(sets[16]!))}</presence>`);
      await assertNothing(other.client, capsQuery, "a query for a cached ver");
      // f0 was the least recently used of 17 and is gone: it is asked again.
      other.client.send(`<presence>${capsElement(capsVer(sets[0]!))}</presence>`);
      await answerCaps(other.client, capsVer(sets[0]!), sets[0]!);
      client.close();
      other.client.close();
    } finally {
      await t.stop();
    }
  });
});
