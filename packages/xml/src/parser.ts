// RFC 6120 §11 restricted-XML stream parser: bytes in, namespace-resolved stanzas out.
//
// A resumable state machine over bytes. Each byte is examined once; at the end of a chunk only
// the unfinished token (a name, a reference, a partial UTF-8 sequence) is carried over, while
// text and attribute values are decoded and appended as they go. Byte budgets are enforced by
// never scanning past the budget's end, so an endless stanza fails at the limit.

import {
  ATTR_PLAIN,
  asBytes,
  CDATA_PLAIN,
  concatBytes,
  copyBytes,
  decodeAscii,
  decodeCodePoint,
  decodeUtf8,
  INCOMPLETE,
  isNameCharCp,
  isNameStartCp,
  NAME_CHAR,
  NAME_START,
  TEXT_PLAIN,
} from "./chars.js";
import type { Element } from "./element.js";
import { codePointName, fail, XmlFailure } from "./failure.js";
import type { XmlErrorCondition, XmlStreamError } from "./failure.js";
import { DEFAULT_LIMITS, type ParserLimits } from "./limits.js";
import { nameCache, valueCache } from "./intern.js";
import { buildElement, NsScope } from "./namespaces.js";
import { REF_INCOMPLETE, parseReference } from "./references.js";

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

// States of the machine.
const TOP = 0; // outside stanzas: before the root, between stanzas, between fragments
const TEXT = 1; // character data inside a stanza
const START_NAME = 2;
const IN_TAG = 3; // inside a start tag, between attributes
const ATTR_NAME = 4;
const ATTR_EQ = 5;
const ATTR_QUOTE = 6;
const ATTR_VALUE = 7;
const END_NAME = 8;
const END_TAIL = 9;
const CDATA = 10;
const XML_DECL = 11;

// What `<!` introduces.
const BANG_NEED = 0;
const BANG_CDATA = 1;
const BANG_COMMENT = 2;
const BANG_DOCTYPE = 3;
const BANG_OTHER = 4;

const XML_DECL_RE =
  /^<\?xml[ \t\r\n]+version[ \t\r\n]*=[ \t\r\n]*(?:"([^"]*)"|'([^']*)')(?:[ \t\r\n]+encoding[ \t\r\n]*=[ \t\r\n]*(?:"([A-Za-z][\w.-]*)"|'([A-Za-z][\w.-]*)'))?(?:[ \t\r\n]+standalone[ \t\r\n]*=[ \t\r\n]*(?:"(?:yes|no)"|'(?:yes|no)'))?[ \t\r\n]*\?>$/;

function charString(cp: number): string {
  return cp < 0x10000 ? String.fromCharCode(cp) : String.fromCodePoint(cp);
}

/**
 * Incremental parser for one XML stream (or, with `fragments`, a sequence of top-level
 * elements). Feed it bytes with write(); it calls the handlers as elements complete.
 */
export class StreamParser {
  private readonly h: StreamHandlers;
  private readonly lim: ParserLimits;
  private readonly maxNameBytes: number;
  private readonly fragments: boolean;
  /** Stack index of a stanza: 1 in stream mode (under the root), 0 in fragment mode. */
  private readonly base: number;

  private state = TOP;
  /** Where to resume in the next buffer, which starts with the carried-over bytes. */
  private resume = 0;
  private carry: Uint8Array | null = null;
  /** Absolute stream offset of the next buffer's first byte. */
  private bufAbs = 0;
  /** Absolute offset where the running byte budget (header or stanza) runs out. */
  private budgetEnd = Number.POSITIVE_INFINITY;
  private headerDone = false;
  /** Absolute offset where an XML declaration may stand (after an optional BOM). */
  private declAt = 0;
  private stopped = false;
  private busy = false;
  /** Bumped by halt(), reset() and the stream's end so a running write() knows to stop. */
  private gen = 0;
  private queue: Uint8Array[] = [];

  private readonly els: Element[] = [];
  private readonly qnames: string[] = [];
  private readonly scope = new NsScope();
  private text = "";
  private tagName = "";
  private readonly attrNames: string[] = [];
  private readonly attrValues: string[] = [];
  private nAttrs = 0;
  private sawSpace = false;
  private quote = 0;
  private value = "";

  constructor(handlers: StreamHandlers, limits: Partial<ParserLimits> = {}, options: ParserOptions = {}) {
    this.h = handlers;
    const lim: ParserLimits = { ...DEFAULT_LIMITS };
    for (const key of Object.keys(DEFAULT_LIMITS) as (keyof ParserLimits)[]) {
      const v = limits[key];
      if (v !== undefined) lim[key] = v;
    }
    this.lim = lim;
    this.maxNameBytes = lim.maxNameLength * 4;
    this.fragments = options.fragments === true;
    this.base = this.fragments ? 0 : 1;
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
    this.state = TOP;
    this.resume = 0;
    this.carry = null;
    this.bufAbs = 0;
    this.headerDone = this.fragments;
    this.budgetEnd = this.fragments ? Number.POSITIVE_INFINITY : this.lim.maxHeaderBytes;
    this.declAt = 0;
    this.els.length = 0;
    this.qnames.length = 0;
    this.scope.clear();
    this.text = "";
    this.nAttrs = 0;
    this.value = "";
  }

  /** True while an element or construct is incomplete (read by parseElement). */
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

  private endFor(n: number): number {
    const e = this.budgetEnd - this.bufAbs;
    return e < n ? e : n;
  }

  // The state machine. Every `break loop` means "need more input" with `i` at the first byte
  // not yet consumed and `mark` at the first byte that must be kept (mark <= i).
  private run(buf: Uint8Array, gen: number): void {
    const n = buf.length;
    let i = this.resume;
    let mark = 0;
    let state = this.state;
    let end = this.endFor(n);
    let nonAscii = false;
    loop: for (;;) {
      switch (state) {
        case TEXT: {
          for (;;) {
            while (i < end && TEXT_PLAIN[buf[i]!] === 1) i++;
            if (i >= end) break;
            const c = buf[i]!;
            if (c === 0x3c) break;
            if (c >= 0x80) {
              const r = decodeCodePoint(buf, i, end);
              if (r === INCOMPLETE) break;
              this.checkChar(buf, i, r);
              nonAscii = true;
              i += r & 7;
            } else if (c === 0x26) {
              const r = parseReference(buf, i, end);
              if (r === REF_INCOMPLETE) break;
              if (i > mark) this.text += nonAscii ? decodeUtf8(buf, mark, i) : decodeAscii(buf, mark, i);
              this.text += charString(r >> 6);
              i += r & 63;
              mark = i;
              nonAscii = false;
            } else if (c === 0x0d) {
              if (i + 1 >= end) break;
              if (i > mark) this.text += nonAscii ? decodeUtf8(buf, mark, i) : decodeAscii(buf, mark, i);
              this.text += "\n";
              i += buf[i + 1] === 0x0a ? 2 : 1;
              mark = i;
              nonAscii = false;
            } else if (c === 0x5d) {
              // "]]>" may not appear in character data.
              if (i + 2 >= end) break;
              if (buf[i + 1] === 0x5d && buf[i + 2] === 0x3e) {
                fail("not-well-formed", "']]>' is not allowed in character data");
              }
              i++;
            } else {
              fail("not-well-formed", `control character ${codePointName(c)} is not allowed in XML`);
            }
          }
          if (i > mark) {
            // Short runs (whitespace, "away", "chat") are shared; longer ones decoded once.
            if (this.text === "") this.text = valueCache.decode(buf, mark, i);
            else this.text += nonAscii ? decodeUtf8(buf, mark, i) : decodeAscii(buf, mark, i);
          }
          mark = i;
          nonAscii = false;
          if (i >= end || buf[i] !== 0x3c || i + 1 >= end) break loop;
          const c1 = buf[i + 1]!;
          if (c1 === 0x2f) {
            this.pushText();
            state = END_NAME;
            i += 2;
            mark = i;
            continue loop;
          }
          if (c1 === 0x21) {
            const kind = this.bang(buf, i, end, true);
            if (kind === BANG_NEED) break loop;
            state = CDATA;
            i += 9;
            mark = i;
            continue loop;
          }
          if (c1 === 0x3f) {
            if (i + 5 >= end) break loop; // enough to tell a misplaced XML declaration
            this.pi(buf, i);
          }
          this.checkTagStart(c1);
          this.pushText();
          this.checkNesting();
          state = START_NAME;
          i++;
          mark = i;
          continue loop;
        }

        case TOP: {
          while (i < end) {
            const c = buf[i]!;
            if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) i++;
            else if (c === 0x3c) break;
            else if (c === 0xef && !this.headerDone && this.bufAbs + i === 0) {
              // A UTF-8 byte order mark may open the stream.
              if (i + 2 >= end) break;
              if (buf[i + 1] !== 0xbb || buf[i + 2] !== 0xbf) this.strayText();
              i += 3;
              this.declAt = 3;
            } else if (c === 0x26) {
              // Classify it (an undeclared entity is restricted-xml), then refuse it anyway.
              if (parseReference(buf, i, end) === REF_INCOMPLETE) break;
              this.strayText();
            } else {
              this.strayText();
            }
          }
          mark = i;
          if (i >= end || buf[i] !== 0x3c || i + 1 >= end) break loop;
          const c1 = buf[i + 1]!;
          if (c1 === 0x2f) {
            if (this.fragments || this.els.length !== 1) {
              fail("not-well-formed", "end tag without a matching start tag");
            }
            state = END_NAME;
            i += 2;
            mark = i;
            continue loop;
          }
          if (c1 === 0x21) {
            if (this.bang(buf, i, end, false) === BANG_NEED) break loop;
          }
          if (c1 === 0x3f) {
            if (i + 5 >= end) break loop;
            if (!this.headerDone && this.bufAbs + i === this.declAt) {
              if (this.isXmlDeclStart(buf, i)) {
                state = XML_DECL;
                i += 6;
                continue loop;
              }
            }
            this.pi(buf, i);
          }
          this.checkTagStart(c1);
          if (this.els.length === this.base) {
            this.budgetEnd = this.bufAbs + i + this.lim.maxStanzaBytes;
            end = this.endFor(n);
          }
          state = START_NAME;
          i++;
          mark = i;
          continue loop;
        }

        case START_NAME: {
          const r = this.scanName(buf, i, end, mark);
          if (r < 0 || r >= end) {
            i = r < 0 ? ~r : r;
            break loop;
          }
          i = r;
          this.tagName = this.qname(buf, mark, i, "element");
          this.nAttrs = 0;
          this.sawSpace = false;
          state = IN_TAG;
          continue loop;
        }

        case IN_TAG: {
          while (i < end) {
            const c = buf[i]!;
            if (c === 0x20 || c === 0x0a || c === 0x09 || c === 0x0d) {
              this.sawSpace = true;
              i++;
              continue;
            }
            if (c === 0x3e || c === 0x2f) {
              if (c === 0x2f) {
                if (i + 1 >= end) break;
                if (buf[i + 1] !== 0x3e) fail("not-well-formed", "expected '>' after '/' in a tag");
                i++;
              }
              i++;
              state = this.open(c === 0x2f);
              if (this.gen !== gen) return;
              end = this.endFor(n);
              mark = i;
              continue loop;
            }
            if (NAME_START[c] !== 1 && c !== 0x3a) {
              if (c < 0x80) this.unexpected(c, "in a start tag");
              const r = decodeCodePoint(buf, i, end);
              if (r === INCOMPLETE) break;
              this.checkChar(buf, i, r);
              if (!isNameStartCp(r >> 3)) this.unexpected(r >> 3, "in a start tag");
            }
            if (!this.sawSpace) fail("not-well-formed", "attributes must be separated by whitespace");
            if (this.nAttrs >= this.lim.maxAttributes) {
              fail(
                "policy-violation",
                `element has more than ${this.lim.maxAttributes} attributes (maxAttributes)`,
              );
            }
            state = ATTR_NAME;
            mark = i;
            continue loop;
          }
          mark = i;
          break loop;
        }

        case ATTR_NAME: {
          const r = this.scanName(buf, i, end, mark);
          if (r < 0 || r >= end) {
            i = r < 0 ? ~r : r;
            break loop;
          }
          i = r;
          this.attrNames[this.nAttrs] = this.qname(buf, mark, i, "attribute");
          state = ATTR_EQ;
          continue loop;
        }

        case ATTR_EQ:
        case ATTR_QUOTE: {
          while (i < end) {
            const c = buf[i]!;
            if (c === 0x20 || c === 0x0a || c === 0x09 || c === 0x0d) {
              i++;
            } else if (state === ATTR_EQ) {
              if (c !== 0x3d) fail("not-well-formed", `expected '=' after attribute ${this.attrNames[this.nAttrs]}`);
              i++;
              state = ATTR_QUOTE;
            } else {
              if (c !== 0x22 && c !== 0x27) {
                fail("not-well-formed", `value of attribute ${this.attrNames[this.nAttrs]} must be quoted`);
              }
              this.quote = c;
              this.value = "";
              i++;
              mark = i;
              state = ATTR_VALUE;
              continue loop;
            }
          }
          mark = i;
          break loop;
        }

        case ATTR_VALUE: {
          const q = this.quote;
          for (;;) {
            while (i < end && ATTR_PLAIN[buf[i]!] === 1) i++;
            if (i >= end) break;
            const c = buf[i]!;
            if (c === q) break;
            if (c === 0x22 || c === 0x27) {
              i++;
            } else if (c >= 0x80) {
              const r = decodeCodePoint(buf, i, end);
              if (r === INCOMPLETE) break;
              this.checkChar(buf, i, r);
              nonAscii = true;
              i += r & 7;
            } else if (c === 0x26 || c === 0x09 || c === 0x0a || c === 0x0d) {
              // References are expanded; literal whitespace is normalised to a space (XML §3.3.3).
              let s = " ";
              let len = 1;
              if (c === 0x26) {
                const r = parseReference(buf, i, end);
                if (r === REF_INCOMPLETE) break;
                s = charString(r >> 6);
                len = r & 63;
              } else if (c === 0x0d) {
                if (i + 1 >= end) break;
                if (buf[i + 1] === 0x0a) len = 2;
              }
              if (i > mark) this.value += nonAscii ? decodeUtf8(buf, mark, i) : decodeAscii(buf, mark, i);
              this.value += s;
              i += len;
              mark = i;
              nonAscii = false;
            } else if (c === 0x3c) {
              fail("not-well-formed", "'<' is not allowed in an attribute value");
            } else {
              fail("not-well-formed", `control character ${codePointName(c)} is not allowed in XML`);
            }
          }
          if (i >= end || buf[i] !== q) {
            if (i > mark) this.value += nonAscii ? decodeUtf8(buf, mark, i) : decodeAscii(buf, mark, i);
            mark = i;
            nonAscii = false;
            break loop;
          }
          if (this.value === "") {
            this.attrValues[this.nAttrs++] = valueCache.decode(buf, mark, i);
          } else {
            if (i > mark) this.value += nonAscii ? decodeUtf8(buf, mark, i) : decodeAscii(buf, mark, i);
            this.attrValues[this.nAttrs++] = this.value;
            this.value = "";
          }
          nonAscii = false;
          this.sawSpace = false;
          i++;
          mark = i;
          state = IN_TAG;
          continue loop;
        }

        case END_NAME: {
          const r = this.scanName(buf, i, end, mark);
          if (r < 0 || r >= end) {
            i = r < 0 ? ~r : r;
            break loop;
          }
          i = r;
          if (i === mark) this.unexpected(buf[i]!, "after '</'");
          this.checkEndName(buf, mark, i);
          state = END_TAIL;
          continue loop;
        }

        case END_TAIL: {
          while (i < end) {
            const c = buf[i]!;
            if (c === 0x20 || c === 0x0a || c === 0x09 || c === 0x0d) {
              i++;
              continue;
            }
            if (c !== 0x3e) this.unexpected(c, "in an end tag");
            i++;
            state = this.close();
            if (this.gen !== gen) return;
            end = this.endFor(n);
            mark = i;
            continue loop;
          }
          mark = i;
          break loop;
        }

        case CDATA: {
          for (;;) {
            while (i < end && CDATA_PLAIN[buf[i]!] === 1) i++;
            if (i >= end) break;
            const c = buf[i]!;
            if (c === 0x5d) {
              if (i + 2 >= end) break;
              if (buf[i + 1] === 0x5d && buf[i + 2] === 0x3e) {
                if (i > mark) this.text += nonAscii ? decodeUtf8(buf, mark, i) : decodeAscii(buf, mark, i);
                nonAscii = false;
                i += 3;
                mark = i;
                state = TEXT;
                continue loop;
              }
              i++;
            } else if (c >= 0x80) {
              const r = decodeCodePoint(buf, i, end);
              if (r === INCOMPLETE) break;
              this.checkChar(buf, i, r);
              nonAscii = true;
              i += r & 7;
            } else if (c === 0x0d) {
              if (i + 1 >= end) break;
              if (i > mark) this.text += nonAscii ? decodeUtf8(buf, mark, i) : decodeAscii(buf, mark, i);
              this.text += "\n";
              i += buf[i + 1] === 0x0a ? 2 : 1;
              mark = i;
              nonAscii = false;
            } else {
              fail("not-well-formed", `control character ${codePointName(c)} is not allowed in XML`);
            }
          }
          if (i > mark) this.text += nonAscii ? decodeUtf8(buf, mark, i) : decodeAscii(buf, mark, i);
          mark = i;
          nonAscii = false;
          break loop;
        }

        case XML_DECL: {
          // `mark` stays on the declaration's '<': it is kept whole and checked at '?>'.
          while (i < end) {
            const c = buf[i]!;
            if (c === 0x3f && i + 1 < end && buf[i + 1] === 0x3e) {
              i += 2;
              this.xmlDecl(decodeAscii(buf, mark, i));
              state = TOP;
              mark = i;
              continue loop;
            }
            if (c === 0x3f && i + 1 >= end) break;
            if (c >= 0x80 || c < 0x20) {
              if (c !== 0x20 && c !== 0x0a && c !== 0x09 && c !== 0x0d) {
                fail("not-well-formed", "malformed XML declaration");
              }
            }
            i++;
          }
          break loop;
        }
      }
    }

    // Out of input, or out of budget.
    if (end < n) this.overBudget();
    this.state = state;
    this.resume = i - mark;
    this.bufAbs += mark;
    this.carry = mark < n ? copyBytes(buf, mark, n) : null;
  }

  /** Scans name characters; returns the first position after the name, or ~i if a UTF-8 sequence is cut. */
  private scanName(buf: Uint8Array, i: number, end: number, start: number): number {
    const stop = Math.min(end, start + this.maxNameBytes + 1);
    while (i < stop) {
      const c = buf[i]!;
      if (c < 0x80) {
        if (NAME_CHAR[c] === 1) {
          i++;
          continue;
        }
        return i;
      }
      const r = decodeCodePoint(buf, i, stop);
      if (r === INCOMPLETE) {
        if (stop === end) return ~i;
        break;
      }
      this.checkChar(buf, i, r);
      if (!isNameCharCp(r >> 3)) return i;
      i += r & 7;
    }
    if (i - start > this.maxNameBytes) this.nameTooLong();
    return i;
  }

  /** Decodes and checks a QName (Namespaces §4: at most one colon, NCNames on either side). */
  private qname(buf: Uint8Array, start: number, end: number, what: string): string {
    // Cached names passed these checks already; the length limit is this parser's own.
    if (end - start <= this.lim.maxNameLength) {
      const cached = nameCache.find(buf, start, end);
      if (cached !== undefined) return cached;
    } else {
      nameCache.find(buf, start, end); // only to learn whether the bytes are ASCII
    }
    const q = nameCache.ascii ? decodeAscii(buf, start, end) : decodeUtf8(buf, start, end);
    if (end - start > this.lim.maxNameLength && [...q].length > this.lim.maxNameLength) {
      this.nameTooLong();
    }
    const colon = q.indexOf(":");
    if (
      q.length === 0 ||
      !isNameStartCp(q.codePointAt(0)!) ||
      (colon >= 0 &&
        (q.indexOf(":", colon + 1) >= 0 || colon === q.length - 1 || !isNameStartCp(q.codePointAt(colon + 1)!)))
    ) {
      fail("not-well-formed", `invalid ${what} name "${q}"`);
    }
    nameCache.store(buf, start, end, q);
    return q;
  }

  private checkEndName(buf: Uint8Array, start: number, end: number): void {
    const expected = this.qnames[this.qnames.length - 1]!;
    let same = end - start === expected.length;
    // Byte-wise only for ASCII: "aÂ·" must not match the bytes of "a·".
    for (let k = 0; same && k < expected.length; k++) {
      const b = buf[start + k]!;
      same = b < 0x80 && b === expected.charCodeAt(k);
    }
    if (!same && decodeUtf8(buf, start, end) !== expected) {
      fail("not-well-formed", `end tag </${decodeUtf8(buf, start, end)}> does not match <${expected}>`);
    }
  }

  /** Validates a decoded multi-byte sequence: well-formed UTF-8 and an XML Char. */
  private checkChar(buf: Uint8Array, i: number, r: number): void {
    if (r < 0) {
      const lead = buf[i]!.toString(16).padStart(2, "0");
      fail("not-well-formed", `invalid UTF-8 at byte ${this.bufAbs + i} (sequence starting 0x${lead})`);
    }
    const cp = r >> 3;
    if (cp === 0xfffe || cp === 0xffff) fail("not-well-formed", `character ${codePointName(cp)} is not allowed in XML`);
  }

  /** Checks the byte after '<' can start an element name. */
  private checkTagStart(c1: number): void {
    if (NAME_START[c1] !== 1 && c1 < 0x80) this.unexpected(c1, "after '<'");
  }

  private checkNesting(): void {
    if (this.els.length - this.base + 1 > this.lim.maxDepth) {
      fail("policy-violation", `elements nested deeper than ${this.lim.maxDepth} levels (maxDepth)`);
    }
  }

  /** Classifies `<!` at buf[i]; returns BANG_NEED or BANG_CDATA, fails on anything else. */
  private bang(buf: Uint8Array, i: number, end: number, inStanza: boolean): number {
    const kind = bangKind(buf, i, end);
    if (kind === BANG_NEED) return kind;
    if (kind === BANG_COMMENT) fail("restricted-xml", "comments are not allowed");
    if (kind === BANG_DOCTYPE) fail("restricted-xml", "DOCTYPE declarations are not allowed");
    if (kind === BANG_OTHER) fail("not-well-formed", "malformed markup after '<!'");
    if (!inStanza) this.strayText();
    return kind;
  }

  /** `<?` at buf[i] outside the stream's first bytes: a processing instruction. */
  private pi(buf: Uint8Array, i: number): never {
    if (this.isXmlDeclStart(buf, i)) {
      fail("restricted-xml", "an XML declaration is only allowed at the very start of the stream");
    }
    return fail("restricted-xml", "processing instructions are not allowed");
  }

  private isXmlDeclStart(buf: Uint8Array, i: number): boolean {
    const c = buf[i + 5];
    return (
      buf[i + 2] === 0x78 &&
      buf[i + 3] === 0x6d &&
      buf[i + 4] === 0x6c &&
      (c === 0x20 || c === 0x0a || c === 0x09 || c === 0x0d)
    );
  }

  private xmlDecl(decl: string): void {
    const m = XML_DECL_RE.exec(decl);
    if (m === null) fail("not-well-formed", "malformed XML declaration");
    const version = m[1] ?? m[2];
    if (version !== "1.0") fail("not-well-formed", `unsupported XML version ${version} (only 1.0)`);
    const encoding = m[3] ?? m[4];
    if (encoding !== undefined && encoding.toLowerCase() !== "utf-8") {
      fail("not-well-formed", `unsupported encoding ${encoding} (XMPP streams are UTF-8)`);
    }
  }

  /** Ends a start tag: builds the element and delivers the root or a stanza. Returns the next state. */
  private open(selfClosing: boolean): number {
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
  private close(): number {
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

  /** The stream is closed: ignore whatever follows. */
  private finish(): void {
    this.halt();
  }

  private pushText(): void {
    if (this.text.length === 0) return;
    const el = this.els[this.els.length - 1]!;
    if (el.children.length >= this.lim.maxChildren) this.tooManyChildren();
    el.children.push(this.text);
    this.text = "";
  }

  private strayText(): never {
    if (this.fragments) return fail("not-well-formed", "text outside an element");
    if (this.els.length === 0) return fail("not-well-formed", "text before the stream header");
    return fail("not-well-formed", "text between stanzas (only whitespace is allowed)");
  }

  private unexpected(cp: number, where: string): never {
    const shown = cp >= 0x21 && cp < 0x7f ? `'${String.fromCharCode(cp)}'` : codePointName(cp);
    return fail("not-well-formed", `unexpected character ${shown} ${where}`);
  }

  private tooManyChildren(): never {
    return fail("policy-violation", `element has more than ${this.lim.maxChildren} children (maxChildren)`);
  }

  private nameTooLong(): never {
    return fail("policy-violation", `name longer than ${this.lim.maxNameLength} characters (maxNameLength)`);
  }

  private overBudget(): never {
    if (!this.headerDone) {
      return fail("policy-violation", `stream header exceeds ${this.lim.maxHeaderBytes} bytes (maxHeaderBytes)`);
    }
    return fail("policy-violation", `stanza exceeds ${this.lim.maxStanzaBytes} bytes (maxStanzaBytes)`);
  }
}

const LIT_CDATA = [0x5b, 0x43, 0x44, 0x41, 0x54, 0x41, 0x5b]; // [CDATA[
const LIT_DOCTYPE = [0x44, 0x4f, 0x43, 0x54, 0x59, 0x50, 0x45]; // DOCTYPE
const LIT_COMMENT = [0x2d, 0x2d]; // --

function bangKind(buf: Uint8Array, i: number, end: number): number {
  const j = i + 2;
  const lits: [number[], number][] = [
    [LIT_CDATA, BANG_CDATA],
    [LIT_DOCTYPE, BANG_DOCTYPE],
    [LIT_COMMENT, BANG_COMMENT],
  ];
  for (const [lit, kind] of lits) {
    let k = 0;
    while (k < lit.length && j + k < end && buf[j + k] === lit[k]) k++;
    if (k === lit.length) return kind;
    if (j + k >= end) return BANG_NEED;
  }
  return BANG_OTHER;
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
  if (found.length !== 1) throw new Error(`not-well-formed: expected one element, found ${found.length}`);
  return found[0]!;
}
