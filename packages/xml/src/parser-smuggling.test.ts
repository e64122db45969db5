// Stanza smuggling through namespace and prefix tricks (the 2022 Zoom XMPP bugs and kin).
//
// The parser resolves every name per Namespaces in XML, so the tree has one meaning; the server
// re-serialises that tree, and re-parsing the output must give the same tree again.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Element } from "./element.js";
import { NS_CLIENT } from "./ns.js";
import { parseElement } from "./parser.js";
import { feed, HEADER, rejectsStanza, STREAM_NS, stanza, stanzas } from "./parser-harness.js";
import { serialize } from "./serialize.js";

/** Serialises each stanza as the server would and checks the recipient sees the same tree. */
function roundTrips(list: Element[]): void {
  for (const el of list) {
    const out = serialize(el, NS_CLIENT);
    const again = stanzas(HEADER + out);
    assert.equal(again.length, 1, `one stanza out of ${out}`);
    assert.deepEqual(again[0], el, `re-parse of ${out}`);
    assert.deepEqual(parseElement(serialize(el)), el);
  }
}

describe("namespace tricks cannot open, close or forge stream elements", () => {
  it("a <stream:stream> inside a stanza is just a child element", () => {
    const list = stanzas(
      HEADER +
        "<message to='victim@example.com'><body>hi</body><stream:stream to='evil' version='1.0'/></message>" +
        "<iq id='after'/>",
    );
    assert.deepEqual(
      list.map((s) => s.name),
      ["message", "iq"],
    );
    const inner = list[0]!.getChild("stream")!;
    assert.equal(inner.xmlns, STREAM_NS);
    roundTrips(list);
  });

  it("an end tag of the stream inside a stanza does not close the stream", () => {
    rejectsStanza(
      "<message></stream:stream><iq/></message>",
      "not-well-formed",
      /does not match <message>/,
    );
  });

  it("rebinding the stream prefix inside a stanza only affects that stanza", () => {
    const list = stanzas(
      HEADER +
        "<message xmlns:stream='urn:fake'><stream:stream><stream:features/></stream:stream></message>" +
        "<stream:features/>",
    );
    assert.equal(list[0]!.getChild("stream")!.xmlns, "urn:fake");
    assert.equal(list[0]!.getChild("stream")!.getChild("features")!.xmlns, "urn:fake");
    assert.equal(list[1]!.name, "features");
    assert.equal(list[1]!.xmlns, STREAM_NS);
    roundTrips(list);
  });

  it("stanza names in unexpected namespaces keep their real namespace", () => {
    const list = stanzas(
      HEADER +
        "<message xmlns='jabber:server' from='admin@example.com'/>" +
        "<x:message xmlns:x='jabber:client'/>" +
        "<stream:message/>" +
        "<message xmlns=''/>" +
        "<iq xmlns='urn:evil'><query xmlns='jabber:iq:roster'/></iq>",
    );
    assert.deepEqual(
      list.map((s) => [s.name, s.xmlns]),
      [
        ["message", "jabber:server"],
        ["message", NS_CLIENT],
        ["message", STREAM_NS],
        ["message", ""],
        ["iq", "urn:evil"],
      ],
    );
    roundTrips(list);
  });

  it("a default-namespace change inside a stanza is scoped to it", () => {
    const list = stanzas(
      HEADER +
        "<message><x xmlns='http://etherx.jabber.org/streams'><features/></x></message><message/>",
    );
    assert.equal(list[0]!.getChild("x")!.getChild("features")!.xmlns, STREAM_NS);
    assert.equal(list[1]!.xmlns, NS_CLIENT);
    roundTrips(list);
  });

  it("the same local name under different prefixes for one URI is one attribute", () => {
    rejectsStanza(
      "<message xmlns:a='urn:x' xmlns:b='urn:x' a:to='admin@example.com' b:to='victim@example.com'/>",
      "not-well-formed",
      /duplicate attribute \{urn:x\}to after namespace resolution/,
    );
  });

  it("a prefixed 'to' is not the stanza's 'to'", () => {
    const el = stanza(
      "<message xmlns:p='jabber:client' p:to='admin@example.com' to='user@example.com'/>",
    );
    assert.equal(el.attrs.to, "user@example.com");
    assert.equal(el.attrs["{jabber:client}to"], "admin@example.com");
    roundTrips([el]);
  });

  it("namespace URIs containing '}' , quotes, '<' or non-ASCII survive the round trip", () => {
    const list = stanzas(
      HEADER +
        "<message xmlns:p='urn:a}b' p:c='1' xmlns:q='urn:&quot;&lt;&gt;&apos;é' q:d='2'>" +
        "<p:x xmlns='urn:}'/></message>",
    );
    assert.deepEqual(list[0]!.attrs, { "{urn:a}b}c": "1", "{urn:\"<>'é}d": "2" });
    roundTrips(list);
  });

  it("xml:lang and look-alike attributes stay distinct", () => {
    const el = stanza(
      "<message xml:lang='en' xmlns:x='http://www.w3.org/XML/1998/namespac' x:lang='de' lang='fr'/>",
    );
    assert.deepEqual(el.attrs, {
      "xml:lang": "en",
      "{http://www.w3.org/XML/1998/namespac}lang": "de",
      lang: "fr",
    });
    roundTrips([el]);
  });

  it("an element in the XML namespace round-trips with its built-in prefix (found by fuzzing)", () => {
    const el = stanza("<message><xml:x><y/></xml:x></message>");
    assert.equal(el.getChild("x")!.xmlns, "http://www.w3.org/XML/1998/namespace");
    assert.equal(el.getChild("x")!.getChild("y")!.xmlns, NS_CLIENT);
    roundTrips([el]);
  });

  it("whitespace and line ends in attributes and text survive the round trip", () => {
    const list = stanzas(
      HEADER + "<message id='a&#10;b&#13;c&#9;d'><body>x&#13;\ny\r\nz</body></message>",
    );
    assert.equal(list[0]!.attrs.id, "a\nb\rc\td");
    assert.deepEqual(list[0]!.getChild("body")!.children, ["x\r\ny\nz"]);
    roundTrips(list);
  });

  it("after an error nothing more is delivered, so no half-parsed stanza leaks", () => {
    const events = feed([Buffer.from(HEADER + "<message><body>&evil;</body></message><message/>")]);
    assert.deepEqual(
      events.map((e) => e.kind),
      ["start", "error"],
    );
  });
});
