// Serialisation of parsed or built elements back to XML text (RFC 6120 §11).
//
// The server never relays raw bytes: every stanza it forwards is written from its tree by
// this function, so what the recipient parses is exactly what Hato's parser understood.

import type { Element } from "./element.js";
import { NS_XML } from "./ns.js";

// Characters XML 1.0 cannot carry at all (control characters, lone surrogates, U+FFFE/F).
const INVALID_CHARS = /[^\t\n\r\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;
// CR (and in attributes tab and LF) must travel as references: a parser normalises the literal
// characters (XML 1.0 §2.11, §3.3.3), so writing them raw would change the value.
const TEXT_SPECIAL = /[&<>\r]/;
const ATTR_SPECIAL = /[&<>"'\t\n\r]/;

function clean(s: string): string {
  INVALID_CHARS.lastIndex = 0;
  return INVALID_CHARS.test(s) ? s.replace(INVALID_CHARS, "\uFFFD") : s;
}

/** Escapes text content; characters XML cannot carry become U+FFFD. */
export function escapeText(s: string): string {
  s = clean(s);
  if (!TEXT_SPECIAL.test(s)) return s;
  return s
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/\r/g, "&#13;");
}

/** Escapes an attribute value for use between double quotes. */
export function escapeAttr(s: string): string {
  s = clean(s);
  if (!ATTR_SPECIAL.test(s)) return s;
  return s
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&apos;")
    .replace(/\t/g, "&#9;")
    .replace(/\n/g, "&#10;")
    .replace(/\r/g, "&#13;");
}

/**
 * Writes an element as XML. `scopeNs` is the default namespace in scope where the element
 * is written (for a stanza on a client stream, `jabber:client`): an `xmlns` attribute is
 * emitted only where the element's namespace differs from it.
 */
export function serialize(el: Element, scopeNs = ""): string {
  const out: string[] = [];
  write(el, scopeNs, out);
  return out.join("");
}

function write(el: Element, scopeNs: string, out: string[]): void {
  let ns = el.xmlns ?? scopeNs;
  let name = el.name;
  if (ns === NS_XML) {
    // The XML namespace cannot be declared as a default (Namespaces §3); its prefix is built in.
    name = "xml:" + name;
    ns = scopeNs;
  }
  let s = "<" + name;
  if (ns !== scopeNs) s += ' xmlns="' + escapeAttr(ns) + '"';
  let prefixN = 0;
  for (const key in el.attrs) {
    const value = el.attrs[key]!;
    if (key.charCodeAt(0) === 123 /* { */) {
      // Clark notation {uri}local: declare a fresh prefix on this element. A URI may contain
      // '}' but a local name may not, so the last '}' is the separator.
      const end = key.lastIndexOf("}");
      const uri = key.slice(1, end);
      const local = key.slice(end + 1);
      if (uri === NS_XML) {
        s += " xml:" + local; // the xml prefix is predefined and may not be redeclared
      } else if (uri === "") {
        s += " " + local; // no namespace: an unprefixed attribute
      } else {
        const prefix = "a" + prefixN++;
        s += " xmlns:" + prefix + '="' + escapeAttr(uri) + '" ' + prefix + ":" + local;
      }
      s += '="' + escapeAttr(value) + '"';
    } else {
      s += " " + key + '="' + escapeAttr(value) + '"';
    }
  }
  if (el.children.length === 0) {
    out.push(s + "/>");
    return;
  }
  out.push(s + ">");
  for (const c of el.children) {
    if (typeof c === "string") out.push(escapeText(c));
    else write(c, ns, out);
  }
  out.push("</" + name + ">");
}
