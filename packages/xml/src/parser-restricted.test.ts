// RFC 6120 §11 restricted XML and XML 1.0 / Namespaces well-formedness: every rule is fatal.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { HEADER, parse, rejects, rejectsStanza, stanza } from "./parser-harness.js";

const FRAG = { options: { fragments: true } };

describe("restricted XML (RFC 6120 §11.1)", () => {
  it("refuses DOCTYPE before the root, with internal or external subsets, and inside stanzas", () => {
    rejects("<!DOCTYPE stream>" + HEADER, "restricted-xml", /DOCTYPE/);
    rejects(
      "<?xml version='1.0'?><!DOCTYPE lolz [<!ENTITY lol 'lol'><!ENTITY lol2 '&lol;&lol;&lol;'>]><lolz>&lol2;</lolz>",
      "restricted-xml",
      /DOCTYPE/,
    );
    rejects(
      "<?xml version='1.0'?><!DOCTYPE foo [<!ENTITY xxe SYSTEM 'file:///etc/passwd'>]><foo>&xxe;</foo>",
      "restricted-xml",
      /DOCTYPE/,
    );
    rejects(
      "<!DOCTYPE html PUBLIC '-//W3C//DTD XHTML 1.0//EN' 'http://x/'><a/>",
      "restricted-xml",
      /DOCTYPE/,
      FRAG,
    );
    rejectsStanza("<message><!DOCTYPE x></message>", "restricted-xml", /DOCTYPE/);
    rejectsStanza("<!DOCTYPE x>", "restricted-xml", /DOCTYPE/);
  });

  it("refuses undeclared entities: billion laughs and XXE without a DTD", () => {
    rejectsStanza(
      "<message><body>&lol9;</body></message>",
      "restricted-xml",
      /&lol9;.*not allowed/,
    );
    rejectsStanza("<message to='&xxe;'/>", "restricted-xml", /&xxe;/);
    rejectsStanza("&lol;", "restricted-xml", /&lol;/);
    rejectsStanza("<message>&nbsp;</message>", "restricted-xml", /&nbsp;/);
    rejectsStanza("<message>&AMP;</message>", "restricted-xml", /&AMP;/);
    rejectsStanza("<message>&a:b;</message>", "restricted-xml");
  });

  it("accepts exactly the five predefined entities", () => {
    const el = stanza("<message a='&lt;&gt;&amp;&quot;&apos;'>&lt;&gt;&amp;&quot;&apos;</message>");
    assert.equal(el.attrs.a, `<>&"'`);
    assert.deepEqual(el.children, [`<>&"'`]);
  });

  it("refuses malformed references", () => {
    rejectsStanza("<message>a & b</message>", "not-well-formed", /'&' must start a reference/);
    rejectsStanza("<message>&amp</message>", "not-well-formed", /malformed entity reference/);
    rejectsStanza("<message a='&'/>", "not-well-formed");
    rejectsStanza("<message>&#;</message>", "not-well-formed", /empty character reference/);
    rejectsStanza("<message>&#x;</message>", "not-well-formed", /empty character reference/);
    rejectsStanza("<message>&#12a;</message>", "not-well-formed", /malformed character reference/);
    rejectsStanza("<message>&#X41;</message>", "not-well-formed", /malformed character reference/);
    rejectsStanza(`<message>&#${"0".repeat(40)}65;</message>`, "not-well-formed", /longer than/);
  });

  it("refuses comments anywhere", () => {
    rejects("<!-- hi -->" + HEADER, "restricted-xml", /comments/);
    rejectsStanza("<!-- keepalive -->", "restricted-xml", /comments/);
    rejectsStanza("<message><!-- x --></message>", "restricted-xml", /comments/);
    rejectsStanza("<message><body>a<!--b--></body></message>", "restricted-xml", /comments/);
  });

  it("refuses processing instructions anywhere", () => {
    rejects("<?xml-stylesheet href='x'?>" + HEADER, "restricted-xml", /processing instructions/);
    rejects("<?php echo 1; ?><a/>", "restricted-xml", /processing instructions/, FRAG);
    rejectsStanza("<?foo?>", "restricted-xml", /processing instructions/);
    rejectsStanza("<message><?foo bar?></message>", "restricted-xml", /processing instructions/);
    rejectsStanza(
      "<message><?xml version='1.0'?></message>",
      "restricted-xml",
      /only allowed at the very start/,
    );
  });

  it("allows the XML declaration only at the very start of a stream", () => {
    assert.equal(parse(HEADER)[0]!.kind, "start");
    assert.equal(
      parse('<?xml version="1.0" encoding="utf-8" standalone=\'yes\' ?><a>')[0]!.kind,
      "start",
    );
    rejects(" " + HEADER, "restricted-xml", /only allowed at the very start/);
    rejects(HEADER + "<?xml version='1.0'?>", "restricted-xml", /only allowed at the very start/);
    rejects("<?xml version='1.0'?><?xml version='1.0'?><a>", "restricted-xml");
    rejects("<?xml version='1.0'?><a/>", "restricted-xml", /only allowed/, FRAG);
  });

  it("refuses declarations of other encodings and versions, and malformed ones", () => {
    rejects(
      "<?xml version='1.0' encoding='ISO-8859-1'?><a>",
      "not-well-formed",
      /encoding ISO-8859-1/,
    );
    rejects("<?xml version='1.0' encoding='UTF-16'?><a>", "not-well-formed", /encoding UTF-16/);
    rejects("<?xml version='1.1'?><a>", "not-well-formed", /version 1.1/);
    rejects("<?xml encoding='UTF-8'?><a>", "not-well-formed", /malformed XML declaration/);
    rejects(
      "<?xml version='1.0' standalone='maybe'?><a>",
      "not-well-formed",
      /malformed XML declaration/,
    );
    rejects("<?xml version='1.0'\u00e9?><a>", "not-well-formed", /malformed XML declaration/);
  });

  it("accepts CDATA sections as text and refuses them between stanzas", () => {
    assert.deepEqual(stanza("<m><![CDATA[<x>&amp;]]></m>").children, ["<x>&amp;"]);
    rejectsStanza("<![CDATA[ ]]>", "not-well-formed", /between stanzas/);
    assert.deepEqual(stanza("<m><![CDATA[x]]]></m>").children, ["x]"]);
    rejectsStanza("<m><![cdata[x]]></m>", "not-well-formed", /malformed markup/);
    rejectsStanza("<m><!ELEMENT x></m>", "not-well-formed", /malformed markup/);
  });
});

describe("character references", () => {
  it("accepts references to XML characters", () => {
    assert.deepEqual(stanza("<m>&#65;&#x42;&#x00043;&#x10FFFF;&#xFFFD;&#9;</m>").children, [
      "ABC\u{10FFFF}\uFFFD\t",
    ]);
  });

  for (const ref of [
    "&#0;",
    "&#x1;",
    "&#x1F;",
    "&#xB;",
    "&#xD800;",
    "&#xDFFF;",
    "&#xFFFE;",
    "&#xFFFF;",
    "&#x110000;",
    "&#99999999999999;",
  ]) {
    it(`refuses ${ref}`, () => {
      rejectsStanza(`<m>${ref}</m>`, "not-well-formed", /not an XML character/);
      rejectsStanza(`<m a='${ref}'/>`, "not-well-formed", /not an XML character/);
    });
  }
});

describe("well-formedness", () => {
  const cases: [string, string, RegExp][] = [
    ["mismatched end tag", "<message></iq>", /end tag <\/iq> does not match <message>/],
    ["interleaved tags", "<a><b></a></b>", /does not match/],
    ["prefix-only mismatch", "<a xmlns:p='u' xmlns:q='u'><p:b></q:b></a>", /does not match/],
    ["end tag whitespace before name", "<a></ a>", /unexpected character U\+0020 after '<\/'/],
    ["duplicate attribute", "<m a='1' a='2'/>", /duplicate attribute a/],
    ["duplicate xmlns", "<m xmlns='a' xmlns='b'/>", /duplicate attribute xmlns/],
    ["duplicate prefix declaration", "<m xmlns:p='a' xmlns:p='a'/>", /duplicate attribute xmlns:p/],
    [
      "duplicate after namespace resolution",
      "<m xmlns:p='u' xmlns:q='u' p:a='1' q:a='2'/>",
      /after namespace resolution/,
    ],
    ["'<' in attribute value", "<m a='<'/>", /'<' is not allowed/],
    ["unquoted attribute", "<m a=1/>", /must be quoted/],
    ["attribute without value", "<m a/>", /expected '='/],
    ["attribute without whitespace", "<m a='1'b='2'/>", /separated by whitespace/],
    ["name starting with a digit", "<1m/>", /unexpected character '1'/],
    ["name starting with '-'", "<m><-x/></m>", /unexpected character/],
    ["attribute name starting with a digit", "<m 1a='x'/>", /unexpected character '1'/],
    ["two colons", "<m a:b:c='1'/>", /invalid attribute name/],
    ["leading colon", "<:m/>", /unexpected character ':'/],
    ["trailing colon", "<m:/>", /invalid element name/],
    ["local part starting with a digit", "<m xmlns:p='u'><p:1/></m>", /invalid element name/],
    ["unbound element prefix", "<foo:m/>", /unbound namespace prefix foo/],
    ["unbound attribute prefix", "<m foo:a='1'/>", /unbound namespace prefix foo/],
    ["prefix out of scope", "<m><a xmlns:p='u'/><p:b/></m>", /unbound namespace prefix p/],
    ["xml prefix rebound", "<m xmlns:xml='urn:other'/>", /xml prefix cannot be bound/],
    ["xmlns prefix declared", "<m xmlns:xmlns='urn:x'/>", /xmlns prefix must not be declared/],
    [
      "prefix bound to the xmlns namespace",
      "<m xmlns:p='http://www.w3.org/2000/xmlns/'/>",
      /xmlns namespace/,
    ],
    [
      "prefix bound to the XML namespace",
      "<m xmlns:p='http://www.w3.org/XML/1998/namespace'/>",
      /XML namespace/,
    ],
    [
      "default bound to the XML namespace",
      "<m xmlns='http://www.w3.org/XML/1998/namespace'/>",
      /XML namespace/,
    ],
    [
      "default bound to the xmlns namespace",
      "<m xmlns='http://www.w3.org/2000/xmlns/'/>",
      /xmlns namespace/,
    ],
    ["xmlns prefix on an element", "<xmlns:m/>", /xmlns prefix is reserved/],
    ["empty prefixed declaration", "<m xmlns:p=''/>", /empty namespace declaration for prefix p/],
    ["']]>' in text", "<m>a]]>b</m>", /']]>' is not allowed/],
    ["slash without '>'", "<m/ >", /expected '>' after '\/'/],
    ["'<' followed by space", "<m>< a/></m>", /unexpected character/],
    ["garbage in end tag", "<m></m x>", /unexpected character 'x' in an end tag/],
    ["stray end tag", "</m>", /does not match <stream:stream>/],
  ];
  for (const [what, doc, text] of cases) {
    it(`refuses ${what}`, () => {
      rejectsStanza(doc, "not-well-formed", text);
    });
  }

  it("refuses end tags with no open element in fragment mode", () => {
    rejects("</a>", "not-well-formed", /end tag without a matching start tag/, FRAG);
    rejects("</stream:stream>", "not-well-formed", /end tag without/);
  });

  it("refuses text between stanzas and before the root, but not whitespace", () => {
    rejectsStanza("hello<message/>", "not-well-formed", /text between stanzas/);
    rejectsStanza("<message/>x", "not-well-formed", /text between stanzas/);
    rejectsStanza("&amp;", "not-well-formed", /text between stanzas/);
    rejectsStanza("&#32;", "not-well-formed", /text between stanzas/);
    rejectsStanza("\u00a0", "not-well-formed", /text between stanzas/);
    rejects("x" + HEADER, "not-well-formed", /text before the stream header/);
    rejects("<a/>x", "not-well-formed", /text outside an element/, FRAG);
    assert.equal(parse(HEADER + " \t\r\n ").length, 1);
  });

  it("refuses control characters, U+FFFE and U+FFFF in text, attributes, CDATA and names", () => {
    for (const bad of [
      "\u0000",
      "\u0001",
      "\u0008",
      "\u000B",
      "\u000C",
      "\u001F",
      "\uFFFE",
      "\uFFFF",
    ]) {
      rejectsStanza(`<m>${bad}</m>`, "not-well-formed", /not allowed in XML/);
      rejectsStanza(`<m a='${bad}'/>`, "not-well-formed", /not allowed in XML/);
      rejectsStanza(`<m><![CDATA[${bad}]]></m>`, "not-well-formed", /not allowed in XML/);
      rejectsStanza(`<m${bad}/>`, "not-well-formed");
    }
    assert.deepEqual(stanza("<m>\u007F\u0085\u00A0</m>").children, ["\u007F\u0085\u00A0"]);
  });
});
