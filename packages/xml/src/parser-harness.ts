// Test helpers for the parser: run a document through StreamParser and check that the result
// does not depend on how the bytes were split into chunks.

import assert from "node:assert/strict";
import type { Element } from "./element.js";
import type { ParserLimits } from "./limits.js";
import {
  type ParserOptions,
  StreamParser,
  type XmlErrorCondition,
  type XmlStreamError,
} from "./parser.js";

export type ParseEvent =
  | { kind: "start"; el: Element }
  | { kind: "stanza"; el: Element }
  | { kind: "end" }
  | { kind: "error"; err: XmlStreamError };

export const STREAM_NS = "http://etherx.jabber.org/streams";
/** A client stream header as a client would send it. */
export const HEADER =
  "<?xml version='1.0'?><stream:stream xmlns='jabber:client' " +
  "xmlns:stream='http://etherx.jabber.org/streams' to='example.com' version='1.0' xml:lang='en'>";

export interface RunOptions {
  limits?: Partial<ParserLimits>;
  options?: ParserOptions;
}

/** Feeds the chunks to a fresh parser and records every callback. */
export function feed(chunks: Iterable<Uint8Array>, run: RunOptions = {}): ParseEvent[] {
  const events: ParseEvent[] = [];
  const parser = new StreamParser(
    {
      streamStart: (el) => events.push({ kind: "start", el }),
      stanza: (el) => events.push({ kind: "stanza", el }),
      streamEnd: () => events.push({ kind: "end" }),
      error: (err) => events.push({ kind: "error", err }),
    },
    run.limits,
    run.options,
  );
  for (const c of chunks) parser.write(c);
  return events;
}

export function bytes(doc: string | Uint8Array): Uint8Array {
  return typeof doc === "string" ? Buffer.from(doc, "utf8") : doc;
}

/** Splits bytes at the given sizes (cycled). */
export function split(data: Uint8Array, sizes: number[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  let k = 0;
  for (let o = 0; o < data.length; k++) {
    const size = Math.max(1, sizes[k % sizes.length]!);
    out.push(data.subarray(o, o + size));
    o += size;
  }
  return out;
}

/** A small deterministic PRNG so chunkings are reproducible. */
export function prng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 0x100000000;
  };
}

/**
 * Parses a document whole, byte by byte and in several random chunkings; asserts all give the
 * same events and returns them.
 */
export function parse(doc: string | Uint8Array, run: RunOptions = {}): ParseEvent[] {
  const data = bytes(doc);
  const whole = feed([data], run);
  assert.deepStrictEqual(feed(split(data, [1]), run), whole, "byte-by-byte differs from whole");
  for (let seed = 1; seed <= 3; seed++) {
    const rnd = prng(seed);
    const sizes = Array.from({ length: 64 }, () => 1 + Math.floor(rnd() * 17));
    assert.deepStrictEqual(
      feed(split(data, sizes), run),
      whole,
      `chunking ${seed} differs from whole`,
    );
  }
  return whole;
}

/** The stanzas of a document that must parse without error. */
export function stanzas(doc: string | Uint8Array, run: RunOptions = {}): Element[] {
  const events = parse(doc, run);
  const err = events.find((e) => e.kind === "error");
  assert.equal(err, undefined, `unexpected error: ${JSON.stringify(err)}`);
  return events.flatMap((e) => (e.kind === "stanza" ? [e.el] : []));
}

/** One stanza inside a client stream. */
export function stanza(xmlText: string, run: RunOptions = {}): Element {
  const got = stanzas(HEADER + xmlText, run);
  assert.equal(got.length, 1, "expected exactly one stanza");
  return got[0]!;
}

/** Asserts the document fails with this condition and a text matching the pattern. */
export function rejects(
  doc: string | Uint8Array,
  condition: XmlErrorCondition,
  text?: RegExp,
  run: RunOptions = {},
): XmlStreamError {
  const events = parse(doc, run);
  const errors = events.filter((e) => e.kind === "error");
  assert.equal(errors.length, 1, `expected one error, got events ${JSON.stringify(events)}`);
  assert.equal(events[events.length - 1]!.kind, "error", "the error must be the last event");
  const err = (errors[0] as { err: XmlStreamError }).err;
  assert.equal(err.condition, condition, `wrong condition; text: ${err.text}`);
  if (text) assert.match(err.text, text);
  return err;
}

/** Like rejects(), for a stanza inside a client stream. */
export function rejectsStanza(
  xmlText: string | Uint8Array,
  condition: XmlErrorCondition,
  text?: RegExp,
  run: RunOptions = {},
): XmlStreamError {
  const doc =
    typeof xmlText === "string"
      ? HEADER + xmlText
      : Buffer.concat([Buffer.from(HEADER), Buffer.from(xmlText)]);
  return rejects(doc, condition, text, run);
}
