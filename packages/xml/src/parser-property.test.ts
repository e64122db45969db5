// Property tests: serialise → parse is the identity on trees, whatever the text and chunking,
// and no input makes write() throw.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { Element, type XmlNode } from "./element.js";
import { NS_XML } from "./ns.js";
import { parseElement, StreamParser } from "./parser.js";
import { feed, HEADER, split } from "./parser-harness.js";
import { serialize } from "./serialize.js";

const NUM_RUNS = Number(process.env.HATO_FC_RUNS ?? 300);

// Characters XML cannot carry; serialize() turns them into U+FFFD.
const INVALID = /[^\t\n\r\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;
const clean = (s: string) => s.replace(INVALID, "\uFFFD");

const nameStart = fc.constantFrom(..."abcxyzABZ_éΩ日本ñ".split(""), "\u{10400}");
const nameRest = fc.constantFrom(..."abz09.-_·éΩ日".split(""), "\u0301");
const ncname = fc
  .tuple(nameStart, fc.array(nameRest, { maxLength: 6 }))
  .map(([a, rest]) => a + rest.join(""))
  .filter((n) => !/^xml/i.test(n));
const text = fc.oneof(
  fc.string({ unit: "binary", maxLength: 20 }),
  fc.string({
    unit: fc.constantFrom("<", ">", "&", "]", "\r", "\n", "\t", " ", '"', "'", "a"),
    maxLength: 12,
  }),
);
const uri = fc
  .oneof(
    fc.constantFrom(
      "jabber:client",
      "urn:xmpp:ping",
      "http://jabber.org/protocol/disco#info",
      "urn:a}b",
      "urn:é",
    ),
    fc.string({ unit: "grapheme", minLength: 1, maxLength: 12 }),
  )
  .map(clean)
  .filter((u) => u !== NS_XML && u !== "http://www.w3.org/2000/xmlns/");
const nsOrEmpty = fc.oneof(uri, fc.constant(""), fc.constant(NS_XML));

const attrs = fc
  .array(
    fc.tuple(
      fc.oneof(
        ncname,
        fc.constant("xml:lang"),
        ncname.map((n) => `xml:${n}`),
        fc.tuple(uri, ncname).map(([u, n]) => `{${u}}${n}`),
      ),
      text,
    ),
    { maxLength: 4 },
  )
  .map((pairs) => {
    const out: Record<string, string> = {};
    for (const [k, v] of pairs)
      Object.defineProperty(out, k, {
        value: v,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    return out;
  });

const tree = fc.letrec<{ el: Element; node: XmlNode }>((tie) => ({
  el: fc
    .tuple(ncname, nsOrEmpty, attrs, fc.array(tie("node"), { maxLength: 4 }))
    .map(([name, ns, a, children]) => new Element(name, ns, a, children)),
  node: fc.oneof({ depthSize: "small", withCrossShrink: true }, text, tie("el")),
})).el;

/** What a tree should look like after a round trip: text cleaned, merged, empty runs gone. */
function normalise(el: Element): Element {
  const children: XmlNode[] = [];
  for (const c of el.children) {
    if (typeof c === "string") {
      const t = clean(c);
      if (t === "") continue;
      const last = children.length - 1;
      if (typeof children[last] === "string") children[last] += t;
      else children.push(t);
    } else {
      children.push(normalise(c));
    }
  }
  const a: Record<string, string> = {};
  for (const k of Object.keys(el.attrs)) {
    const v = clean(el.attrs[k]!);
    Object.defineProperty(a, k, { value: v, enumerable: true, writable: true, configurable: true });
  }
  return new Element(el.name, el.xmlns, a, children);
}

describe("properties", () => {
  it("parse(serialize(tree)) equals the tree", () => {
    fc.assert(
      fc.property(tree, (el) => {
        assert.deepStrictEqual(parseElement(serialize(el)), normalise(el));
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it("a stream of serialised trees parses the same in any chunking", () => {
    fc.assert(
      fc.property(
        fc.array(tree, { minLength: 1, maxLength: 4 }),
        fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 16 }),
        (trees, sizes) => {
          const doc = Buffer.from(
            HEADER + trees.map((t) => serialize(t, "jabber:client")).join("\n"),
          );
          const whole = feed([doc]);
          assert.deepStrictEqual(feed(split(doc, sizes)), whole);
          const got = whole.flatMap((e) => (e.kind === "stanza" ? [e.el] : []));
          assert.deepStrictEqual(got, trees.map(normalise));
        },
      ),
      { numRuns: NUM_RUNS },
    );
  });

  it("arbitrary bytes never make write() throw, and parse the same in any chunking", () => {
    const alphabet = fc.constantFrom(
      ..."<>/='\"&;#x:![]?- \n\rabmsy".split("").map((c) => c.charCodeAt(0)),
      0xc3,
      0xa9,
      0xe2,
      0x82,
      0xac,
      0xf0,
      0x9f,
      0x80,
      0xff,
      0,
    );
    fc.assert(
      fc.property(
        fc.array(alphabet, { maxLength: 120 }),
        fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 8 }),
        fc.boolean(),
        (arr, sizes, fragments) => {
          const data = Buffer.from(fragments ? arr : [...Buffer.from(HEADER), ...arr]);
          const run = { options: { fragments }, limits: { maxStanzaBytes: 64, maxDepth: 4 } };
          const whole = feed([data], run);
          assert.deepStrictEqual(feed(split(data, sizes), run), whole);
          for (const e of whole) {
            if (e.kind === "stanza") assert.deepStrictEqual(parseElement(serialize(e.el)), e.el);
          }
        },
      ),
      { numRuns: NUM_RUNS * 3 },
    );
  });

  it("mutated stanzas either fail or re-serialise to the same tree", () => {
    const base = Buffer.from(
      "<message xmlns='jabber:client' xmlns:p='urn:p' to='a@b/c' p:x='&amp;'><body>h&#233;llo &lt;</body>" +
        "<![CDATA[<x>]]><p:y xml:lang='en'/></message>",
    );
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(base.length - 1), fc.integer({ min: 0, max: 255 })), {
          minLength: 1,
          maxLength: 3,
        }),
        (edits) => {
          const data = Buffer.from(base);
          for (const [at, v] of edits) data[at] = v;
          let el: Element | undefined;
          try {
            el = parseElement(data);
          } catch (e) {
            assert.match(
              (e as Error).message,
              /^(restricted-xml|not-well-formed|policy-violation): /,
            );
            return;
          }
          assert.deepStrictEqual(parseElement(serialize(el)), el);
        },
      ),
      { numRuns: NUM_RUNS * 3 },
    );
  });

  it("halt() at any stanza leaves later bytes unparsed", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 5 }),
        fc.array(fc.integer({ min: 1, max: 30 }), { minLength: 1 }),
        (at, sizes) => {
          const names: string[] = [];
          const p: StreamParser = new StreamParser({
            streamStart() {},
            stanza(el) {
              names.push(el.name);
              if (names.length === at + 1) p.halt();
            },
            streamEnd() {},
            error() {},
          });
          const doc = Buffer.from(HEADER + "<a0/><a1>x</a1><a2/><a3 b='c'/><a4/><a5/><a6/>");
          for (const c of split(doc, sizes)) p.write(c);
          assert.deepStrictEqual(names, ["a0", "a1", "a2", "a3", "a4", "a5"].slice(0, at + 1));
        },
      ),
      { numRuns: NUM_RUNS },
    );
  });
});
