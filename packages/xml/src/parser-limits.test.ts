// Every size, depth and count has a limit, enforced while the bytes arrive.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DEFAULT_LIMITS } from "./limits.js";
import { StreamParser, type XmlStreamError } from "./parser.js";
import { feed, HEADER, parse, rejects, rejectsStanza, split, stanza } from "./parser-harness.js";

const FRAG = { fragments: true };

describe("maxStanzaBytes", () => {
  it("accepts a stanza of exactly the limit and refuses one byte more", () => {
    const msg = "<message><body>xxxx</body></message>"; // 36 bytes
    stanza(msg, { limits: { maxStanzaBytes: msg.length } });
    rejectsStanza(msg, "policy-violation", /^stanza exceeds 35 bytes \(maxStanzaBytes\)$/, {
      limits: { maxStanzaBytes: msg.length - 1 },
    });
  });

  it("counts bytes, not characters, and does not count whitespace between stanzas", () => {
    const msg = "<m>\u00e9\u00e9</m>"; // 11 bytes, 9 characters
    stanza(msg, { limits: { maxStanzaBytes: 11 } });
    rejectsStanza(msg, "policy-violation", /stanza exceeds 10 bytes/, {
      limits: { maxStanzaBytes: 10 },
    });
    const three = `${" ".repeat(100)}<a/>${" ".repeat(100)}<b/>\n<c/>`;
    const events = feed([Buffer.from(HEADER + three)], { limits: { maxStanzaBytes: 4 } });
    assert.deepEqual(
      events.map((e) => e.kind),
      ["start", "stanza", "stanza", "stanza"],
    );
  });

  it("fails at the limit on an endless stanza instead of buffering it", () => {
    let error: XmlStreamError | undefined;
    const parser = new StreamParser({
      streamStart() {},
      stanza() {},
      streamEnd() {},
      error: (e) => {
        error = e;
      },
    });
    parser.write(Buffer.from(HEADER + "<message><body>"));
    const chunk = Buffer.alloc(64 * 1024, "a");
    let fed = 0;
    while (error === undefined && fed < 10 * 1024 * 1024) {
      parser.write(chunk);
      fed += chunk.length;
    }
    assert.deepEqual(error, {
      condition: "policy-violation",
      text: `stanza exceeds ${DEFAULT_LIMITS.maxStanzaBytes} bytes (maxStanzaBytes)`,
    });
    assert.ok(fed <= DEFAULT_LIMITS.maxStanzaBytes + chunk.length, `error only after ${fed} bytes`);
  });

  it("fails at the limit inside a single huge chunk, attribute value or name", () => {
    const huge = Buffer.from(HEADER + "<message a='" + "x".repeat(1 << 20));
    const events = feed([huge]);
    assert.equal(events.at(-1)?.kind, "error");
    rejectsStanza(
      "<m>" + "y".repeat(200) + "</m>",
      "policy-violation",
      /stanza exceeds 100 bytes/,
      {
        limits: { maxStanzaBytes: 100 },
      },
    );
  });

  it("applies to each top-level element in fragment mode", () => {
    rejects("<a/> <b>xxxxxxxxxx</b>", "policy-violation", /stanza exceeds 10 bytes/, {
      limits: { maxStanzaBytes: 10 },
      options: FRAG,
    });
  });
});

describe("maxHeaderBytes", () => {
  it("covers the declaration and the root start tag", () => {
    rejects(HEADER, "policy-violation", /^stream header exceeds 100 bytes \(maxHeaderBytes\)$/, {
      limits: { maxHeaderBytes: 100 },
    });
    const events = feed([Buffer.from(HEADER + "<message/>")], {
      limits: { maxHeaderBytes: HEADER.length },
    });
    assert.deepEqual(
      events.map((e) => e.kind),
      ["start", "stanza"],
    );
  });

  it("stops an endless header or leading whitespace", () => {
    rejects(
      "<stream:stream to='" + "x".repeat(5000),
      "policy-violation",
      /stream header exceeds 4096/,
    );
    rejects(" ".repeat(5000), "policy-violation", /stream header exceeds 4096/);
  });
});

describe("maxDepth", () => {
  it("allows the limit and refuses one level more (the stanza is level 1)", () => {
    const nest = (n: number) => "<a>".repeat(n) + "</a>".repeat(n);
    stanza(nest(4), { limits: { maxDepth: 4 } });
    rejectsStanza(
      nest(5),
      "policy-violation",
      /^elements nested deeper than 4 levels \(maxDepth\)$/,
      {
        limits: { maxDepth: 4 },
      },
    );
    rejectsStanza("<a><a><a><a><a/></a></a></a></a>", "policy-violation", /maxDepth/, {
      limits: { maxDepth: 4 },
    });
  });

  it("stops deep nesting under the default limit before the stanza ends", () => {
    rejectsStanza("<a>".repeat(10000), "policy-violation", /nested deeper than 32/);
  });
});

describe("maxAttributes", () => {
  it("counts namespace declarations too", () => {
    const run = { limits: { maxAttributes: 3 }, options: FRAG };
    assert.equal(parse("<m a='1' b='2' xmlns:p='u'/>", run)[0]!.kind, "stanza");
    rejects(
      "<m a='1' b='2' xmlns:p='u' c='3'/>",
      "policy-violation",
      /more than 3 attributes \(maxAttributes\)/,
      run,
    );
    const many = Array.from({ length: 65 }, (_, k) => `a${k}='${k}'`).join(" ");
    rejectsStanza(`<m ${many}/>`, "policy-violation", /more than 64 attributes/);
  });

  it("applies to the stream root", () => {
    rejects(HEADER, "policy-violation", /more than 2 attributes/, { limits: { maxAttributes: 2 } });
  });
});

describe("maxChildren", () => {
  it("counts element and text children", () => {
    stanza("<m><a/>t<b/></m>", { limits: { maxChildren: 3 } });
    rejectsStanza(
      "<m><a/>t<b/><c/></m>",
      "policy-violation",
      /more than 3 children \(maxChildren\)/,
      {
        limits: { maxChildren: 3 },
      },
    );
    rejectsStanza("<m><a/><b/><c/>t</m>", "policy-violation", /more than 3 children/, {
      limits: { maxChildren: 3 },
    });
    rejectsStanza(`<m>${"<x/>".repeat(1025)}</m>`, "policy-violation", /more than 1024 children/);
  });

  it("does not limit the stanzas of a stream", () => {
    const events = feed([Buffer.from(HEADER + "<a/>".repeat(50))], { limits: { maxChildren: 3 } });
    assert.equal(events.length, 51);
  });
});

describe("maxNameLength", () => {
  it("limits element and attribute names in characters", () => {
    stanza(`<${"n".repeat(16)} ${"a".repeat(16)}='v'/>`, { limits: { maxNameLength: 16 } });
    rejectsStanza(
      `<${"n".repeat(17)}/>`,
      "policy-violation",
      /^name longer than 16 characters \(maxNameLength\)$/,
      {
        limits: { maxNameLength: 16 },
      },
    );
    rejectsStanza(`<m ${"a".repeat(17)}='v'/>`, "policy-violation", /maxNameLength/, {
      limits: { maxNameLength: 16 },
    });
    rejectsStanza(`<m><${"n".repeat(300)}/></m>`, "policy-violation", /name longer than 256/);
    rejectsStanza(`<m></${"n".repeat(300)}>`, "not-well-formed", /does not match <m>/);
    stanza(`<${"é".repeat(16)}/>`, { limits: { maxNameLength: 16 } });
    rejectsStanza(`<${"é".repeat(17)}/>`, "policy-violation", /maxNameLength/, {
      limits: { maxNameLength: 16 },
    });
  });

  it("stops a name that never ends", () => {
    rejectsStanza(`<${"n".repeat(100000)}`, "policy-violation", /name longer than 256/);
  });
});

describe("memory", () => {
  it("keeps only the unfinished token and a short text run between chunks", () => {
    const parser = new StreamParser({ streamStart() {}, stanza() {}, streamEnd() {}, error() {} });
    const internals = parser as unknown as { carry: Uint8Array | null; text: string };
    parser.write(Buffer.from(HEADER + "<message><body>"));
    for (let k = 0; k < 1000; k++) {
      parser.write(Buffer.from("text é "));
      assert.ok(
        (internals.carry?.length ?? 0) < 256 + 8,
        `carried ${internals.carry?.length} bytes`,
      );
    }
    const kept = Buffer.from(internals.carry ?? []).toString("utf8");
    assert.equal(internals.text + kept, "text é ".repeat(1000));
  });

  it("does not build a rope of tiny strings from byte-by-byte text", () => {
    const events = feed(split(Buffer.from(HEADER + "<m>" + "x".repeat(5000) + "</m>"), [1]));
    assert.equal(events.at(-1)?.kind, "stanza");
  });
});
