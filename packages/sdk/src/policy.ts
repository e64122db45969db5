// Hato's policy summary (urn:hato:policy:0, docs/policy.md): the organisation's rules that
// apply to us, one line each, as the server words them.

import type { Element } from "@hato/xml";
import { NS_HATO_POLICY } from "./ns.js";

/** One rule: `rule` is its name ("encryption", "files"...), `text` what it means for us. */
export interface PolicyLine {
  rule: string;
  text: string;
}

/** At most this many lines of at most this many characters are kept from an answer. */
const MAX_LINES = 64;
const MAX_TEXT = 1000;

/** The lines of a <query xmlns='urn:hato:policy:0'/> answer or push. */
export function policyLines(query: Element | undefined): PolicyLine[] {
  if (query === undefined || query.xmlns !== NS_HATO_POLICY) return [];
  return query
    .getChildren("item")
    .slice(0, MAX_LINES)
    .map((item) => ({
      rule: (item.attr("rule") ?? "").slice(0, 64),
      text: item.text().slice(0, MAX_TEXT),
    }));
}
