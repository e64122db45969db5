// XEP-0049 transcripts: storing and reading private XML, refused requests, per-account limits.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { parseElement } from "@hato/xml";
import { RawClient, startServer, type TestServer } from "../support/inproc.js";
import { ask, condition, normalised, errorText as text } from "../support/stanzas.js";

const NS = "jabber:iq:private";

const set = (c: RawClient, id: string, inner: string, to = "") =>
  ask(c, id, `<iq type='set' id='${id}'${to}><query xmlns='${NS}'>${inner}</query></iq>`);
const get = (c: RawClient, id: string, inner: string, to = "") =>
  ask(c, id, `<iq type='get' id='${id}'${to}><query xmlns='${NS}'>${inner}</query></iq>`);

describe("XEP-0049 private XML storage", () => {
  let t: TestServer;
  before(async () => {
    t = await startServer({ "private.max-items": "2", "private.max-bytes": "1024" });
    for (const u of ["alice", "bob"]) await t.addUser(u, `pw-${u}`);
  });
  after(() => t.stop());

  it("alice stores bookmarks and reads them back; what she never stored comes back empty", async () => {
    const { client } = await RawClient.login(t, "alice", "pw-alice");
    const stored = await set(
      client,
      "s1",
      "<storage xmlns='storage:bookmarks'><conference jid='tea@party.example' autojoin='true'/></storage>",
    );
    assert.equal(stored.attr("type"), "result");
    const res = await get(client, "g1", "<storage xmlns='storage:bookmarks'/>");
    assert.equal(res.attr("type"), "result");
    const storage = res.getChild("query", NS)?.getChild("storage", "storage:bookmarks");
    assert.equal(storage?.getChild("conference")?.attr("jid"), "tea@party.example");
    const none = await get(client, "g2", "<prefs xmlns='urn:example:prefs'/>");
    const prefs = none.getChild("query", NS)?.getChild("prefs", "urn:example:prefs");
    assert.ok(prefs);
    assert.equal(prefs.children.length, 0);
    // The shared format: kv store "private", key "{namespace}name".
    const raw = await t.storage.kv.get("private", "alice", "{storage:bookmarks}storage");
    assert.equal(parseElement(raw!).getChild("conference")?.attr("autojoin"), "true");
    client.close();
  });

  it("bob cannot read or write alice's data: the answer an account that does not exist gets", async () => {
    const { client } = await RawClient.login(t, "bob", "pw-bob");
    const inner = "<storage xmlns='storage:bookmarks'/>";
    const read = await get(client, "o1", inner, " to='alice@localhost'");
    const readMissing = await get(client, "o2", inner, " to='nobody@localhost'");
    const write = await set(client, "o3", inner, " to='alice@localhost'");
    const writeMissing = await set(client, "o4", inner, " to='nobody@localhost'");
    assert.equal(condition(read), "service-unavailable");
    assert.equal(normalised(read), normalised(readMissing));
    assert.equal(condition(write), "service-unavailable");
    assert.equal(normalised(write), normalised(writeMissing));
    const still = await t.storage.kv.get("private", "alice", "{storage:bookmarks}storage");
    assert.match(still ?? "", /tea@party/);
    client.close();
  });

  it("a query must hold exactly one element in a namespace of its own", async () => {
    const { client } = await RawClient.login(t, "bob", "pw-bob");
    const cases: [string, string, RegExp][] = [
      ["empty", "", /exactly one element/],
      ["two", "<a xmlns='urn:x'/><b xmlns='urn:x'/>", /exactly one element/],
      ["no namespace", "<a/>", /namespace of its own/],
      ["jabber:client", "<message xmlns='jabber:client'/>", /jabber:client/],
      ["streams", "<error xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>", /cannot be stored/],
    ];
    let n = 0;
    for (const [what, inner, why] of cases) {
      n++;
      for (const op of [set, get]) {
        const res = await op(client, `b${n}${op === set ? "s" : "g"}`, inner);
        assert.equal(condition(res), "not-acceptable", what);
        assert.match(text(res), why, what);
      }
    }
    assert.deepEqual(await t.storage.kv.keys("private", "bob"), []);
    client.close();
  });

  it("limits: elements per account, one element's size, the account's total", async () => {
    const { client } = await RawClient.login(t, "bob", "pw-bob");
    assert.equal((await set(client, "l1", "<a xmlns='urn:x'>1</a>")).attr("type"), "result");
    assert.equal((await set(client, "l2", "<b xmlns='urn:x'>2</b>")).attr("type"), "result");
    const third = await set(client, "l3", "<c xmlns='urn:x'>3</c>");
    assert.equal(condition(third), "resource-constraint");
    assert.match(text(third), /at most 2 private XML elements/);
    // Replacing one that exists is not a new element.
    assert.equal((await set(client, "l4", "<a xmlns='urn:x'>one</a>")).attr("type"), "result");
    const huge = await set(client, "l5", `<a xmlns='urn:x'>${"x".repeat(1100)}</a>`);
    assert.equal(condition(huge), "not-acceptable");
    assert.match(text(huge), /at most 1024 bytes/);
    const total = await set(client, "l6", `<b xmlns='urn:x'>${"x".repeat(1000)}</b>`);
    assert.equal(condition(total), "resource-constraint");
    assert.match(text(total), /1024 bytes in all/);
    const kept = await get(client, "l7", "<b xmlns='urn:x'/>");
    assert.equal(kept.getChild("query", NS)?.getChild("b", "urn:x")?.text(), "2");
    // An empty element removes what was stored, which makes room again.
    assert.equal((await set(client, "l8", "<b xmlns='urn:x'/>")).attr("type"), "result");
    assert.deepEqual(await t.storage.kv.keys("private", "bob"), ["{urn:x}a"]);
    assert.equal((await set(client, "l9", "<c xmlns='urn:x'>3</c>")).attr("type"), "result");
    client.close();
  });
});
