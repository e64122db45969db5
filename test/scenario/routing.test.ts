// RFC 6120 §7-§10 and RFC 6121 §8.5 transcripts: binding, stamping, routing, error replies.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { NS_BIND, NS_DISCO_INFO, NS_PING, NS_STANZAS_ERR, NS_VERSION } from "@hato/xml";
import { RawClient, startServer, type TestServer } from "../support/inproc.js";

const errCondition = (el: {
  getChild(n: string): { elements(): { name: string; xmlns?: string }[] } | undefined;
}) =>
  el
    .getChild("error")
    ?.elements()
    .find((c) => c.xmlns === NS_STANZAS_ERR && c.name !== "text")?.name;

describe("binding", () => {
  let t: TestServer;
  before(async () => {
    t = await startServer({ "limits.sessions-per-account": "3" });
    await t.addUser("carol", "pw");
  });
  after(() => t.stop());

  it("client asks for no resource; server generates one", async () => {
    const { client, jid } = await RawClient.login(t, "carol", "pw");
    assert.match(jid, /^carol@localhost\/.{8,}$/);
    client.close();
  });

  it("a second session with the same resource replaces the first, which gets <conflict/>", async () => {
    const first = await RawClient.login(t, "carol", "pw", "phone");
    assert.equal(first.jid, "carol@localhost/phone");
    const second = await RawClient.login(t, "carol", "pw", "phone");
    assert.equal(second.jid, "carol@localhost/phone");
    assert.equal((await first.client.expectStreamError()).condition, "conflict");
    second.client.close();
  });

  it("more sessions than the limit get resource-constraint", async () => {
    const sessions = [];
    for (let i = 0; i < 3; i++) sessions.push(await RawClient.login(t, "carol", "pw", `r${i}`));
    const c = await RawClient.connect(t.c2sPort);
    await c.starttls(t.ca);
    await c.authenticate("carol", "pw");
    c.open();
    await c.expectName("features");
    c.send(`<iq type='set' id='b'><bind xmlns='${NS_BIND}'><resource>r9</resource></bind></iq>`);
    const res = await c.expect((e) => e.attr("id") === "b");
    assert.equal(errCondition(res), "resource-constraint");
    for (const s of sessions) s.client.close();
    c.close();
  });

  it("a stanza before binding closes the stream with not-authorized", async () => {
    const c = await RawClient.connect(t.c2sPort);
    await c.starttls(t.ca);
    await c.authenticate("carol", "pw");
    c.open();
    await c.expectName("features");
    c.send("<message to='carol@localhost'><body>x</body></message>");
    assert.equal((await c.expectStreamError()).condition, "not-authorized");
  });
});

describe("routing", () => {
  let t: TestServer;
  before(async () => {
    t = await startServer();
    await t.addUser("alice", "pw-a");
    await t.addUser("bob", "pw-b");
  });
  after(() => t.stop());

  it("alice sends bob a message; the server stamps from, whatever alice claimed", async () => {
    const a = await RawClient.login(t, "alice", "pw-a", "desk");
    const b = await RawClient.login(t, "bob", "pw-b", "laptop");
    a.client.send(
      "<message to='bob@localhost' type='chat' id='m1'><body>hello bob</body></message>",
    );
    const m = await b.client.expect((e) => e.name === "message" && e.attr("id") === "m1");
    assert.equal(m.attr("from"), "alice@localhost/desk");
    assert.equal(m.getChildText("body"), "hello bob");
    // bob answers to alice's full JID
    b.client.send(
      "<message to='alice@localhost/desk' type='chat' id='m2'><body>hi alice</body></message>",
    );
    const r = await a.client.expect((e) => e.attr("id") === "m2");
    assert.equal(r.attr("from"), "bob@localhost/laptop");
    // a from that is not alice's own: the stream closes with invalid-from
    a.client.send(
      "<message from='bob@localhost/laptop' to='bob@localhost'><body>spoof</body></message>",
    );
    assert.equal((await a.client.expectStreamError()).condition, "invalid-from");
    await new Promise((r) => setTimeout(r, 100));
    assert.ok(
      !b.client.received.some((e) => e.getChildText("body") === "spoof"),
      "the spoofed message never arrives",
    );
    b.client.close();
  });

  it("a message to the bare JID goes to the highest-priority available session only", async () => {
    const low = await RawClient.login(t, "bob", "pw-b", "low", false);
    low.client.send("<presence><priority>1</priority></presence>");
    const high = await RawClient.login(t, "bob", "pw-b", "high", false);
    high.client.send("<presence><priority>5</priority></presence>");
    const a = await RawClient.login(t, "alice", "pw-a");
    await new Promise((r) => setTimeout(r, 50));
    a.client.send(
      "<message to='bob@localhost' type='chat' id='p1'><body>to the best</body></message>",
    );
    await high.client.expect((e) => e.attr("id") === "p1");
    await new Promise((r) => setTimeout(r, 100));
    assert.ok(!low.client.received.some((e) => e.attr("id") === "p1"));
    for (const c of [low, high, a]) c.client.close();
  });

  it("server answers ping, disco#info (with features) and version", async () => {
    const a = await RawClient.login(t, "alice", "pw-a");
    a.client.send(`<iq type='get' id='ping' to='localhost'><ping xmlns='${NS_PING}'/></iq>`);
    const pong = await a.client.expect((e) => e.attr("id") === "ping");
    assert.equal(pong.attr("type"), "result");
    assert.equal(pong.attr("from"), "localhost");
    a.client.send(
      `<iq type='get' id='disco' to='localhost'><query xmlns='${NS_DISCO_INFO}'/></iq>`,
    );
    const info = await a.client.expect((e) => e.attr("id") === "disco");
    const features = info
      .getChild("query", NS_DISCO_INFO)!
      .getChildren("feature")
      .map((f) => f.attr("var"));
    for (const f of [NS_PING, NS_VERSION, NS_DISCO_INFO, "msgoffline"])
      assert.ok(features.includes(f), f);
    assert.ok(info.getChild("query", NS_DISCO_INFO)!.getChild("identity"));
    a.client.send(`<iq type='get' id='ver' to='localhost'><query xmlns='${NS_VERSION}'/></iq>`);
    const ver = await a.client.expect((e) => e.attr("id") === "ver");
    assert.equal(ver.getChild("query", NS_VERSION)?.getChildText("name"), "Hato");
    a.client.close();
  });

  it("unsupported IQs get service-unavailable; errors and results are never answered", async () => {
    const a = await RawClient.login(t, "alice", "pw-a");
    a.client.send(
      "<iq type='get' id='u1' to='localhost'><query xmlns='urn:example:nothing'/></iq>",
    );
    assert.equal(
      errCondition(await a.client.expect((e) => e.attr("id") === "u1")),
      "service-unavailable",
    );
    a.client.send(
      "<iq type='error' id='u2' to='localhost'><error type='cancel'><bad-request xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>",
    );
    a.client.send("<iq type='result' id='u3' to='localhost'/>");
    a.client.send("<message type='error' id='u4' to='localhost'/>");
    a.client.send(`<iq type='get' id='u5' to='localhost'><ping xmlns='${NS_PING}'/></iq>`);
    await a.client.expect((e) => e.attr("id") === "u5");
    assert.ok(
      !a.client.received.some((e) => ["u2", "u3", "u4"].includes(e.attr("id") ?? "")),
      "no answer to error/result",
    );
    a.client.close();
  });

  it("malformed addresses and stanzas get jid-malformed and bad-request", async () => {
    const a = await RawClient.login(t, "alice", "pw-a");
    a.client.send("<message to='bob@@localhost' id='j1'><body>x</body></message>");
    assert.equal(
      errCondition(await a.client.expect((e) => e.attr("id") === "j1")),
      "jid-malformed",
    );
    a.client.send(
      `<iq type='get' id='j2' to='localhost'><ping xmlns='${NS_PING}'/><ping xmlns='${NS_PING}'/></iq>`,
    );
    assert.equal(errCondition(await a.client.expect((e) => e.attr("id") === "j2")), "bad-request");
    a.client.send("<iq type='bogus' id='j3' to='localhost'/>");
    assert.equal(errCondition(await a.client.expect((e) => e.attr("id") === "j3")), "bad-request");
    a.client.send("<message to='someone@example.org' id='j4'><body>x</body></message>");
    assert.equal(
      errCondition(await a.client.expect((e) => e.attr("id") === "j4")),
      "remote-server-not-found",
    );
    a.client.send(`<iq type='get' id='j5' to='bob@localhost/gone'><ping xmlns='${NS_PING}'/></iq>`);
    assert.equal(
      errCondition(await a.client.expect((e) => e.attr("id") === "j5")),
      "service-unavailable",
    );
    a.client.close();
  });

  it("an unknown top-level element closes the stream with unsupported-stanza-type", async () => {
    const a = await RawClient.login(t, "alice", "pw-a");
    a.client.send("<foo xmlns='jabber:client'/>");
    assert.equal((await a.client.expectStreamError()).condition, "unsupported-stanza-type");
  });
});
