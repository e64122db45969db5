// RFC 6120 §4-§5 transcripts: stream headers, features, STARTTLS, stream errors.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { NS_SASL, NS_SASL_CB, NS_TLS } from "@hato/xml";
import { RawClient, startServer, type TestServer } from "../support/inproc.js";

describe("RFC 6120 streams", () => {
  let t: TestServer;
  before(async () => {
    t = await startServer();
  });
  after(() => t.stop());

  it("client opens a plaintext stream; server offers only STARTTLS, required, and no SASL", async () => {
    const c = await RawClient.connect(t.c2sPort);
    c.open();
    const features = await c.expectName("features");
    assert.equal(c.streamHeader?.attr("from"), "localhost");
    assert.equal(c.streamHeader?.attr("version"), "1.0");
    assert.ok(c.streamHeader?.attr("id"));
    const starttls = features.getChild("starttls", NS_TLS);
    assert.ok(starttls?.getChild("required"), "STARTTLS must be required");
    assert.equal(
      features.getChild("mechanisms", NS_SASL),
      undefined,
      "no SASL before TLS, so PLAIN is never offered in plaintext",
    );
    c.close();
  });

  it("client skips STARTTLS and tries to authenticate; server refuses with policy-violation", async () => {
    const c = await RawClient.connect(t.c2sPort);
    c.open();
    await c.expectName("features");
    c.send(`<auth xmlns='${NS_SASL}' mechanism='PLAIN'>AGFsaWNlAHB3</auth>`);
    const err = await c.expectStreamError();
    assert.equal(err.condition, "policy-violation");
    assert.match(err.text ?? "", /STARTTLS is required/);
    await c.expectClosed();
  });

  it("after STARTTLS the server offers SCRAM with -PLUS variants, PLAIN, and XEP-0440 channel-binding types", async () => {
    const c = await RawClient.connect(t.c2sPort);
    await c.starttls(t.ca);
    c.open();
    const features = await c.expectName("features");
    const mechs = features
      .getChild("mechanisms", NS_SASL)!
      .getChildren("mechanism")
      .map((m) => m.text());
    for (const m of [
      "SCRAM-SHA-256-PLUS",
      "SCRAM-SHA-1-PLUS",
      "SCRAM-SHA-256",
      "SCRAM-SHA-1",
      "PLAIN",
    ]) {
      assert.ok(mechs.includes(m), `${m} offered (got ${mechs.join(" ")})`);
    }
    const types = features
      .getChild("sasl-channel-binding", NS_SASL_CB)!
      .getChildren("channel-binding")
      .map((b) => b.attr("type"));
    assert.ok(types.includes("tls-exporter") || types.includes("tls-server-end-point"));
    c.close();
  });

  it("direct TLS (XEP-0368) starts with SASL features and negotiates ALPN xmpp-client", async () => {
    const c = await RawClient.connect(t.tlsPort, { tls: { ca: t.ca } });
    assert.equal((c.socket as import("node:tls").TLSSocket).alpnProtocol, "xmpp-client");
    c.open();
    const features = await c.expectName("features");
    assert.ok(features.getChild("mechanisms", NS_SASL));
    c.close();
  });

  it("plaintext pipelined after <starttls/> in the same packet is discarded (STARTTLS command injection)", async () => {
    await t.addUser("inject", "secret-pw");
    const c = await RawClient.connect(t.c2sPort);
    c.open();
    await c.expectName("features");
    // An attacker on the path appends a PLAIN auth in cleartext; it must never be processed.
    c.send(
      `<starttls xmlns='${NS_TLS}'/><auth xmlns='${NS_SASL}' mechanism='PLAIN'>${Buffer.from("\0inject\0secret-pw").toString("base64")}</auth>`,
    );
    await c.expectName("proceed");
    c.socket.removeAllListeners("data");
    const tls = await import("node:tls");
    const secure = tls.connect({ socket: c.socket, ca: t.ca, servername: "localhost" });
    await new Promise((r, j) => {
      secure.once("secureConnect", r);
      secure.once("error", j);
    });
    // The TLS handshake succeeded, so the injected bytes were not fed to TLS either; a new
    // stream must start unauthenticated, with SASL features.
    let text = "";
    secure.on("data", (d) => {
      text += d.toString();
    });
    secure.write(
      "<stream:stream to='localhost' version='1.0' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>",
    );
    await new Promise((r) => setTimeout(r, 300));
    assert.match(text, /<mechanisms/);
    assert.doesNotMatch(text, /<success/);
    secure.destroy();
  });

  it("a stream to a domain this server does not host gets host-unknown", async () => {
    const c = await RawClient.connect(t.c2sPort);
    c.open("example.org");
    const err = await c.expectStreamError();
    assert.equal(err.condition, "host-unknown");
    await c.expectClosed();
  });

  it("a stream without version 1.0 gets unsupported-version", async () => {
    const c = await RawClient.connect(t.c2sPort);
    c.send(
      "<stream:stream to='localhost' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>",
    );
    assert.equal((await c.expectStreamError()).condition, "unsupported-version");
  });

  it("a root element in the wrong namespace gets invalid-namespace", async () => {
    const c = await RawClient.connect(t.c2sPort);
    c.send("<stream:stream to='localhost' version='1.0' xmlns:stream='urn:wrong'>");
    assert.equal((await c.expectStreamError()).condition, "invalid-namespace");
  });

  it("the client's closing tag is answered with the server's", async () => {
    const c = await RawClient.connect(t.c2sPort);
    c.open();
    await c.expectName("features");
    c.send("</stream:stream>");
    await c.expectClosed();
  });

  it("a second STARTTLS on an encrypted stream gets <failure/> and the stream closes", async () => {
    const c = await RawClient.connect(t.tlsPort, { tls: { ca: t.ca } });
    c.open();
    await c.expectName("features");
    c.send(`<starttls xmlns='${NS_TLS}'/>`);
    await c.expect((e) => e.name === "failure" && e.xmlns === NS_TLS, "TLS failure");
    await c.expectClosed();
  });
});
