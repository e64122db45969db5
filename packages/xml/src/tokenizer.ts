// The tokenizer of the stream parser: a resumable state machine over bytes (XML 1.0 as
// restricted by RFC 6120 §11).
//
// Each byte is examined once. At the end of a chunk only the unfinished token (a name, a
// reference, a partial UTF-8 sequence, a text run shorter than KEEP_RUN) is carried over;
// longer text and attribute values are decoded and appended as they go. Byte budgets are enforced by never scanning past the
// budget's end, so an endless stanza fails at the limit instead of being buffered.
//
// run() is deliberately one long function: the position, mark and state stay in locals and
// each state's inner loop is a tight scan; split per state, they would become object fields
// read and written on every transition.

import {
  ATTR_PLAIN,
  CDATA_PLAIN,
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
import { codePointName, fail } from "./failure.js";
import { nameCache } from "./intern.js";
import type { ParserLimits } from "./limits.js";
import {
  BANG_COMMENT,
  BANG_DOCTYPE,
  BANG_NEED,
  BANG_OTHER,
  bangKind,
  charString,
  checkXmlDecl,
  isXmlDeclStart,
} from "./markup.js";
import type { ParserOptions, StreamHandlers } from "./parser.js";
import { parseReference, REF_INCOMPLETE } from "./references.js";
import { TEXT, TOP, TreeBuilder } from "./tree.js";

/** Text shorter than this at the end of a chunk is carried as bytes, longer text is decoded. */
const KEEP_RUN = 256;

// States of the machine (TOP and TEXT come from tree.ts).
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

export abstract class Tokenizer extends TreeBuilder {
  protected readonly maxNameBytes: number;
  protected state = TOP;
  /** Where to resume in the next buffer, which starts with the carried-over bytes. */
  protected resume = 0;
  protected carry: Uint8Array | null = null;
  /** Absolute stream offset of the next buffer's first byte. */
  protected bufAbs = 0;
  /** Absolute offset where an XML declaration may stand (after an optional BOM). */
  protected declAt = 0;
  private sawSpace = false;
  private quote = 0;
  private value = "";
  private runNonAscii = false;

  constructor(handlers: StreamHandlers, limits: Partial<ParserLimits>, options: ParserOptions) {
    super(handlers, limits, options);
    this.maxNameBytes = this.lim.maxNameLength * 4;
  }

  /** Back to the start of a stream, forgetting carried bytes and the tree. */
  protected resetTokenizer(): void {
    this.state = TOP;
    this.resume = 0;
    this.carry = null;
    this.bufAbs = 0;
    this.declAt = 0;
    this.value = "";
    this.runNonAscii = false;
    this.clearTree();
  }

  protected endFor(n: number): number {
    return Math.min(this.budgetEnd - this.bufAbs, n);
  }

  // The state machine. Every `break loop` means "need more input" with `i` at the first byte
  // not yet consumed and `mark` at the first byte that must be kept (mark <= i).
  protected run(buf: Uint8Array, gen: number): void {
    const n = buf.length;
    let i = this.resume;
    let mark = 0;
    let state = this.state;
    let end = this.endFor(n);
    // Whether the kept run [mark, i) of text has non-ASCII bytes (it may come from the carry).
    let nonAscii = this.runNonAscii;
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
              if (i > mark)
                this.text += nonAscii ? decodeUtf8(buf, mark, i) : decodeAscii(buf, mark, i);
              this.text += charString(r >> 6);
              i += r & 63;
              mark = i;
              nonAscii = false;
            } else if (c === 0x0d) {
              if (i + 1 >= end) break;
              if (i > mark)
                this.text += nonAscii ? decodeUtf8(buf, mark, i) : decodeAscii(buf, mark, i);
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
              fail(
                "not-well-formed",
                `control character ${codePointName(c)} is not allowed in XML`,
              );
            }
          }
          if (i >= end || buf[i] !== 0x3c || i + 1 >= end) {
            // Out of input: a short run stays in the carry rather than becoming a tiny string
            // piece (byte-by-byte input would otherwise build a rope of 1-byte strings).
            if (i - mark >= KEEP_RUN) {
              this.text += nonAscii ? decodeUtf8(buf, mark, i) : decodeAscii(buf, mark, i);
              mark = i;
              nonAscii = false;
            }
            break loop;
          }
          if (i > mark) {
            this.text += nonAscii ? decodeUtf8(buf, mark, i) : decodeAscii(buf, mark, i);
          }
          mark = i;
          nonAscii = false;
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
              if (isXmlDeclStart(buf, i)) {
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
            if (!this.sawSpace)
              fail("not-well-formed", "attributes must be separated by whitespace");
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
              if (c !== 0x3d)
                fail(
                  "not-well-formed",
                  `expected '=' after attribute ${this.attrNames[this.nAttrs]}`,
                );
              i++;
              state = ATTR_QUOTE;
            } else {
              if (c !== 0x22 && c !== 0x27) {
                fail(
                  "not-well-formed",
                  `value of attribute ${this.attrNames[this.nAttrs]} must be quoted`,
                );
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
              if (i > mark)
                this.value += nonAscii ? decodeUtf8(buf, mark, i) : decodeAscii(buf, mark, i);
              this.value += s;
              i += len;
              mark = i;
              nonAscii = false;
            } else if (c === 0x3c) {
              fail("not-well-formed", "'<' is not allowed in an attribute value");
            } else {
              fail(
                "not-well-formed",
                `control character ${codePointName(c)} is not allowed in XML`,
              );
            }
          }
          if (i >= end || buf[i] !== q) {
            if (i - mark >= KEEP_RUN) {
              this.value += nonAscii ? decodeUtf8(buf, mark, i) : decodeAscii(buf, mark, i);
              mark = i;
              nonAscii = false;
            }
            break loop;
          }
          if (i > mark) {
            this.value += nonAscii ? decodeUtf8(buf, mark, i) : decodeAscii(buf, mark, i);
          }
          mark = i;
          nonAscii = false;
          this.attrValues[this.nAttrs++] = this.value;
          this.value = "";
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
                if (i > mark)
                  this.text += nonAscii ? decodeUtf8(buf, mark, i) : decodeAscii(buf, mark, i);
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
              if (i > mark)
                this.text += nonAscii ? decodeUtf8(buf, mark, i) : decodeAscii(buf, mark, i);
              this.text += "\n";
              i += buf[i + 1] === 0x0a ? 2 : 1;
              mark = i;
              nonAscii = false;
            } else {
              fail(
                "not-well-formed",
                `control character ${codePointName(c)} is not allowed in XML`,
              );
            }
          }
          if (i - mark >= KEEP_RUN) {
            this.text += nonAscii ? decodeUtf8(buf, mark, i) : decodeAscii(buf, mark, i);
            mark = i;
            nonAscii = false;
          }
          break loop;
        }

        case XML_DECL: {
          // `mark` stays on the declaration's '<': it is kept whole and checked at '?>'.
          while (i < end) {
            const c = buf[i]!;
            if (c === 0x3f && i + 1 < end && buf[i + 1] === 0x3e) {
              i += 2;
              checkXmlDecl(decodeAscii(buf, mark, i));
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
    this.runNonAscii = nonAscii;
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
        (q.indexOf(":", colon + 1) >= 0 ||
          colon === q.length - 1 ||
          !isNameStartCp(q.codePointAt(colon + 1)!)))
    ) {
      fail("not-well-formed", `invalid ${what} name "${q}"`);
    }
    nameCache.store(buf, start, end, q);
    return q;
  }

  /** Validates a decoded multi-byte sequence: well-formed UTF-8 and an XML Char. */
  private checkChar(buf: Uint8Array, i: number, r: number): void {
    if (r < 0) {
      const lead = buf[i]!.toString(16).padStart(2, "0");
      fail(
        "not-well-formed",
        `invalid UTF-8 at byte ${this.bufAbs + i} (sequence starting 0x${lead})`,
      );
    }
    const cp = r >> 3;
    if (cp === 0xfffe || cp === 0xffff)
      fail("not-well-formed", `character ${codePointName(cp)} is not allowed in XML`);
  }

  /** Checks the byte after '<' can start an element name. */
  private checkTagStart(c1: number): void {
    if (NAME_START[c1] !== 1 && c1 < 0x80) this.unexpected(c1, "after '<'");
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
    if (isXmlDeclStart(buf, i)) {
      fail("restricted-xml", "an XML declaration is only allowed at the very start of the stream");
    }
    return fail("restricted-xml", "processing instructions are not allowed");
  }

  /** The stream is closed: ignore whatever follows. */
  private strayText(): never {
    if (this.fragments) return fail("not-well-formed", "text outside an element");
    if (this.els.length === 0) return fail("not-well-formed", "text before the stream header");
    return fail("not-well-formed", "text between stanzas (only whitespace is allowed)");
  }

  private unexpected(cp: number, where: string): never {
    const shown = cp >= 0x21 && cp < 0x7f ? `'${String.fromCharCode(cp)}'` : codePointName(cp);
    return fail("not-well-formed", `unexpected character ${shown} ${where}`);
  }

  private nameTooLong(): never {
    return fail(
      "policy-violation",
      `name longer than ${this.lim.maxNameLength} characters (maxNameLength)`,
    );
  }

  private overBudget(): never {
    if (!this.headerDone) {
      return fail(
        "policy-violation",
        `stream header exceeds ${this.lim.maxHeaderBytes} bytes (maxHeaderBytes)`,
      );
    }
    return fail(
      "policy-violation",
      `stanza exceeds ${this.lim.maxStanzaBytes} bytes (maxStanzaBytes)`,
    );
  }
}
