// The tree side of the stream parser: element stack, namespace scopes, limits on depth and
// children, and delivery of the root and of each stanza to the handlers.
//
// StreamParser (parser.ts) extends this class: the tokenizer and the tree share one object, so
// the hot loop calls these methods without indirection.

import { decodeUtf8 } from "./chars.js";
import type { Element } from "./element.js";
import { fail } from "./failure.js";
import { DEFAULT_LIMITS, type ParserLimits } from "./limits.js";
import { buildElement, NsScope } from "./namespaces.js";
import type { ParserOptions, StreamHandlers } from "./parser.js";

/** Tokenizer state outside stanzas: before the root, between stanzas, between fragments. */
export const TOP = 0;
/** Tokenizer state for character data inside a stanza. */
export const TEXT = 1;

export abstract class TreeBuilder {
  protected readonly h: StreamHandlers;
  protected readonly lim: ParserLimits;
  protected readonly fragments: boolean;
  /** Stack index of a stanza: 1 in stream mode (under the root), 0 in fragment mode. */
  protected readonly base: number;
  /** Absolute offset where the running byte budget (header or stanza) runs out. */
  protected budgetEnd = Number.POSITIVE_INFINITY;
  protected headerDone = false;
  /** Bumped by halt(), reset() and the stream's end so a running write() knows to stop. */
  protected gen = 0;

  protected readonly els: Element[] = [];
  protected readonly qnames: string[] = [];
  protected readonly scope = new NsScope();
  /** Character data of the current element not yet added as a child. */
  protected text = "";
  /** The start tag being read: its QName and raw attributes. */
  protected tagName = "";
  protected readonly attrNames: string[] = [];
  protected readonly attrValues: string[] = [];
  protected nAttrs = 0;

  constructor(handlers: StreamHandlers, limits: Partial<ParserLimits>, options: ParserOptions) {
    this.h = handlers;
    const lim: ParserLimits = { ...DEFAULT_LIMITS };
    for (const key of Object.keys(DEFAULT_LIMITS) as (keyof ParserLimits)[]) {
      const v = limits[key];
      if (v !== undefined) lim[key] = v;
    }
    this.lim = lim;
    this.fragments = options.fragments === true;
    this.base = this.fragments ? 0 : 1;
  }

  /** The stream is closed or the parser halted: ignore whatever follows. */
  protected abstract finish(): void;

  /** Forgets every open element and pending text (reset()). */
  protected clearTree(): void {
    this.headerDone = this.fragments;
    this.budgetEnd = this.fragments ? Number.POSITIVE_INFINITY : this.lim.maxHeaderBytes;
    this.els.length = 0;
    this.qnames.length = 0;
    this.scope.clear();
    this.text = "";
    this.nAttrs = 0;
  }

  /** Checks that the end tag's QName (bytes [start, end)) matches the open element's. */
  protected checkEndName(buf: Uint8Array, start: number, end: number): void {
    const expected = this.qnames[this.qnames.length - 1]!;
    let same = end - start === expected.length;
    // Byte-wise only for ASCII: "aÂ·" must not match the bytes of "a·".
    for (let k = 0; same && k < expected.length; k++) {
      const b = buf[start + k]!;
      same = b < 0x80 && b === expected.charCodeAt(k);
    }
    if (!same && decodeUtf8(buf, start, end) !== expected) {
      fail(
        "not-well-formed",
        `end tag </${decodeUtf8(buf, start, end)}> does not match <${expected}>`,
      );
    }
  }

  /** Refuses a child that would nest deeper than maxDepth (the stanza is level 1). */
  protected checkNesting(): void {
    if (this.els.length - this.base + 1 > this.lim.maxDepth) {
      fail(
        "policy-violation",
        `elements nested deeper than ${this.lim.maxDepth} levels (maxDepth)`,
      );
    }
  }

  /** Ends a start tag: builds the element and delivers the root or a stanza. Returns the next state. */
  protected open(selfClosing: boolean): number {
    const depth = this.els.length;
    if (depth > this.base) {
      const parent = this.els[depth - 1]!;
      if (parent.children.length >= this.lim.maxChildren) this.tooManyChildren();
    }
    const el = buildElement(this.scope, this.tagName, this.attrNames, this.attrValues, this.nAttrs);
    this.nAttrs = 0;
    if (depth > this.base) this.els[depth - 1]!.children.push(el);
    if (depth === 0 && !this.fragments) {
      this.headerDone = true;
      this.budgetEnd = Number.POSITIVE_INFINITY;
      if (selfClosing) {
        this.scope.end();
        this.finish();
        const gen = this.gen;
        this.h.streamStart(el);
        if (this.gen === gen) this.h.streamEnd();
        return TOP;
      }
      this.els.push(el);
      this.qnames.push(this.tagName);
      this.h.streamStart(el);
      return TOP;
    }
    if (!selfClosing) {
      this.els.push(el);
      this.qnames.push(this.tagName);
      return TEXT;
    }
    this.scope.end();
    if (depth !== this.base) return TEXT;
    this.budgetEnd = Number.POSITIVE_INFINITY;
    this.h.stanza(el);
    return TOP;
  }

  /** Ends an element at its end tag. Returns the next state. */
  protected close(): number {
    const el = this.els.pop()!;
    this.qnames.pop();
    this.scope.end();
    const depth = this.els.length;
    if (depth === 0 && !this.fragments) {
      this.finish();
      this.h.streamEnd();
      return TOP;
    }
    if (depth !== this.base) return TEXT;
    this.budgetEnd = Number.POSITIVE_INFINITY;
    this.h.stanza(el);
    return TOP;
  }

  /** Adds the pending character data to the open element as one text child. */
  protected pushText(): void {
    if (this.text.length === 0) return;
    const el = this.els[this.els.length - 1]!;
    if (el.children.length >= this.lim.maxChildren) this.tooManyChildren();
    el.children.push(this.text);
    this.text = "";
  }

  protected tooManyChildren(): never {
    return fail(
      "policy-violation",
      `element has more than ${this.lim.maxChildren} children (maxChildren)`,
    );
  }
}
