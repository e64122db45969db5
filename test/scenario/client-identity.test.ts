// Which client a session runs (XEP-0092 asked by the server, the XEP-0115 caps node of its
// first presence), and the policy's `clients.allowed`: stanzas held until the client says what
// it is, released in order when allowed, the stream ended with policy-violation when not.

import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import type { HatoModule } from "@hato/core";
import type { Element } from "@hato/xml";
import { RawClient, startServer, type TestServer } from "../support/inproc.js";
import { pause } from "../support/stanzas.js";

const NS_VERSION = "jabber:iq:version";
const NS_CAPS = "http://jabber.org/protocol/caps";

const isQuery = (e: Element) =>
  e.name === "iq" && e.attr("type") === "get" && e.getChild("query", NS_VERSION) !== undefined;

/** Logs in without presence and returns the client with the server's version question. */
async function connect(t: TestServer, user: string, resource: string) {
  const { client, jid } = await RawClient.login(t, user, `pw-${user}`, resource, false);
  const query = await client.expect(isQuery, "the server's version query");
  return { client, jid, query };
}

const answer = (q: Element, name: string, version = "1.0", os = "") =>
  `<iq type='result' id='${q.attr("id")}' to='localhost'><query xmlns='${NS_VERSION}'><name>${name}</name><version>${version}</version>${os === "" ? "" : `<os>${os}</os>`}</query></iq>`;
const presenceWithCaps = (node: string) =>
  `<presence><c xmlns='${NS_CAPS}' hash='sha-1' node='${node}' ver='QgayPKawpkPSDYmwT/WM94uAlu0='/></presence>`;

type Entry = { kind: string; actor?: string | null; details: string };
const audit = async (t: TestServer, kind: string) =>
  ((await t.storage.audit.list({ limit: 10_000 })) as Entry[]).filter((e) => e.kind === kind);

describe("client identity for every session (sessions.ask-client-version)", () => {
  let t: TestServer;
  before(async () => {
    t = await startServer({ "sessions.ask-client-version": "true" });
    for (const u of ["alice", "bob"]) await t.addUser(u, `pw-${u}`);
  });
  after(() => t.stop());

  it("the server asks; the answer and the caps node fill session.software and a session-client entry", async () => {
    const { client, query } = await connect(t, "alice", "desk");
    assert.equal(query.attr("from"), "localhost");
    assert.equal(query.attr("to"), "alice@localhost/desk");
    client.send(answer(query, "Gajim", "1.9.5", "Linux"));
    client.send(presenceWithCaps("https://gajim.org"));
    await pause();
    const session = t.server.sessions.get("alice", "desk")!;
    assert.deepEqual(session.software, {
      name: "Gajim",
      version: "1.9.5",
      os: "Linux",
      node: "https://gajim.org",
    });
    const entry = (await audit(t, "session-client")).at(-1)!;
    assert.equal(entry.actor, "alice");
    const details = JSON.parse(entry.details);
    assert.equal(details.name, "Gajim");
    assert.equal(details.version, "1.9.5");
    assert.equal(details.node, "https://gajim.org");
    assert.equal(details.resource, "desk");
    client.close();
  });

  it("is not refused by version-queries: false (that rule is about other users asking)", async () => {
    assert.ok(t.server.policy.applyText("version-queries: false\n").ok);
    const { client, query } = await connect(t, "bob", "phone");
    client.send(answer(query, "Dino", "0.4"));
    client.send("<presence/>");
    await pause();
    assert.equal(t.server.sessions.get("bob", "phone")!.software?.name, "Dino");
    assert.ok(t.server.policy.applyText("{}").ok);
    client.close();
  });

  it("a huge or odd answer is cut to 128 characters, control characters blanked; an error answer leaves it unknown", async () => {
    const { client, query } = await connect(t, "alice", "odd");
    client.send(answer(query, `Evil${"x".repeat(5000)}`, "1\t2"));
    client.send("<presence/>");
    await pause();
    const sw = t.server.sessions.get("alice", "odd")!.software!;
    assert.equal(sw.name!.length, 128);
    assert.equal(sw.version, "1 2");
    client.close();
    const second = await connect(t, "alice", "err");
    second.client.send(
      `<iq type='error' id='${second.query.attr("id")}' to='localhost'><error type='cancel'><service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>`,
    );
    second.client.send("<presence/>");
    await pause();
    assert.deepEqual(t.server.sessions.get("alice", "err")!.software, undefined);
    // The server's question is not routed anywhere else: the answer never reaches a user.
    second.client.close();
  });

  it("an answer with another id is not taken for the identity: it is routed as any stanza", async () => {
    const { client, query } = await connect(t, "alice", "wrongid");
    client.send(answer(query, "Fake").replace(query.attr("id")!, "not-the-query"));
    client.send("<presence/>");
    await pause();
    assert.equal(t.server.sessions.get("alice", "wrongid")!.software, undefined);
    client.close();
  });
});

describe("clients.allowed", () => {
  let t: TestServer;
  const denied: { user: string; rule: string; text: string }[] = [];
  before(async () => {
    const watcher: HatoModule = {
      name: "deny-watcher",
      load(api) {
        api.hook("policy-denied", (d) => void denied.push(d), -10);
      },
    };
    t = await startServer(
      { "sessions.client-identity-seconds": "2", "sessions.max-held": "5" },
      undefined,
      [watcher],
    );
    for (const u of ["alice", "bob", "carol", "dave"]) await t.addUser(u, `pw-${u}`);
    const r = t.server.policy.applyText(
      [
        "groups: { staff: [alice, carol, dave] }",
        "overrides:",
        "  staff:",
        '    clients: { allowed: ["HatoTest", "https://allowed.example/client"] }',
        "",
      ].join("\n"),
    );
    assert.ok(r.ok, r.ok ? "" : r.errors.join("\n"));
  });
  after(() => t.stop());
  beforeEach(() => {
    denied.length = 0;
  });

  it("holds the stanzas until the client names an allowed software, then routes them in order", async () => {
    const { client: bob } = await RawClient.login(t, "bob", "pw-bob", "desk", true);
    const { client, query } = await connect(t, "alice", "desk");
    client.send("<message type='chat' id='m1' to='bob@localhost/desk'><body>one</body></message>");
    client.send("<iq type='get' id='ping1' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>");
    client.send("<message type='chat' id='m2' to='bob@localhost/desk'><body>two</body></message>");
    await pause();
    assert.ok(!bob.received.some((e) => e.attr("id") === "m1"), "held: not routed yet");
    assert.ok(!client.received.some((e) => e.attr("id") === "ping1"), "held: not answered yet");
    client.send(answer(query, "HatoTest", "2.0"));
    const m1 = await bob.expect((e) => e.attr("id") === "m1", "m1");
    const m2 = await bob.expect((e) => e.attr("id") === "m2", "m2");
    assert.equal(m1.getChildText("body"), "one");
    assert.equal(m2.getChildText("body"), "two");
    assert.equal(
      (await client.expect((e) => e.attr("id") === "ping1", "ping")).attr("type"),
      "result",
    );
    assert.deepEqual(denied, []);
    client.close();
    bob.close();
  });

  it("an allowed caps node in the first presence is enough, even when the version query fails", async () => {
    const { client, query } = await connect(t, "carol", "phone");
    client.send(
      `<iq type='error' id='${query.attr("id")}' to='localhost'><error type='cancel'><service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>`,
    );
    client.send(presenceWithCaps("https://allowed.example/client"));
    client.send("<iq type='get' id='ping2' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>");
    assert.equal(
      (await client.expect((e) => e.attr("id") === "ping2", "ping")).attr("type"),
      "result",
    );
    assert.equal(
      t.server.sessions.get("carol", "phone")!.software?.node,
      "https://allowed.example/client",
    );
    client.close();
  });

  it("another client is disconnected with policy-violation naming it and what is allowed; nothing it sent is routed; recorded", async () => {
    const { client: bob } = await RawClient.login(t, "bob", "pw-bob", "watch", true);
    const { client, query } = await connect(t, "alice", "evil");
    client.send(
      "<message type='chat' id='leak' to='bob@localhost/watch'><body>leak</body></message>",
    );
    client.send(answer(query, "EvilChat", "6.6"));
    client.send("<presence/>");
    const err = await client.expectStreamError();
    const text =
      'your organisation allows only these clients: "HatoTest", "https://allowed.example/client"; this client says it is "EvilChat 6.6"';
    assert.deepEqual(err, { condition: "policy-violation", text });
    await client.expectClosed();
    await pause();
    assert.ok(!bob.received.some((e) => e.attr("id") === "leak"));
    assert.deepEqual(denied, [{ user: "alice", rule: "clients", text }]);
    const entry = (await audit(t, "policy-denied")).at(-1)!;
    assert.deepEqual(JSON.parse(entry.details), { rule: "clients", text });
    bob.close();
  });

  it("a client that does not say what it is within the timeout is disconnected", async () => {
    const { client } = await connect(t, "dave", "silent");
    client.send("<presence/>");
    const err = await client.expectStreamError();
    assert.equal(err.condition, "policy-violation");
    assert.equal(
      err.text,
      'your organisation allows only these clients: "HatoTest", "https://allowed.example/client"; this client did not say which it is within 2 seconds',
    );
    assert.equal(denied[0]?.rule, "clients");
  });

  it("the held queue is bounded: past sessions.max-held stanzas the stream ends", async () => {
    const { client } = await connect(t, "alice", "chatty");
    for (let i = 0; i < 6; i++)
      client.send(`<iq type='get' id='q${i}' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>`);
    const err = await client.expectStreamError();
    assert.equal(err.condition, "policy-violation");
    assert.match(err.text ?? "", /sent more than 5 stanzas before saying which it is/);
    assert.ok(!client.received.some((e) => e.attr("id") === "q0"), "nothing held was answered");
  });

  it("an empty answer and a presence without caps: refused as a client that did not say", async () => {
    const { client, query } = await connect(t, "carol", "empty");
    client.send(`<iq type='result' id='${query.attr("id")}' to='localhost'/>`);
    client.send("<presence/>");
    const err = await client.expectStreamError();
    assert.match(err.text ?? "", /this client did not say which client it is$/);
  });

  it("users the rule does not cover are not held (bob is not in staff)", async () => {
    const { client } = await RawClient.login(t, "bob", "pw-bob", "free", false);
    await pause();
    assert.ok(
      !client.received.some(isQuery),
      "asking everyone is off in this harness, and bob has no rule",
    );
    client.send("<iq type='get' id='free1' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>");
    assert.equal(
      (await client.expect((e) => e.attr("id") === "free1", "ping")).attr("type"),
      "result",
    );
    client.close();
  });
});
