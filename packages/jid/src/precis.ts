// PRECIS profiles (RFC 8264): UsernameCaseMapped and OpaqueString (RFC 8265), Nickname (RFC 8266).
//
// Each profile has a fast path for printable ASCII, where width mapping and normalisation are
// identities, no character is right-to-left and class membership reduces to a character test;
// it returns exactly what the general path would (a test checks this with random strings).

import { bidiRuleError, hasRtl } from "./bidi.js";
import { contextAllows } from "./context-rules.js";
import { formatCodePoint, precisProperty, utf8Length } from "./derived-property.js";

/** A prepared string, or why the input was rejected. */
export type Prepared = string | { readonly error: string };

/** Largest part of a JID, in UTF-8 octets (RFC 7622 §3.2–3.4). */
export const MAX_PART_OCTETS = 1023;

// Preparing a JID part shrinks it at most by canonical composition, which at worst turns three
// UTF-16 units into two UTF-8 octets (U+01D5 from u and two marks; checked over all of Unicode),
// so an input longer than this cannot fit in MAX_PART_OCTETS; rejecting it early bounds work.
export const MAX_INPUT_UNITS = 4 * MAX_PART_OCTETS;

const VISIBLE_ASCII = /^[\x21-\x7e]+$/;
const PRINTABLE_ASCII = /^[\x20-\x7e]+$/;
const LOCAL_EXCLUDED = /["&'/:<>@]/;
const WIDE_OR_NARROW = /[\u3000\uff01-\uffee]/g;
const NON_ASCII_SPACE = /(?! )\p{Zs}/gu;

/** Builds a rejection. */
export function fail(error: string): { readonly error: string } {
  return { error };
}

/** Code points of a string. */
export function codePoints(s: string): number[] {
  const out: number[] = [];
  for (const ch of s) out.push(ch.codePointAt(0)!);
  return out;
}

/**
 * Width Mapping Rule (RFC 8264 §9.1): fullwidth and halfwidth characters are exactly U+3000 and
 * the assigned part of U+FF01–U+FFEE. NFKC of such a character equals its decomposition mapping,
 * except for U+FFE3 and the halfwidth Hangul letters, whose targets decompose further; all of
 * those end up disallowed in the IdentifierClass either way, so the result is the same.
 */
export function mapWidth(s: string): string {
  return s.replace(WIDE_OR_NARROW, (ch) => ch.normalize("NFKC"));
}

/**
 * Applies mapping rules until the output is stable, as RFC 8264 §7 requires; null when three
 * more applications after the first still change it.
 */
function stabilise(s: string, rules: (s: string) => string): string | null {
  let current = rules(s);
  for (let i = 0; i < 3; i++) {
    const next = rules(current);
    if (next === current) return current;
    current = next;
  }
  return null;
}

/** Checks every code point against a string class; null when all are allowed. */
export function classError(cps: readonly number[], freeform: boolean): string | null {
  for (let i = 0; i < cps.length; i++) {
    const cp = cps[i]!;
    if (cp >= 0x21 && cp <= 0x7e) continue; // ASCII7: PVALID in both classes
    switch (precisProperty(cp)) {
      case "PVALID":
        continue;
      case "FREE_PVAL":
        if (freeform) continue;
        return `contains ${formatCodePoint(cp)}, which is not allowed in identifiers`;
      case "CONTEXTJ":
      case "CONTEXTO":
        if (contextAllows(cps, i)) continue;
        return `contains ${formatCodePoint(cp)} in a context where it is not allowed`;
      case "UNASSIGNED":
        return `contains ${formatCodePoint(cp)}, which is unassigned`;
      case "DISALLOWED":
        return `contains ${formatCodePoint(cp)}, which is disallowed`;
    }
  }
  return null;
}

// An ASCII string's UTF-8 length is its length, which spares the fast paths a scan.
function checkLength(s: string, what: string, ascii: boolean): Prepared {
  if (s.length === 0) return fail(`${what} is empty`);
  if ((ascii ? s.length : utf8Length(s)) > MAX_PART_OCTETS) {
    return fail(`${what} is longer than 1023 octets`);
  }
  return s;
}

function finishLocal(s: string, ascii: boolean): Prepared {
  const excluded = LOCAL_EXCLUDED.exec(s);
  if (excluded) return fail(`local part contains '${excluded[0]}', excluded by RFC 7622 §3.3.1`);
  return checkLength(s, "local part", ascii);
}

const mapUsername = (s: string): string => mapWidth(s).toLowerCase().normalize("NFC");

/** UsernameCaseMapped enforcement plus RFC 7622's exclusions, without the ASCII fast path. */
export function enforceLocalSlow(s: string): Prepared {
  const mapped = stabilise(s, mapUsername);
  if (mapped === null) return fail("local part does not stabilise under PRECIS mapping");
  const cps = codePoints(mapped);
  const classErr = classError(cps, false);
  if (classErr !== null) return fail(`local part ${classErr}`);
  if (hasRtl(cps)) {
    const bidiErr = bidiRuleError(cps);
    if (bidiErr !== null) return fail(`local part violates the Bidi Rule: ${bidiErr}`);
  }
  return finishLocal(mapped, false);
}

/** Enforces the JID local part rules (RFC 7622 §3.3, RFC 8265 §3.3). */
export function enforceLocal(s: string): Prepared {
  if (s.length > MAX_INPUT_UNITS) return fail("local part is longer than 1023 octets");
  if (VISIBLE_ASCII.test(s)) return finishLocal(s.toLowerCase(), true);
  return enforceLocalSlow(s);
}

const mapOpaque = (s: string): string => s.replace(NON_ASCII_SPACE, " ").normalize("NFC");

/** OpaqueString enforcement without the ASCII fast path. */
export function enforceResourceSlow(s: string): Prepared {
  const mapped = stabilise(s, mapOpaque);
  if (mapped === null) return fail("resource does not stabilise under PRECIS mapping");
  const classErr = classError(codePoints(mapped), true);
  if (classErr !== null) return fail(`resource ${classErr}`);
  return checkLength(mapped, "resource", false);
}

/** Enforces the JID resource rules (RFC 7622 §3.4, OpaqueString of RFC 8265 §4.2). */
export function enforceResource(s: string): Prepared {
  if (s.length > MAX_INPUT_UNITS) return fail("resource is longer than 1023 octets");
  if (PRINTABLE_ASCII.test(s)) return checkLength(s, "resource", true);
  return enforceResourceSlow(s);
}

// RFC 8266 §2.2 Additional Mapping Rule: non-ASCII spaces become U+0020, then leading and
// trailing spaces are removed and runs of spaces collapse to one.
function mapNicknameSpaces(s: string): string {
  return s
    .replace(NON_ASCII_SPACE, " ")
    .replace(/^ +| +$/g, "")
    .replace(/ {2,}/g, " ");
}

const mapNickname = (s: string): string => mapNicknameSpaces(s).normalize("NFKC");
const mapNicknameKey = (s: string): string => mapNicknameSpaces(s).toLowerCase().normalize("NFKC");

function enforceNicknameWith(s: string, rules: (s: string) => string): Prepared {
  // Space collapsing can shrink a nickname without bound; this generous cap bounds the work.
  if (s.length > MAX_INPUT_UNITS * 4) return fail("nickname is longer than 1023 octets");
  const mapped = stabilise(s, rules);
  if (mapped === null) return fail("nickname does not stabilise under PRECIS mapping");
  const classErr = classError(codePoints(mapped), true);
  if (classErr !== null) return fail(`nickname ${classErr}`);
  return checkLength(mapped, "nickname", false);
}

/** Nickname enforcement (RFC 8266 §2.4): case is kept for display. */
export function enforceNickname(s: string): Prepared {
  return enforceNicknameWith(s, mapNickname);
}

/** Nickname comparison form (RFC 8266 §2.5): enforcement plus case mapping. */
export function enforceNicknameKey(s: string): Prepared {
  return enforceNicknameWith(s, mapNicknameKey);
}
