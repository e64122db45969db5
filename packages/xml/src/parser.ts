// RFC 6120 §11 restricted-XML stream parser: bytes in, namespace-resolved stanzas out.
//
// The public face: StreamParser (write, halt, reset and the handler contract) and
// parseElement. The state machine is in tokenizer.ts, the tree and its limits in tree.ts.

import { asBytes, concatBytes } from "./chars.js";
import type { Element } from "./element.js";
import type { XmlErrorCondition, XmlStreamError } from "./failure.js";
import { XmlFailure } from "./failure.js";
import type { ParserLimits } from "./limits.js";
import { Tokenizer } from "./tokenizer.js";
import { TOP } from "./tree.js";

export type { XmlErrorCondition, XmlStreamError };

/** Callbacks of a StreamParser; all run synchronously inside write(). */
export interface StreamHandlers {
  /** Stream mode: the root start tag (no children, namespace declarations not in attrs). */
  streamStart(root: Element): void;
  /** Each complete depth-1 element (stream mode) or top-level element (fragment mode). */
  stanza(el: Element): void;
  /** Stream mode: the root end tag; everything after it is ignored. */
  streamEnd(): void;
  /** A fatal error: the parser ignores further input until reset(). */
  error(err: XmlStreamError): void;
}

/** Parser options. */
export interface ParserOptions {
  /** No root element: every top-level element is a stanza (RFC 7395 framing, parseElement). */
  fragments?: boolean;
}

/**
 * Incremental parser for one XML stream (or, with `fragments`, a sequence of top-level
 * elements). Feed it bytes with write(); it calls the handlers as elements complete.
 */
export class StreamParser extends Tokenizer {
  private stopped = false;
  private busy = false;
  private queue: Uint8Array[] = [];

  constructor(
    handlers: StreamHandlers,
    limits: Partial<ParserLimits> = {},
    options: ParserOptions = {},
  ) {
    super(handlers, limits, options);
    this.reset();
  }

  /** Parses the next bytes of the stream. Never throws for bad input (error() is called). */
  write(chunk: Uint8Array): void {
    if (this.busy) {
      // Called from a handler: parse after the current chunk, in order.
      if (!this.stopped) this.queue.push(chunk);
      return;
    }
    if (this.stopped) return;
    this.busy = true;
    try {
      this.feed(chunk);
      while (this.queue.length > 0 && !this.stopped) this.feed(this.queue.shift()!);
    } finally {
      this.busy = false;
    }
  }

  /**
   * Discards the rest of the current chunk and all later input until reset(). Safe to call
   * from a handler: after <starttls/>, pipelined plaintext is never parsed.
   */
  halt(): void {
    this.stopped = true;
    this.gen++;
    this.carry = null;
    this.queue = [];
  }

  /**
   * Starts a fresh stream (after STARTTLS or SASL success), forgetting all state and buffered
   * bytes. Called from a handler, it also discards the rest of the current chunk.
   */
  reset(): void {
    this.gen++;
    this.stopped = false;
    this.queue = [];
    this.resetTokenizer();
  }

  /** True while an element or construct is incomplete (read by parseElement). */
  // biome-ignore lint/correctness/noUnusedPrivateClassMembers: parseElement reads it by index
  private get pending(): boolean {
    return this.els.length > 0 || this.state !== TOP || this.carry !== null;
  }

  private feed(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    let buf = asBytes(chunk);
    if (this.carry !== null) {
      buf = concatBytes(this.carry, buf);
      this.carry = null;
    }
    const gen = this.gen;
    try {
      this.run(buf, gen);
    } catch (e) {
      if (this.gen !== gen) throw e;
      this.halt();
      if (e instanceof XmlFailure) this.h.error({ condition: e.condition, text: e.text });
      else throw e;
    }
  }

  /** The stream is closed: ignore whatever follows. */
  protected finish(): void {
    this.halt();
  }
}

/**
 * Parses one standalone element (whitespace around it allowed). Throws an Error whose message
 * is "condition: text" on any error, or when the input is not exactly one element.
 */
export function parseElement(text: string | Uint8Array, limits?: Partial<ParserLimits>): Element {
  let bytes: Uint8Array;
  if (typeof text === "string") {
    if (/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(text)) {
      throw new Error("not-well-formed: lone surrogate in input string");
    }
    bytes = new TextEncoder().encode(text);
  } else {
    bytes = text;
  }
  const found: Element[] = [];
  let error: XmlStreamError | undefined;
  const parser = new StreamParser(
    {
      streamStart() {},
      streamEnd() {},
      stanza(el) {
        found.push(el);
      },
      error(err) {
        error = err;
      },
    },
    limits,
    { fragments: true },
  );
  parser.write(bytes);
  if (error !== undefined) throw new Error(`${error.condition}: ${error.text}`);
  if (parser["pending"]) throw new Error("not-well-formed: incomplete element");
  if (found.length !== 1)
    throw new Error(`not-well-formed: expected one element, found ${found.length}`);
  return found[0]!;
}
