// The web client shows other people's text as text: only http(s) URLs become links, bidi
// overrides are dropped, and a megabyte of text is split in linear time.

import assert from "node:assert/strict";
import { test } from "node:test";
import { cutText, stripBidiControls } from "@hato/web/text/clean.js";
import { linkify, safeHref } from "@hato/web/text/linkify.js";

test("http and https URLs become links, with trailing punctuation left as text", () => {
  assert.deepEqual(linkify("see https://example.org/a?b=1, or http://x.test."), [
    { kind: "text", text: "see " },
    { kind: "link", text: "https://example.org/a?b=1", href: "https://example.org/a?b=1" },
    { kind: "text", text: ", or " },
    { kind: "link", text: "http://x.test", href: "http://x.test/" },
    { kind: "text", text: "." },
  ]);
});

test("a closing bracket stays in the URL only when the URL opened one", () => {
  const [, link] = linkify("(see https://en.wikipedia.org/wiki/Foo_(bar))");
  assert.deepEqual(link, {
    kind: "link",
    text: "https://en.wikipedia.org/wiki/Foo_(bar)",
    href: "https://en.wikipedia.org/wiki/Foo_(bar)",
  });
});

test("javascript:, data:, other schemes and markup stay text", () => {
  for (const text of [
    "javascript:alert(1)",
    "JaVaScRiPt:alert(document.cookie)",
    "data:text/html,<script>alert(1)</script>",
    "<script>alert(1)</script>",
    '<a href="javascript:alert(1)">x</a>',
    "vbscript:msgbox",
    "ftp://example.org/file",
    "xhttps://example.org",
  ]) {
    assert.deepEqual(linkify(text), [{ kind: "text", text }], text);
  }
});

test("URLs with credentials, without a host, or too long stay text", () => {
  assert.equal(safeHref("https://user:pw@example.org/"), undefined);
  assert.equal(safeHref("https://"), undefined);
  assert.equal(safeHref("javascript://example.org/%0aalert(1)"), undefined);
  const long = `https://example.org/${"a".repeat(3000)}`;
  assert.deepEqual(linkify(long), [{ kind: "text", text: long }]);
});

test("a URL cannot carry markup or quotes into the href", () => {
  const segs = linkify('https://example.org/"><img src=x onerror=alert(1)>');
  assert.deepEqual(segs[0], {
    kind: "link",
    text: "https://example.org/",
    href: "https://example.org/",
  });
  assert.ok(segs.slice(1).every((s) => s.kind === "text"));
});

test("bidi embedding, override and isolate controls are removed", () => {
  const spoof = "invoice\u202Egnp.exe \u202A\u202B\u202C\u202D\u2066\u2067\u2068\u2069done";
  const clean = stripBidiControls(spoof);
  assert.equal(clean, "invoicegnp.exe done");
  assert.doesNotMatch(clean, /[\u202A-\u202E\u2066-\u2069]/);
});

test("cutText never splits a surrogate pair", () => {
  assert.equal(cutText("ab😀cd", 3), "ab");
  assert.equal(cutText("ab😀cd", 4), "ab😀");
  assert.equal(cutText("short", 10), "short");
});

test("a megabyte of text, URLs or near-URLs, is split quickly and loses nothing", () => {
  const inputs = [
    "a".repeat(1 << 20),
    "https://".repeat(1 << 17),
    "http://x.org/(".repeat(1 << 16),
    `https://example.org/${")".repeat(1 << 20)}`,
    "https://a.b/ ".repeat(80_000),
    ".".repeat(1 << 20),
  ];
  for (const text of inputs) {
    const segs = linkify(text);
    assert.equal(segs.map((s) => s.text).join(""), text);
  }
});
