// JID domainparts (RFC 7622 §3.2): IDNA2008 labels (RFC 5890–5893) and IP literals (RFC 3986).
//
// Beyond the RFCs, a dotted name whose last label is all digits must be a dotted-quad IPv4
// address: resolvers read "127.1" or "2130706433" as addresses, so such names would let a
// stanza address a host that no domain check ever saw.

import { bidiRuleError, hasRtl } from "./bidi.js";
import { contextAllows } from "./context-rules.js";
import { formatCodePoint, idnaProperty, utf8Length } from "./derived-property.js";
import {
  codePoints,
  fail,
  MAX_INPUT_UNITS,
  MAX_PART_OCTETS,
  mapWidth,
  type Prepared,
} from "./precis.js";
import { punycodeDecode, punycodeEncode } from "./punycode.js";

const MAX_LABEL_OCTETS = 63;
const PRINTABLE_ASCII = /^[\x20-\x7e]+$/;
const ASCII = /^[\x00-\x7f]*$/;
const LDH = /^[a-z0-9-]+$/;
const NUMERIC = /^[0-9]+$/;
const IDEOGRAPHIC_STOPS = /[\u3002\uff0e\uff61]/g;
const LEADING_MARK = /^\p{M}/u;
const CHEROKEE = /[\u13a0-\u13ff\uab70-\uabbf]/g;
const DEC_OCTET = "(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])";
const IPV4 = new RegExp(`^${DEC_OCTET}(?:\\.${DEC_OCTET}){3}$`);
const H16 = /^[0-9a-f]{1,4}$/i;

// RFC 5891 §4.2.3.1: no hyphen at either end, none in both the third and fourth positions
// (counted in code points, hence the code point array for U-labels).
function hyphenError(label: string | readonly number[]): string | null {
  const at = (i: number): number | undefined =>
    typeof label === "string" ? label.charCodeAt(i) : label[i];
  if (at(0) === 0x2d || at(label.length - 1) === 0x2d) {
    return "a domain label starts or ends with a hyphen";
  }
  if (at(2) === 0x2d && at(3) === 0x2d) {
    return "a domain label has hyphens in its third and fourth positions (reserved)";
  }
  return null;
}

/** Validates a U-label (RFC 5891 §5.4), including its length as an A-label; null when valid. */
function uLabelError(label: string): string | null {
  if (label.normalize("NFC") !== label) return "a domain label is not in NFC";
  const cps = codePoints(label);
  const hyphen = hyphenError(cps);
  if (hyphen !== null) return hyphen;
  if (LEADING_MARK.test(label)) return "a domain label starts with a combining mark";
  for (let i = 0; i < cps.length; i++) {
    const cp = cps[i]!;
    const property = idnaProperty(cp);
    if (property === "PVALID") continue;
    if ((property === "CONTEXTJ" || property === "CONTEXTO") && contextAllows(cps, i)) continue;
    return `a domain label contains ${formatCodePoint(cp)}, which IDNA2008 does not allow here`;
  }
  const encoded = punycodeEncode(label);
  if (encoded === null || 4 + encoded.length > MAX_LABEL_OCTETS) {
    return "a domain label is longer than 63 octets in its A-label form";
  }
  return null;
}

function prepareLabel(label: string): Prepared {
  if (label === "") return fail("domain contains an empty label");
  if (!ASCII.test(label)) {
    const err = uLabelError(label);
    return err === null ? label : fail(err);
  }
  if (label.length > MAX_LABEL_OCTETS) return fail("a domain label is longer than 63 octets");
  if (label.startsWith("xn--")) {
    const decoded = punycodeDecode(label.slice(4));
    if (decoded === null || ASCII.test(decoded))
      return fail("a domain label is not a valid A-label");
    const err = uLabelError(decoded);
    if (err !== null) return fail(err);
    if (`xn--${punycodeEncode(decoded)}` !== label) {
      return fail("a domain label is not the canonical A-label of its U-label");
    }
    return decoded;
  }
  if (!LDH.test(label)) {
    const bad = /[^a-z0-9-]/.exec(label)![0].codePointAt(0)!;
    return fail(`a domain label contains ${formatCodePoint(bad)}; only letters, digits and '-'`);
  }
  const hyphen = hyphenError(label);
  return hyphen === null ? label : fail(hyphen);
}

/** Parses the inside of an RFC 3986 IPv6 literal into eight 16-bit groups. */
function parseIpv6(s: string): number[] | null {
  const gap = s.indexOf("::");
  if (gap !== s.lastIndexOf("::")) return null;
  const split = (part: string): string[] => (part === "" ? [] : part.split(":"));
  const head = split(gap < 0 ? s : s.slice(0, gap));
  const tail = split(gap < 0 ? "" : s.slice(gap + 2));
  // An embedded IPv4 address may only end the literal.
  const groups = (parts: string[], ipv4Last: boolean): number[] | null => {
    const out: number[] = [];
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i]!;
      if (ipv4Last && i === parts.length - 1 && IPV4.test(part)) {
        const [a, b, c, d] = part.split(".").map(Number) as [number, number, number, number];
        out.push((a << 8) | b, (c << 8) | d);
      } else if (H16.test(part)) out.push(Number.parseInt(part, 16));
      else return null;
    }
    return out;
  };
  const front = groups(head, gap < 0);
  const back = groups(tail, true);
  if (front === null || back === null) return null;
  if (gap < 0) return front.length === 8 ? front : null;
  const missing = 8 - front.length - back.length;
  if (missing < 1) return null;
  return [...front, ...new Array<number>(missing).fill(0), ...back];
}

/** Formats eight groups as RFC 5952 text (lowercase, longest zero run of two or more as ::). */
function formatIpv6(g: readonly number[]): string {
  if (g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff) {
    return `::ffff:${g[6]! >> 8}.${g[6]! & 0xff}.${g[7]! >> 8}.${g[7]! & 0xff}`;
  }
  let bestAt = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      bestAt = i;
      bestLen = j - i;
    }
    i = j === i ? i + 1 : j;
  }
  const hex = (xs: readonly number[]): string => xs.map((x) => x.toString(16)).join(":");
  if (bestAt < 0) return hex(g);
  return `${hex(g.slice(0, bestAt))}::${hex(g.slice(bestAt + bestLen))}`;
}

function prepareIpLiteral(s: string): Prepared {
  if (!s.endsWith("]")) return fail("domain IP literal lacks its closing ']'");
  const groups = parseIpv6(s.slice(1, -1));
  if (groups === null) return fail("domain IP literal is not a valid IPv6 address");
  return `[${formatIpv6(groups)}]`;
}

/**
 * Fast path for the common case, a lowercase-able LDH host name without a trailing dot, an
 * A-label or a numeric last label: returns the prepared domain, or null to take the general
 * path (which returns the same value whenever this one does not return null).
 */
function plainHostName(s: string): string | null {
  if (s.length > MAX_PART_OCTETS) return null;
  const d = s.toLowerCase();
  let start = 0;
  let digitsOnly = true;
  for (let i = 0; i <= d.length; i++) {
    const c = i < d.length ? d.charCodeAt(i) : 0x2e;
    if (c === 0x2e) {
      const length = i - start;
      if (length === 0 || length > MAX_LABEL_OCTETS) return null;
      if (d.charCodeAt(start) === 0x2d || d.charCodeAt(i - 1) === 0x2d) return null;
      if (length >= 4 && d.charCodeAt(start + 2) === 0x2d && d.charCodeAt(start + 3) === 0x2d) {
        return null;
      }
      if (i === d.length && digitsOnly) return null;
      start = i + 1;
      digitsOnly = true;
    } else if ((c >= 0x61 && c <= 0x7a) || c === 0x2d) digitsOnly = false;
    else if (c < 0x30 || c > 0x39) return null;
  }
  return d;
}

/** Enforces the JID domainpart rules (RFC 7622 §3.2); U-labels in the output, never A-labels. */
export function enforceDomain(s: string): Prepared {
  return plainHostName(s) ?? enforceDomainSlow(s);
}

/** Domain enforcement without the host-name fast path. */
export function enforceDomainSlow(s: string): Prepared {
  if (s.length > MAX_INPUT_UNITS) return fail("domain is longer than 1023 octets");
  if (s.charCodeAt(0) === 0x5b) return prepareIpLiteral(s);
  // RFC 5895-style mapping: width, case, NFC, then the ideographic full stops to '.'. Cherokee
  // is the one script whose capitals IDNA2008 allows (they are the case-folded forms), so it
  // maps to capitals, as UTS #46 does; lowercasing it would make every Cherokee label invalid.
  let mapped = PRINTABLE_ASCII.test(s)
    ? s.toLowerCase()
    : mapWidth(s)
        .toLowerCase()
        .replace(CHEROKEE, (c) => c.toUpperCase())
        .normalize("NFC")
        .replace(IDEOGRAPHIC_STOPS, ".");
  if (mapped.endsWith(".")) mapped = mapped.slice(0, -1);
  if (mapped === "") return fail("domain is empty");
  if (IPV4.test(mapped)) return mapped;
  const labels = mapped.split(".");
  let nonAscii = false;
  for (let i = 0; i < labels.length; i++) {
    const label = prepareLabel(labels[i]!);
    if (typeof label !== "string") return label;
    if (label !== labels[i]) labels[i] = label;
    if (!nonAscii && !ASCII.test(label)) nonAscii = true;
  }
  if (NUMERIC.test(labels[labels.length - 1]!)) {
    return fail("domain ends in a numeric label but is not an IPv4 address");
  }
  // RFC 5893 §2: in a domain name holding any right-to-left label, every label obeys the rule.
  if (nonAscii) {
    const cpsPerLabel = labels.map(codePoints);
    if (cpsPerLabel.some(hasRtl)) {
      for (const cps of cpsPerLabel) {
        const err = bidiRuleError(cps);
        if (err !== null) return fail(`domain violates the Bidi Rule: ${err}`);
      }
    }
  }
  const out = labels.join(".");
  if (utf8Length(out) > MAX_PART_OCTETS) return fail("domain is longer than 1023 octets");
  return out;
}
