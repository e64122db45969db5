// RFC 7395 transcripts: XMPP over WebSocket on the one TLS port, the same client stream as
// over TCP (SASL with channel binding, binding, stanzas, stream management) in another framing.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { NS_FRAMING, NS_ROSTER, NS_SM } from "@hato/xml";
import { RawClient, startServer, type TestServer } from "../support/inproc.js";
import { type Refusal, WsClient } from "../support/ws-client.js";

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("RFC 7395 XMPP over WebSocket", () => {
  let t: TestServer;
  before(async () => {
    t = await startServer({ "http.allowed-origins": "https://chat.example.org" });
    await t.addUser("alice", "alice-secret");
    await t.addUser("bob", "bob-secret");
  });
  after(() => t.stop());

  it("a whole session: open, features, SCRAM-SHA-256, restart, bind, roster, chat with a TCP client", async () => {
    const c = await WsClient.connect(t.tlsPort, { ca: t.ca });
    assert.equal(c.ws.protocol, "xmpp");
    // client: <open/>   server: <open/> then <stream:features/>, each its own message
    c.open();
    const open = await c.expectName("open");
    assert.equal(open.xmlns, NS_FRAMING);
    assert.equal(open.attr("from"), "localhost");
    assert.equal(open.attr("version"), "1.0");
    assert.ok(open.attr("id"));
    const features = await c.expectName("features");
    const mechs = features
      .getChild("mechanisms")!
      .getChildren("mechanism")
      .map((m) => m.text());
    assert.ok(mechs.includes("SCRAM-SHA-256"));
    assert.ok(!features.getChild("starttls"), "no STARTTLS: the WebSocket runs over TLS");
    // SASL as over TCP
    const outcome = await c.authenticate("alice", "alice-secret", "SCRAM-SHA-256", undefined, true);
    assert.equal(outcome.name, "success");
    // the restart is a new <open/>; binding
    const jid = await c.bind("web");
    assert.equal(jid, "alice@localhost/web");
    // every stanza message carries xmlns='jabber:client' (each is a standalone document)
    const bindAnswer = c.raw.find((m) => m.startsWith("<iq"))!;
    assert.match(bindAnswer, /^<iq xmlns='jabber:client'/);
    // roster get
    c.send(`<iq xmlns='jabber:client' type='get' id='r1'><query xmlns='${NS_ROSTER}'/></iq>`);
    const roster = await c.expect((e) => e.attr("id") === "r1", "roster result");
    assert.equal(roster.attr("type"), "result");
    assert.ok(roster.getChild("query", NS_ROSTER));

    // a message to a TCP client and back; the server stamps from
    const { client: bob } = await RawClient.login(t, "bob", "bob-secret", "tcp");
    c.send(
      "<message xmlns='jabber:client' to='bob@localhost/tcp' type='chat' id='m1'><body>hi over ws</body></message>",
    );
    const got = await bob.expect((e) => e.name === "message" && e.attr("id") === "m1", "message");
    assert.equal(got.attr("from"), "alice@localhost/web");
    assert.equal(got.getChildText("body"), "hi over ws");
    bob.send(
      "<message to='alice@localhost/web' type='chat' id='m2'><body>hi over tcp</body></message>",
    );
    const back = await c.expect((e) => e.name === "message" && e.attr("id") === "m2", "reply");
    assert.equal(back.attr("from"), "bob@localhost/tcp");
    assert.equal(back.getChildText("body"), "hi over tcp");

    // client: <close/>   server: <close/>, then the WebSocket closes
    c.send(`<close xmlns='${NS_FRAMING}'/>`);
    const close = await c.expect((e) => e.name === "close", "<close/>");
    assert.equal(close.xmlns, NS_FRAMING);
    await c.expectClosed();
    bob.close();
  });

  it("SCRAM-SHA-256-PLUS binds to the TLS connection under the WebSocket (tls-exporter)", async () => {
    const c = await WsClient.connect(t.tlsPort, { ca: t.ca });
    const data = c.tlsSocket.exportKeyingMaterial(32, "EXPORTER-Channel-Binding", Buffer.alloc(0));
    const outcome = await c.authenticate("alice", "alice-secret", "SCRAM-SHA-256-PLUS", {
      type: "tls-exporter",
      data,
    });
    assert.equal(outcome.name, "success");
    c.kill();
  });

  it("stream management: a session is resumed over a new WebSocket after the first one died", async () => {
    const { client: a1 } = await WsClient.login(t.tlsPort, t.ca, "alice", "alice-secret", "phone");
    const enabled = await a1.enableSm();
    assert.equal(enabled.name, "enabled");
    const previd = enabled.attr("id")!;
    const { client: bob } = await RawClient.login(t, "bob", "bob-secret", "sm");
    bob.send("<message to='alice@localhost/phone' type='chat' id='s1'><body>one</body></message>");
    await a1.expect((e) => e.attr("id") === "s1", "first message");
    const h = a1.handled;
    a1.kill();
    // while the connection is gone: the session hibernates and keeps what comes
    bob.send("<message to='alice@localhost/phone' type='chat' id='s2'><body>two</body></message>");
    const a2 = await WsClient.connect(t.tlsPort, { ca: t.ca });
    assert.equal((await a2.authenticate("alice", "alice-secret")).name, "success");
    a2.open();
    await a2.expectName("features");
    a2.send(`<resume xmlns='${NS_SM}' previd='${previd}' h='${h}'/>`);
    const resumed = await a2.expect((e) => e.xmlns === NS_SM && e.name !== "r", "<resumed/>");
    assert.equal(resumed.name, "resumed");
    const two = await a2.expect(
      (e) => e.name === "message" && e.attr("id") === "s2",
      "second message",
    );
    assert.equal(two.getChildText("body"), "two");
    assert.ok(
      !a2.received.some((e) => e.attr("id") === "s1"),
      "acknowledged stanzas are not resent",
    );
    a2.kill();
    bob.close();
  });

  it("stream management across framings: a WebSocket session resumed over TCP", async () => {
    const { client: ws } = await WsClient.login(t.tlsPort, t.ca, "alice", "alice-secret", "laptop");
    const enabled = await ws.enableSm();
    const previd = enabled.attr("id")!;
    const h = ws.handled;
    ws.kill();
    const { client: tcp, answer } = await RawClient.resume(t, "alice", "alice-secret", previd, h);
    assert.equal(answer.name, "resumed");
    tcp.send("<iq type='get' to='localhost' id='p1'><ping xmlns='urn:xmpp:ping'/></iq>");
    const pong = await tcp.expect((e) => e.attr("id") === "p1", "ping result");
    assert.equal(pong.attr("type"), "result");
    assert.equal(pong.attr("to"), "alice@localhost/laptop");
    tcp.close();
  });

  it("a second <open/> in the middle of a stream is a stream error", async () => {
    const c = await WsClient.connect(t.tlsPort, { ca: t.ca });
    c.open();
    await c.expectName("features");
    c.open();
    assert.equal((await c.expectStreamError()).condition, "policy-violation");
    await c.expectClosed();
  });

  it("refuses a handshake from another web origin with 403 JSON; allows its own and listed ones", async () => {
    const refusal = (await WsClient.connect(t.tlsPort, {
      ca: t.ca,
      origin: "https://evil.example",
    }).then(
      () => undefined,
      (r: Refusal) => r,
    ))!;
    assert.equal(refusal.status, 403);
    assert.equal(JSON.parse(refusal.body).error, "origin-not-allowed");
    assert.equal(refusal.headers["x-frame-options"], "DENY");
    const own = await WsClient.connect(t.tlsPort, {
      ca: t.ca,
      origin: `https://localhost:${t.tlsPort}`,
    });
    own.kill();
    const listed = await WsClient.connect(t.tlsPort, {
      ca: t.ca,
      origin: "https://chat.example.org",
    });
    listed.kill();
  });

  it("refuses a handshake without the xmpp subprotocol with 400 JSON", async () => {
    const refusal = (await WsClient.connect(t.tlsPort, { ca: t.ca, protocols: [] }).then(
      () => undefined,
      (r: Refusal) => r,
    ))!;
    assert.equal(refusal.status, 400);
    const body = JSON.parse(refusal.body);
    assert.equal(body.error, "bad-upgrade");
    assert.match(body.reason, /subprotocol/);
    const other = (await WsClient.connect(t.tlsPort, { ca: t.ca, protocols: ["chat"] }).then(
      () => undefined,
      (r: Refusal) => r,
    ))!;
    assert.equal(other.status, 400);
  });

  it("refuses WebSockets at any other path with 404 JSON", async () => {
    const refusal = (await WsClient.connect(t.tlsPort, { ca: t.ca, path: "/ws" }).then(
      () => undefined,
      (r: Refusal) => r,
    ))!;
    assert.equal(refusal.status, 404);
    assert.equal(JSON.parse(refusal.body).error, "not-found");
  });

  /** Opens a stream and sends `bad`; returns the stream error and waits for <close/> and the close. */
  async function afterOpen(
    bad: string | Buffer,
  ): Promise<{ condition: string; text: string | undefined }> {
    const c = await WsClient.connect(t.tlsPort, { ca: t.ca });
    c.open();
    await c.expectName("features");
    c.send(bad);
    const err = await c.expectStreamError();
    await c.expect((e) => e.name === "close" && e.xmlns === NS_FRAMING, "<close/>");
    await c.expectClosed();
    return err;
  }

  it("two elements in one message: stream error, <close/>", async () => {
    const err = await afterOpen(
      "<iq xmlns='jabber:client' type='get' id='a'/><iq xmlns='jabber:client' type='get' id='b'/>",
    );
    assert.equal(err.condition, "not-well-formed");
    assert.match(err.text!, /exactly one complete XML element/);
  });

  it("a message that is not XML: stream error", async () => {
    const err = await afterOpen("hello, is this XMPP?");
    assert.equal(err.condition, "not-well-formed");
  });

  it("half an element in one message: stream error (no element spans messages)", async () => {
    const err = await afterOpen("<message xmlns='jabber:client'><body>");
    assert.equal(err.condition, "not-well-formed");
  });

  it("a stanza without its namespace: invalid-namespace", async () => {
    const err = await afterOpen("<message to='bob@localhost'><body>x</body></message>");
    assert.equal(err.condition, "invalid-namespace");
  });

  it("a binary message: bad-format", async () => {
    const err = await afterOpen(Buffer.from("<presence xmlns='jabber:client'/>"));
    assert.equal(err.condition, "bad-format");
  });

  it("restricted XML stays restricted: a DOCTYPE is refused", async () => {
    const err = await afterOpen("<!DOCTYPE x [<!ENTITY a 'b'>]><x/>");
    assert.ok(["restricted-xml", "not-well-formed"].includes(err.condition), err.condition);
  });

  it("anything before <open/>: invalid-namespace", async () => {
    const c = await WsClient.connect(t.tlsPort, { ca: t.ca });
    c.send(
      "<stream:stream xmlns:stream='http://etherx.jabber.org/streams' to='localhost' version='1.0'/>",
    );
    const err = await c.expectStreamError();
    assert.equal(err.condition, "invalid-namespace");
    // the server opened its side first, as RFC 6120 §4.9.1.1 asks
    assert.match(c.raw[0]!, /^<open /);
    await c.expectClosed();
  });

  it("an oversized message closes the WebSocket with 1009 (message too big)", async () => {
    const c = await WsClient.connect(t.tlsPort, { ca: t.ca });
    c.open();
    await c.expectName("features");
    c.send(
      `<message xmlns='jabber:client'><body>${"x".repeat(t.config.limits.stanzaBytes)}</body></message>`,
    );
    await c.expectClosed();
    assert.equal(c.closeCode, 1009);
  });

  it("a session's stream errors are <stream:error/> then <close/>: a wrong host", async () => {
    const c = await WsClient.connect(t.tlsPort, { ca: t.ca });
    c.open("elsewhere.example");
    const err = await c.expectStreamError();
    assert.equal(err.condition, "host-unknown");
    assert.match(c.raw.at(-2) ?? c.raw.at(-1)!, /^<stream:error xmlns:stream=/);
    await c.expectClosed();
  });

  it("the same stanza rules as over TCP: a forged from is a stream error (invalid-from)", async () => {
    const { client } = await WsClient.login(t.tlsPort, t.ca, "alice", "alice-secret", "forge");
    client.send(
      "<message xmlns='jabber:client' to='bob@localhost' from='bob@localhost/x' type='chat'><body>x</body></message>",
    );
    assert.equal((await client.expectStreamError()).condition, "invalid-from");
    await client.expectClosed();
  });

  it("no whitespace keepalives: every message the server sends is one element", async () => {
    const { client } = await WsClient.login(t.tlsPort, t.ca, "alice", "alice-secret", "ka");
    await pause(200);
    for (const m of client.raw) assert.match(m, /^<[\s\S]*>$/);
    client.kill();
  });
});

describe("RFC 7395 limits: the client stream's caps and keepalive by WebSocket ping", () => {
  let t: TestServer;
  before(async () => {
    t = await startServer({
      "limits.unauthenticated-per-address": "2",
      "websocket.ping-seconds": "1",
    });
    await t.addUser("alice", "alice-secret");
  });
  after(() => t.stop());

  it("unauthenticated WebSocket streams count against limits.unauthenticated-per-address", async () => {
    const a = await WsClient.connect(t.tlsPort, { ca: t.ca });
    const b = await WsClient.connect(t.tlsPort, { ca: t.ca });
    const c = await WsClient.connect(t.tlsPort, { ca: t.ca });
    c.open();
    const err = await c.expectStreamError();
    assert.equal(err.condition, "policy-violation");
    assert.match(err.text!, /unauthenticated/);
    await c.expectClosed();
    a.kill();
    b.kill();
  });

  it("the server pings; a client that never answers is dropped", async () => {
    const { client } = await WsClient.login(t.tlsPort, t.ca, "alice", "alice-secret", "pinged");
    await new Promise<void>((resolve) => client.ws.once("ping", () => resolve()));
    client.kill();
    const mute = await WsClient.connect(t.tlsPort, { ca: t.ca, autoPong: false });
    await mute.expectClosed();
  });
});
