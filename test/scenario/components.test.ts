// XEP-0114 transcripts: an external component connects, authenticates and exchanges stanzas.

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { NS_DISCO_INFO, NS_DISCO_ITEMS, NS_STANZAS_ERR } from "@hato/xml";
import { ComponentClient } from "../support/component.js";
import { freePort, RawClient, startServer, type TestServer } from "../support/inproc.js";

const SECRET = "s3cret-for-push";
const quiet = () => new Promise((r) => setTimeout(r, 150));

describe("XEP-0114 component handshake", () => {
  let t: TestServer;
  before(async () => {
    t = await startServer({
      "component-port": String(await freePort()),
      components: `push.localhost=${SECRET},bots.localhost=other-secret`,
      "limits.auth-seconds": "1",
    });
  });
  after(() => t.stop());

  it("push.localhost opens a stream, gets a stream id, and the right digest gets <handshake/>", async () => {
    const c = await ComponentClient.open(t.componentPort, "push.localhost");
    assert.equal(c.raw.streamHeader?.attr("from"), "push.localhost");
    assert.match(c.streamId, /^[0-9a-f]{32}$/);
    const ok = await c.handshake(SECRET);
    assert.equal(ok.children.length, 0);
    c.close();
  });

  it("a wrong secret gets not-authorized and the stream closes", async () => {
    const c = await ComponentClient.open(t.componentPort, "push.localhost");
    c.sendHandshake("guess");
    const err = await c.raw.expectStreamError();
    assert.equal(err.condition, "not-authorized");
    assert.match(err.text ?? "", /handshake/);
    await c.raw.expectClosed();
  });

  it("a digest written in uppercase hex is accepted too", async () => {
    const c = await ComponentClient.open(t.componentPort, "push.localhost");
    const digest = createHash("sha1")
      .update(c.streamId + SECRET)
      .digest("hex");
    c.send(`<handshake>${digest.toUpperCase()}</handshake>`);
    await c.expect((e) => e.name === "handshake", "<handshake/>");
    c.close();
  });

  it("the secret of another component does not open push.localhost", async () => {
    const c = await ComponentClient.open(t.componentPort, "push.localhost");
    c.sendHandshake("other-secret");
    assert.equal((await c.raw.expectStreamError()).condition, "not-authorized");
  });

  it("a domain that is not configured gets host-unknown", async () => {
    const c = await ComponentClient.open(t.componentPort, "nobody.localhost");
    const err = await c.raw.expectStreamError();
    assert.equal(err.condition, "host-unknown");
    assert.ok(err.text);
    await c.raw.expectClosed();
  });

  it("the server's own domain is not a component", async () => {
    const c = await ComponentClient.open(t.componentPort, "localhost");
    assert.equal((await c.raw.expectStreamError()).condition, "host-unknown");
  });

  it("a stanza before the handshake gets not-authorized", async () => {
    const c = await ComponentClient.open(t.componentPort, "push.localhost");
    c.send("<message from='push.localhost' to='alice@localhost'><body>early</body></message>");
    assert.equal((await c.raw.expectStreamError()).condition, "not-authorized");
  });

  it("a component that never sends its handshake is dropped after limits.auth-seconds", async () => {
    const c = await ComponentClient.open(t.componentPort, "push.localhost");
    const err = await c.raw.expectStreamError();
    assert.equal(err.condition, "connection-timeout");
    assert.match(err.text ?? "", /1 seconds/);
  });

  it("a second connection for push.localhost replaces the first, which gets conflict", async () => {
    await t.addUser("carol", "pw-c");
    const first = await ComponentClient.connect(t.componentPort, "push.localhost", SECRET);
    const second = await ComponentClient.connect(t.componentPort, "push.localhost", SECRET);
    const err = await first.raw.expectStreamError();
    assert.equal(err.condition, "conflict");
    assert.match(err.text ?? "", /replaced/);
    const carol = await RawClient.login(t, "carol", "pw-c", "desk");
    carol.client.send(
      "<message to='push.localhost' id='after'><body>who gets this</body></message>",
    );
    await second.expect((e) => e.attr("id") === "after");
    carol.client.close();
    second.close();
  });
});

describe("XEP-0114 component routing", () => {
  let t: TestServer;
  let push: ComponentClient;
  before(async () => {
    t = await startServer({
      "component-port": String(await freePort()),
      components: `push.localhost=${SECRET}`,
    });
    await t.addUser("alice", "pw-a");
    await t.addUser("bob", "pw-b");
    push = await ComponentClient.connect(t.componentPort, "push.localhost", SECRET);
  });
  after(async () => {
    push.close();
    await t.stop();
  });

  it("alice messages bot@push.localhost; the component gets it with alice's full JID as from", async () => {
    const a = await RawClient.login(t, "alice", "pw-a", "desk");
    a.client.send(
      "<message to='bot@push.localhost/r1' type='chat' id='u2c'><body>hello bot</body></message>",
    );
    const m = await push.expect((e) => e.attr("id") === "u2c");
    assert.equal(m.xmlns, "jabber:component:accept", "stanzas arrive in the component namespace");
    assert.equal(m.attr("from"), "alice@localhost/desk");
    assert.equal(m.attr("to"), "bot@push.localhost/r1");
    assert.equal(m.getChildText("body"), "hello bot");
    assert.equal(m.getChild("body")?.xmlns, "jabber:component:accept");
    a.client.close();
  });

  it("the component messages alice from any address in its domain; alice gets it in jabber:client", async () => {
    const a = await RawClient.login(t, "alice", "pw-a", "desk");
    push.send(
      "<message from='bot@push.localhost/r1' to='alice@localhost' type='chat' id='c2u'><body>hello alice</body></message>",
    );
    const m = await a.client.expect((e) => e.attr("id") === "c2u");
    assert.equal(m.xmlns, "jabber:client");
    assert.equal(m.attr("from"), "bot@push.localhost/r1");
    assert.equal(m.getChildText("body"), "hello alice");
    a.client.close();
  });

  it("an IQ goes from alice to the component and its result comes back", async () => {
    const a = await RawClient.login(t, "alice", "pw-a", "desk");
    a.client.send(
      `<iq type='get' to='push.localhost' id='q1'><query xmlns='${NS_DISCO_INFO}'/></iq>`,
    );
    const q = await push.expect((e) => e.attr("id") === "q1");
    assert.equal(q.attr("from"), "alice@localhost/desk");
    push.send(
      `<iq type='result' from='push.localhost' to='alice@localhost/desk' id='q1'><query xmlns='${NS_DISCO_INFO}'><identity category='pubsub' type='push'/></query></iq>`,
    );
    const r = await a.client.expect((e) => e.attr("id") === "q1");
    assert.equal(r.attr("type"), "result");
    assert.equal(r.attr("from"), "push.localhost");
    assert.equal(r.getChild("query", NS_DISCO_INFO)?.getChild("identity")?.attr("type"), "push");
    a.client.close();
  });

  it("the component asks the server for disco#info and gets the answer on its stream", async () => {
    push.send(
      `<iq type='get' from='push.localhost' to='localhost' id='s1'><query xmlns='${NS_DISCO_INFO}'/></iq>`,
    );
    const r = await push.expect((e) => e.attr("id") === "s1");
    assert.equal(r.attr("type"), "result");
    assert.equal(r.attr("from"), "localhost");
    assert.equal(r.attr("to"), "push.localhost");
    assert.ok(r.getChild("query", NS_DISCO_INFO)?.getChild("identity"));
  });

  it("an IQ from the component to an offline full JID bounces back to the component", async () => {
    push.send(
      "<iq type='get' from='push.localhost' to='bob@localhost/gone' id='s2'><ping xmlns='urn:xmpp:ping'/></iq>",
    );
    const r = await push.expect((e) => e.attr("id") === "s2");
    assert.equal(r.attr("type"), "error");
    assert.ok(r.getChild("error")?.getChild("service-unavailable", NS_STANZAS_ERR));
  });

  it("disco#items of the server lists the connected component", async () => {
    const a = await RawClient.login(t, "alice", "pw-a", "desk");
    a.client.send(
      `<iq type='get' to='localhost' id='items'><query xmlns='${NS_DISCO_ITEMS}'/></iq>`,
    );
    const r = await a.client.expect((e) => e.attr("id") === "items");
    const jids = r
      .getChild("query", NS_DISCO_ITEMS)!
      .getChildren("item")
      .map((i) => i.attr("jid"));
    assert.deepEqual(jids, ["push.localhost"]);
    a.client.close();
  });

  it("a message with a from outside push.localhost closes the stream with invalid-from", async () => {
    const spoofer = await ComponentClient.connect(t.componentPort, "push.localhost", SECRET);
    push = spoofer; // the old connection was replaced
    const b = await RawClient.login(t, "bob", "pw-b", "desk");
    spoofer.send(
      "<message from='alice@localhost/desk' to='bob@localhost' id='spoof'><body>it is me, alice</body></message>",
    );
    const err = await spoofer.raw.expectStreamError();
    assert.equal(err.condition, "invalid-from");
    await quiet();
    assert.ok(!b.client.received.some((e) => e.attr("id") === "spoof"));
    b.client.close();
    push = await ComponentClient.connect(t.componentPort, "push.localhost", SECRET);
  });

  it("a stanza without a to address closes the stream with improper-addressing", async () => {
    const c = await ComponentClient.connect(t.componentPort, "push.localhost", SECRET);
    c.send("<message from='push.localhost'><body>to nobody</body></message>");
    assert.equal((await c.raw.expectStreamError()).condition, "improper-addressing");
    push = await ComponentClient.connect(t.componentPort, "push.localhost", SECRET);
  });

  it("after the component disconnects, stanzas to it bounce with remote-server-timeout and a text", async () => {
    const a = await RawClient.login(t, "alice", "pw-a", "desk");
    push.close();
    await quiet();
    a.client.send(
      "<message to='bot@push.localhost' type='chat' id='lost'><body>anyone?</body></message>",
    );
    const m = await a.client.expect((e) => e.attr("id") === "lost");
    assert.equal(m.attr("type"), "error");
    assert.equal(m.attr("from"), "bot@push.localhost");
    const error = m.getChild("error")!;
    assert.equal(error.attr("type"), "wait");
    assert.ok(error.getChild("remote-server-timeout", NS_STANZAS_ERR));
    assert.match(error.getChildText("text", NS_STANZAS_ERR) ?? "", /not connected/);
    a.client.send(
      `<iq type='get' to='localhost' id='items2'><query xmlns='${NS_DISCO_ITEMS}'/></iq>`,
    );
    const r = await a.client.expect((e) => e.attr("id") === "items2");
    assert.equal(r.getChild("query", NS_DISCO_ITEMS)!.getChildren("item").length, 0);
    // A domain that is neither local nor a component is still an unknown remote server.
    a.client.send("<message to='x@elsewhere.example' id='far'><body>far</body></message>");
    const far = await a.client.expect((e) => e.attr("id") === "far");
    assert.ok(far.getChild("error")?.getChild("remote-server-not-found", NS_STANZAS_ERR));
    a.client.close();
    push = await ComponentClient.connect(t.componentPort, "push.localhost", SECRET);
  });
});
