// Known attacks on XMPP servers, each answered with a clear stream error and no harm to others.

import assert from "node:assert/strict";
import { connect } from "node:net";
import { after, before, describe, it } from "node:test";
import { NS_PING } from "@hato/xml";
import { RawClient, startServer, type TestServer } from "../support/inproc.js";

/** A logged-in client sends raw bytes; returns the stream error it gets. */
async function sendAfterLogin(t: TestServer, raw: string | Buffer) {
  const { client } = await RawClient.login(t, "mallory", "pw-m");
  client.send(raw);
  const err = await client.expectStreamError();
  await client.expectClosed();
  return err;
}

describe("attacks", () => {
  let t: TestServer;
  before(async () => {
    t = await startServer({ "limits.unauthenticated-per-address": "1000" });
    await t.addUser("mallory", "pw-m");
    await t.addUser("bob", "pw-b");
  });
  after(() => t.stop());

  const restricted: [string, string][] = [
    [
      "billion laughs",
      `<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]><message to='bob@localhost'><body>&lol2;</body></message>`,
    ],
    [
      "external entity (XXE)",
      `<!DOCTYPE m [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><message><body>&xxe;</body></message>`,
    ],
    ["undeclared entity", "<message to='bob@localhost'><body>&nbsp;</body></message>"],
    ["comment", "<message to='bob@localhost'><!-- hi --><body>x</body></message>"],
    [
      "processing instruction",
      "<message to='bob@localhost'><?php evil(); ?><body>x</body></message>",
    ],
  ];
  for (const [name, raw] of restricted) {
    it(`${name} closes the stream with restricted-xml`, async () => {
      assert.equal((await sendAfterLogin(t, raw)).condition, "restricted-xml");
    });
  }

  it("invalid UTF-8 closes the stream with not-well-formed", async () => {
    const raw = Buffer.concat([
      Buffer.from("<message to='bob@localhost'><body>"),
      Buffer.from([0xc0, 0xaf, 0xff]),
      Buffer.from("</body></message>"),
    ]);
    assert.equal((await sendAfterLogin(t, raw)).condition, "not-well-formed");
  });

  it("an oversize stanza gets policy-violation naming the limit", async () => {
    const err = await sendAfterLogin(
      t,
      `<message to='bob@localhost'><body>${"A".repeat(300 * 1024)}</body></message>`,
    );
    assert.equal(err.condition, "policy-violation");
    assert.match(err.text ?? "", /262144/);
  });

  it("deep nesting gets policy-violation", async () => {
    const err = await sendAfterLogin(
      t,
      `<message to='bob@localhost'>${"<a>".repeat(200)}${"</a>".repeat(200)}</message>`,
    );
    assert.equal(err.condition, "policy-violation");
  });

  it("10 MB with no closing tag: the stream is closed at the limit and memory stays flat", async () => {
    const { client } = await RawClient.login(t, "mallory", "pw-m");
    const before = process.memoryUsage().heapUsed;
    client.send("<message to='bob@localhost'><body>");
    const chunk = "B".repeat(64 * 1024);
    let sent = 0;
    while (sent < 10 * 1024 * 1024 && !client.closed && !client.socket.destroyed) {
      if (!client.socket.write(chunk))
        await new Promise((r) => client.socket.once("drain", r).once("close", r));
      sent += chunk.length;
    }
    const err = await client.expectStreamError();
    assert.equal(err.condition, "policy-violation");
    const grown = process.memoryUsage().heapUsed - before;
    assert.ok(grown < 8 * 1024 * 1024, `heap grew by ${grown} bytes while streaming ${sent} bytes`);
  });

  it("stanza smuggling through namespace tricks: the recipient gets exactly one re-serialised stanza", async () => {
    const b = await RawClient.login(t, "bob", "pw-b", "victim");
    const m = await RawClient.login(t, "mallory", "pw-m");
    // Elements in the stream namespace and prefixed jabber:client stanzas nested in a body:
    // a server relaying bytes could let a lenient client see a second, forged stanza.
    m.client.send(
      "<message to='bob@localhost/victim' id='s1'><body>hi</body>" +
        "<x xmlns='urn:example' xmlns:stream='http://etherx.jabber.org/streams' xmlns:c='jabber:client'>" +
        "<stream:features/><c:message from='admin@localhost' id='forged'><c:body>trust me</c:body></c:message>" +
        "</x></message>",
    );
    const got = await b.client.expect((e) => e.attr("id") === "s1");
    assert.equal(got.attr("from"), m.jid);
    await new Promise((r) => setTimeout(r, 100));
    assert.ok(
      !b.client.received.some((e) => e.attr("id") === "forged"),
      "the nested message is not a stanza",
    );
    const nested = got.getChild("x", "urn:example")!.getChild("message", "jabber:client");
    assert.equal(
      nested?.attr("from"),
      "admin@localhost",
      "it arrives as inert payload, not as a top-level stanza",
    );
    b.client.close();
    m.client.close();
  });

  it("a client that stops reading is disconnected; other clients are unaffected", async () => {
    const t2 = await startServer({ "limits.outbound-queue-bytes": "65536" });
    try {
      await t2.addUser("slow", "pw-s");
      await t2.addUser("fast", "pw-f");
      const slow = await RawClient.login(t2, "slow", "pw-s", "r");
      slow.client.socket.pause();
      const fast = await RawClient.login(t2, "fast", "pw-f");
      const body = "x".repeat(32 * 1024);
      for (let i = 0; i < 600 && t2.server.sessions.countOfUser("slow") > 0; i++) {
        fast.client.send(
          `<message to='slow@localhost/r' type='chat'><body>${body}</body></message>`,
        );
        if (i % 20 === 0) await new Promise((r) => setTimeout(r, 10));
      }
      const deadline = Date.now() + 5000;
      while (t2.server.sessions.countOfUser("slow") > 0 && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 50));
      assert.equal(
        t2.server.sessions.countOfUser("slow"),
        0,
        "the non-reading session was dropped",
      );
      fast.client.send(`<iq type='get' id='still' to='localhost'><ping xmlns='${NS_PING}'/></iq>`);
      await fast.client.expect((e) => e.attr("id") === "still");
      fast.client.close();
    } finally {
      await t2.stop();
    }
  });
});

describe("pre-authentication limits", () => {
  it("unauthenticated connections per address are capped", async () => {
    const t = await startServer({ "limits.unauthenticated-per-address": "2" });
    try {
      const a = await RawClient.connect(t.c2sPort);
      const b = await RawClient.connect(t.c2sPort);
      const c = await RawClient.connect(t.c2sPort);
      const err = await c.expectStreamError();
      assert.equal(err.condition, "policy-violation");
      assert.match(err.text ?? "", /unauthenticated/);
      a.close();
      b.close();
    } finally {
      await t.stop();
    }
  });

  it("a connection that never authenticates is closed with connection-timeout", async () => {
    const t = await startServer({ "limits.auth-seconds": "1" });
    try {
      const c = await RawClient.connect(t.c2sPort);
      c.open();
      await c.expectName("features");
      assert.equal((await c.expectStreamError()).condition, "connection-timeout");
    } finally {
      await t.stop();
    }
  });

  it("a TLS handshake that never happens is cut off, on the direct-TLS port and after STARTTLS", async () => {
    const t = await startServer({
      "limits.tls-handshake-seconds": "1",
      "limits.auth-seconds": "60",
    });
    try {
      const silent = connect({ host: "127.0.0.1", port: t.tlsPort });
      await new Promise<void>((resolve) => silent.once("close", () => resolve()));
      const c = await RawClient.connect(t.c2sPort);
      c.open();
      await c.expectName("features");
      c.send("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
      await c.expectName("proceed");
      await c.expectClosed(); // no ClientHello ever follows
    } finally {
      await t.stop();
    }
  });

  it("connections that never finish a TLS handshake are capped per address too", async () => {
    const t = await startServer({
      "limits.unauthenticated-per-address": "2",
      "limits.tls-handshake-seconds": "30",
    });
    try {
      const open = [
        connect({ host: "127.0.0.1", port: t.tlsPort }),
        connect({ host: "127.0.0.1", port: t.tlsPort }),
      ];
      await Promise.all(open.map((s) => new Promise((r) => s.once("connect", r))));
      await new Promise((r) => setTimeout(r, 100));
      const third = connect({ host: "127.0.0.1", port: t.tlsPort });
      await new Promise<void>((resolve) => third.once("close", () => resolve()));
      assert.ok(!open.some((s) => s.destroyed), "the first two are still open");
      for (const s of open) s.destroy();
      await new Promise((r) => setTimeout(r, 100));
      // Once they are gone, the address may connect again (and log in over direct TLS).
      await t.addUser("again", "pw");
      const c = await RawClient.connect(t.tlsPort, { tls: { ca: t.ca } });
      assert.equal((await c.authenticate("again", "pw")).name, "success");
      c.close();
    } finally {
      await t.stop();
    }
  });
});
