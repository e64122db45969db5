// Markup that restricted XML mostly forbids: what follows `<!`, and the XML declaration
// (XML 1.0 §2.5–§2.8, RFC 6120 §11.1 and §11.6).

import { fail } from "./failure.js";

// What `<!` introduces.
export const BANG_NEED = 0;
export const BANG_CDATA = 1;
export const BANG_COMMENT = 2;
export const BANG_DOCTYPE = 3;
export const BANG_OTHER = 4;

const LITERALS: [number[], number][] = [
  [[0x5b, 0x43, 0x44, 0x41, 0x54, 0x41, 0x5b], BANG_CDATA], // [CDATA[
  [[0x44, 0x4f, 0x43, 0x54, 0x59, 0x50, 0x45], BANG_DOCTYPE], // DOCTYPE
  [[0x2d, 0x2d], BANG_COMMENT], // --
];

/** Classifies the markup after `<!` at buf[i]; BANG_NEED while the bytes so far are ambiguous. */
export function bangKind(buf: Uint8Array, i: number, end: number): number {
  const j = i + 2;
  for (const [lit, kind] of LITERALS) {
    let k = 0;
    while (k < lit.length && j + k < end && buf[j + k] === lit[k]) k++;
    if (k === lit.length) return kind;
    if (j + k >= end) return BANG_NEED;
  }
  return BANG_OTHER;
}

/** True if `<?` at buf[i] opens an XML declaration: `<?xml` then whitespace (needs 6 bytes). */
export function isXmlDeclStart(buf: Uint8Array, i: number): boolean {
  const c = buf[i + 5];
  return (
    buf[i + 2] === 0x78 &&
    buf[i + 3] === 0x6d &&
    buf[i + 4] === 0x6c &&
    (c === 0x20 || c === 0x0a || c === 0x09 || c === 0x0d)
  );
}

const XML_DECL_RE =
  /^<\?xml[ \t\r\n]+version[ \t\r\n]*=[ \t\r\n]*(?:"([^"]*)"|'([^']*)')(?:[ \t\r\n]+encoding[ \t\r\n]*=[ \t\r\n]*(?:"([A-Za-z][\w.-]*)"|'([A-Za-z][\w.-]*)'))?(?:[ \t\r\n]+standalone[ \t\r\n]*=[ \t\r\n]*(?:"(?:yes|no)"|'(?:yes|no)'))?[ \t\r\n]*\?>$/;

/** Checks a complete XML declaration: version 1.0 and, if given, encoding UTF-8. */
export function checkXmlDecl(decl: string): void {
  const m = XML_DECL_RE.exec(decl);
  if (m === null) fail("not-well-formed", "malformed XML declaration");
  const version = m[1] ?? m[2];
  if (version !== "1.0") fail("not-well-formed", `unsupported XML version ${version} (only 1.0)`);
  const encoding = m[3] ?? m[4];
  if (encoding !== undefined && encoding.toLowerCase() !== "utf-8") {
    fail("not-well-formed", `unsupported encoding ${encoding} (XMPP streams are UTF-8)`);
  }
}

/** The string for one code point. */
export function charString(cp: number): string {
  return cp < 0x10000 ? String.fromCharCode(cp) : String.fromCodePoint(cp);
}
