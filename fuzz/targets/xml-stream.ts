// Fuzz target: the RFC 6120 restricted-XML stream parser (@hato/xml StreamParser).
//
// Each input is parsed in stream mode and in fragment mode, with default and with tight
// limits, once whole and once in chunks derived from the input. Invariants (any violation
// throws, which Jazzer reports as a finding):
// - write() never throws;
// - the events do not depend on the chunking;
// - nothing follows error() or streamEnd(), and error() comes at most once;
// - every stanza re-serialises and re-parses to an equal tree.
import { isDeepStrictEqual } from "node:util";
import {
  type Element,
  type ParserLimits,
  parseElement,
  StreamParser,
  serialize,
  type XmlStreamError,
} from "@hato/xml";

type Event = ["start", Element] | ["stanza", Element] | ["end"] | ["error", XmlStreamError];

const TIGHT: Partial<ParserLimits> = {
  maxStanzaBytes: 96,
  maxHeaderBytes: 128,
  maxDepth: 3,
  maxAttributes: 3,
  maxChildren: 3,
  maxNameLength: 6,
};

function run(chunks: Uint8Array[], fragments: boolean, limits: Partial<ParserLimits>): Event[] {
  const events: Event[] = [];
  let closed = false;
  const check = () => {
    if (closed) throw new Error("event after error() or streamEnd()");
  };
  const parser = new StreamParser(
    {
      streamStart: (el) => {
        check();
        events.push(["start", el]);
      },
      stanza: (el) => {
        check();
        events.push(["stanza", el]);
      },
      streamEnd: () => {
        check();
        closed = true;
        events.push(["end"]);
      },
      error: (err) => {
        check();
        closed = true;
        events.push(["error", err]);
      },
    },
    limits,
    { fragments },
  );
  for (const c of chunks) parser.write(c);
  return events;
}

/** Chunk sizes 1..16 from a PRNG seeded with a hash of the input. */
function chunk(data: Uint8Array): Uint8Array[] {
  let h = 0x811c9dc5;
  for (const b of data) h = Math.imul(h ^ b, 0x01000193);
  const out: Uint8Array[] = [];
  for (let o = 0; o < data.length; ) {
    h ^= h << 13;
    h ^= h >>> 17;
    h ^= h << 5;
    const n = 1 + ((h >>> 0) % 16);
    out.push(data.subarray(o, o + n));
    o += n;
  }
  return out;
}

export function fuzz(data: Buffer): void {
  const chunks = chunk(data);
  for (const fragments of [false, true]) {
    for (const limits of [{}, TIGHT]) {
      const whole = run([data], fragments, limits);
      const pieces = run(chunks, fragments, limits);
      if (!isDeepStrictEqual(whole, pieces)) throw new Error("chunking changed the parse");
      for (const e of whole) {
        if (e[0] !== "stanza") continue;
        const text = serialize(e[1]);
        const again = parseElement(text);
        if (!isDeepStrictEqual(again, e[1]))
          throw new Error(`round trip changed the tree: ${text}`);
      }
    }
  }
}
