import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Element, xml } from "./element.js";
import { NS_CLIENT, NS_XML } from "./ns.js";
import { parseElement, type StreamHandlers, StreamParser, type XmlStreamError } from "./parser.js";
import { HEADER, parse, STREAM_NS, stanza, stanzas } from "./parser-harness.js";
import { serialize } from "./serialize.js";

describe("StreamParser: a client stream", () => {
  it("reports the root, each stanza and the end", () => {
    const events = parse(
      HEADER +
        "\n  <message to='juliet@example.com' type='chat' id='m1'><body>Hi &amp; bye</body></message>\n" +
        "<iq type='get' id='p'><ping xmlns='urn:xmpp:ping'/></iq> </stream:stream>",
    );
    assert.deepEqual(
      events.map((e) => e.kind),
      ["start", "stanza", "stanza", "end"],
    );
    const root = (events[0] as { el: Element }).el;
    assert.equal(root.name, "stream");
    assert.equal(root.xmlns, STREAM_NS);
    assert.deepEqual(root.attrs, { to: "example.com", version: "1.0", "xml:lang": "en" });
    assert.deepEqual(root.children, []);
    const msg = (events[1] as { el: Element }).el;
    assert.deepEqual(
      msg,
      new Element("message", NS_CLIENT, { to: "juliet@example.com", type: "chat", id: "m1" }, [
        new Element("body", NS_CLIENT, {}, ["Hi & bye"]),
      ]),
    );
    const iq = (events[2] as { el: Element }).el;
    assert.equal(iq.getChild("ping")?.xmlns, "urn:xmpp:ping");
  });

  it("resolves stream-prefixed stanzas to the streams namespace", () => {
    const el = stanza(
      "<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/></stream:features>",
    );
    assert.equal(el.name, "features");
    assert.equal(el.xmlns, STREAM_NS);
    assert.equal(
      el.children[0] instanceof Element && el.children[0].xmlns,
      "urn:ietf:params:xml:ns:xmpp-tls",
    );
  });

  it("accepts a stream without XML declaration, a BOM before it, and self-closing root", () => {
    const plain =
      "<stream:stream xmlns:stream='http://etherx.jabber.org/streams' xmlns='jabber:server'>";
    assert.deepEqual(
      parse(plain).map((e) => e.kind),
      ["start"],
    );
    const bom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(HEADER)]);
    assert.deepEqual(
      parse(bom).map((e) => e.kind),
      ["start"],
    );
    assert.deepEqual(
      parse("<stream:stream xmlns:stream='http://etherx.jabber.org/streams'/><message/>").map(
        (e) => e.kind,
      ),
      ["start", "end"],
    );
  });

  it("ignores whitespace keepalives and everything after the root end tag", () => {
    const events = parse(
      HEADER + " \n\t\r\n <presence/>\n\n</stream:stream><message>junk & <! garbage",
    );
    assert.deepEqual(
      events.map((e) => e.kind),
      ["start", "stanza", "end"],
    );
  });

  it("merges text across references, CDATA and chunk boundaries into one string", () => {
    const el = stanza(
      "<message><body>a &lt;b&gt; <![CDATA[<c> & ]]]]>d&#x1F600;e\r\nf\rg</body></message>",
    );
    assert.deepEqual(el.getChild("body")!.children, ["a <b> <c> & ]]d\u{1F600}e\nf\ng"]);
  });

  it("keeps whitespace text inside stanzas and drops empty CDATA", () => {
    const el = stanza("<message>\n  <body>x</body><![CDATA[]]>\n</message>");
    assert.deepEqual(el.children, ["\n  ", new Element("body", NS_CLIENT, {}, ["x"]), "\n"]);
  });

  it("normalises attribute whitespace but not character references (XML 1.0 §3.3.3)", () => {
    const el = stanza("<message id='a\tb\nc\r\nd\re' x='&#9;&#10;&#13;'/>");
    assert.equal(el.attrs.id, "a b c d e");
    assert.equal(el.attrs.x, "\t\n\r");
  });

  it("accepts both quote styles, whitespace around '=' and in end tags", () => {
    const el = stanza(`<message a = "it's" b= '"q"' ></message >`);
    assert.deepEqual(el.attrs, { a: "it's", b: '"q"' });
  });

  it("delivers an attribute named __proto__ as a normal attribute", () => {
    const el = stanza("<message __proto__='x' constructor='y'/>");
    assert.equal(Object.getPrototypeOf(el.attrs), Object.prototype);
    assert.equal(el.attr("__proto__"), "x");
    assert.equal(el.attr("constructor"), "y");
    assert.deepEqual(Object.keys(el.attrs), ["__proto__", "constructor"]);
  });

  it("accepts non-ASCII names", () => {
    const el = stanza("<message><données xmlns='urn:x' é·1='v'>t</données></message>");
    const child = el.getChild("données")!;
    assert.equal(child.xmlns, "urn:x");
    assert.equal(child.attrs["é·1"], "v");
  });
});

describe("StreamParser: namespaces", () => {
  it("inherits the default namespace and prefixes from the stream root", () => {
    const el = stanza("<iq><query xmlns='jabber:iq:roster'><item/></query><stream:error/></iq>");
    assert.equal(el.xmlns, NS_CLIENT);
    const query = el.getChild("query")!;
    assert.equal(query.getChild("item")!.xmlns, "jabber:iq:roster");
    assert.equal(el.getChild("error")!.xmlns, STREAM_NS);
  });

  it("stores prefixed attributes in Clark notation and keeps xml:*", () => {
    const el = stanza(
      "<message xmlns:a='urn:a' xmlns:b='urn:b' a:x='1' b:x='2' x='3' xml:lang='de' xml:space='preserve'/>",
    );
    assert.deepEqual(el.attrs, {
      "{urn:a}x": "1",
      "{urn:b}x": "2",
      x: "3",
      "xml:lang": "de",
      "xml:space": "preserve",
    });
  });

  it("resolves a prefix declared after its use on the same element", () => {
    const el = stanza("<p:message p:a='1' xmlns:p='urn:p'/>");
    assert.equal(el.xmlns, "urn:p");
    assert.deepEqual(el.attrs, { "{urn:p}a": "1" });
  });

  it("puts unprefixed attributes in no namespace and lets xmlns='' undeclare the default", () => {
    const el = stanza("<message><x xmlns=''><y/></x></message>");
    const x = el.getChild("x")!;
    assert.equal(x.xmlns, "");
    assert.equal(x.getChild("y")!.xmlns, "");
  });

  it("scopes a prefix rebinding to its element", () => {
    const el = stanza("<message xmlns:p='urn:1'><a xmlns:p='urn:2'><p:b/></a><p:c/></message>");
    assert.equal(el.getChild("a")!.getChild("b")!.xmlns, "urn:2");
    assert.equal(el.getChild("c")!.xmlns, "urn:1");
  });

  it("allows xmlns:xml bound to its own namespace and the xml prefix on elements", () => {
    const el = stanza(`<message xmlns:xml='${NS_XML}'><xml:x/></message>`);
    assert.equal(el.getChild("x")!.xmlns, NS_XML);
  });
});

describe("StreamParser: control", () => {
  function recorder(onStanza?: (el: Element, p: StreamParser) => void) {
    const log: string[] = [];
    let parser!: StreamParser;
    const handlers: StreamHandlers = {
      streamStart: (el) => log.push(`start:${el.name}`),
      stanza: (el) => {
        log.push(`stanza:${el.name}`);
        onStanza?.(el, parser);
      },
      streamEnd: () => log.push("end"),
      error: (e) => log.push(`error:${e.condition}`),
    };
    parser = new StreamParser(handlers);
    return { log, parser };
  }

  it("halt() inside a handler drops the rest of the chunk (STARTTLS injection)", () => {
    const { log, parser } = recorder((el, p) => {
      if (el.name === "starttls") p.halt();
    });
    parser.write(
      Buffer.from(
        HEADER +
          "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/><message to='x'><body>injected</body></message>",
      ),
    );
    parser.write(Buffer.from("<message/>"));
    assert.deepEqual(log, ["start:stream", "stanza:starttls"]);
    parser.reset();
    parser.write(Buffer.from(HEADER + "<iq/>"));
    assert.deepEqual(log.slice(2), ["start:stream", "stanza:iq"]);
  });

  it("reset() forgets partial UTF-8 sequences, partial tags and open elements", () => {
    const { log, parser } = recorder();
    parser.write(Buffer.from(HEADER + "<message><body>caf"));
    parser.write(Buffer.from([0xc3])); // first byte of é
    parser.reset();
    parser.write(Buffer.from(HEADER + "<iq/>"));
    assert.deepEqual(log, ["start:stream", "start:stream", "stanza:iq"]);
    parser.reset();
    parser.write(Buffer.from(HEADER + "<mess"));
    parser.reset();
    parser.write(Buffer.from("age/>")); // not a continuation: text before the stream header
    assert.deepEqual(log.slice(-2), ["start:stream", "error:not-well-formed"]);
  });

  it("reset() inside a handler discards the rest of the chunk and later writes parse anew", () => {
    const { log, parser } = recorder((el, p) => {
      if (el.name === "success") {
        p.reset();
        p.write(Buffer.from(HEADER + "<iq/>"));
      }
    });
    parser.write(Buffer.from(HEADER + "<success/><message/>"));
    assert.deepEqual(log, ["start:stream", "stanza:success", "start:stream", "stanza:iq"]);
  });

  it("stops for good after an error until reset()", () => {
    const { log, parser } = recorder();
    parser.write(Buffer.from(HEADER + "<message><!-- x --></message>"));
    parser.write(Buffer.from("<iq/>"));
    assert.deepEqual(log, ["start:stream", "error:restricted-xml"]);
    parser.reset();
    parser.write(Buffer.from(HEADER + "<iq/>"));
    assert.deepEqual(log.slice(2), ["start:stream", "stanza:iq"]);
  });

  it("queues a write made from a handler after the current chunk", () => {
    const { log, parser } = recorder((el, p) => {
      if (el.name === "a") p.write(Buffer.from("<c/>"));
    });
    parser.write(Buffer.from(HEADER + "<a/><b/>"));
    assert.deepEqual(log, ["start:stream", "stanza:a", "stanza:b", "stanza:c"]);
  });

  it("lets a handler's exception through and halts", () => {
    const { log, parser } = recorder(() => {
      throw new Error("boom");
    });
    assert.throws(() => parser.write(Buffer.from(HEADER + "<a/><b/>")), /boom/);
    parser.write(Buffer.from("<c/>"));
    assert.deepEqual(log, ["start:stream", "stanza:a"]);
  });

  it("accepts plain Uint8Array chunks and empty chunks", () => {
    const { log, parser } = recorder();
    const data = new TextEncoder().encode(HEADER + "<message/>");
    parser.write(new Uint8Array(0));
    parser.write(data.subarray(0, 10));
    parser.write(data.subarray(10));
    assert.deepEqual(log, ["start:stream", "stanza:message"]);
  });
});

describe("fragment mode and parseElement", () => {
  it("delivers every top-level element (RFC 7395 framing)", () => {
    const events = parse(
      "<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to='example.com' version='1.0'/> " +
        "<message xmlns='jabber:client'><body>x</body></message><close xmlns='urn:ietf:params:xml:ns:xmpp-framing'/>",
      { options: { fragments: true } },
    );
    assert.deepEqual(
      events.map((e) => (e.kind === "stanza" ? e.el.name : e.kind)),
      ["open", "message", "close"],
    );
  });

  it("parses one element with whitespace around it", () => {
    const el = parseElement(
      "  \n<iq xmlns='jabber:client' type='get'><ping xmlns='urn:xmpp:ping'/></iq>\n",
    );
    assert.deepEqual(
      el,
      xml("iq", { xmlns: NS_CLIENT, type: "get" }, xml("ping", { xmlns: "urn:xmpp:ping" })),
    );
    assert.deepEqual(parseElement(Buffer.from("<a>é</a>")).children, ["é"]);
  });

  it("throws with condition and text on errors, several or incomplete elements", () => {
    assert.throws(() => parseElement("<a>&x;</a>"), /^Error: restricted-xml: entity reference &x;/);
    assert.throws(() => parseElement("<a/><b/>"), /not-well-formed: expected one element, found 2/);
    assert.throws(() => parseElement(""), /not-well-formed: expected one element, found 0/);
    assert.throws(() => parseElement("<a><b/>"), /not-well-formed: incomplete element/);
    assert.throws(() => parseElement("<a/><"), /not-well-formed: incomplete element/);
    assert.throws(() => parseElement("<a/>x"), /not-well-formed: text outside an element/);
    assert.throws(() => parseElement("<a>\uD800</a>"), /not-well-formed: lone surrogate/);
    assert.throws(() => parseElement("<?xml version='1.0'?><a/>"), /restricted-xml/);
    assert.throws(
      () => parseElement("<a>xxxxxxxxxx</a>", { maxStanzaBytes: 8 }),
      /policy-violation: stanza exceeds 8 bytes/,
    );
  });

  it("round-trips a parsed stanza through serialize()", () => {
    const list = stanzas(
      HEADER +
        "<message xmlns:x='urn:x' x:a='1&amp;2' xml:lang='fr'><body>é &lt; \r ]]&gt;</body><x:y/></message>",
    );
    for (const el of list) assert.deepEqual(parseElement(serialize(el)), el);
  });
});

describe("error reporting", () => {
  it("passes the condition and text to error()", () => {
    let got: XmlStreamError | undefined;
    const p = new StreamParser({
      streamStart() {},
      stanza() {},
      streamEnd() {},
      error(e) {
        got = e;
      },
    });
    p.write(Buffer.from("<!DOCTYPE x>"));
    assert.deepEqual(got, {
      condition: "restricted-xml",
      text: "DOCTYPE declarations are not allowed",
    });
  });
});
