// What a user is told of their organisation's policy (urn:hato:policy:0, docs/policy.md): the
// lines of `hato policy explain`, one per rule, so the two can never say different things.

import type { Policy } from "./compile.js";
import { explain } from "./explain.js";

/** One rule as the user sees it: `rule` is explain's label ("encryption"), `text` the rest. */
export interface SummaryLine {
  rule: string;
  text: string;
}

/** The summary for one account (its local part), in explain's order, without the address line. */
export function summary(policy: Policy, username: string): SummaryLine[] {
  return explain(policy, username)
    .slice(1)
    .map((line) => {
      const colon = line.indexOf(": ");
      const rule = colon < 0 ? "" : line.slice(0, colon);
      const text = colon < 0 ? line : line.slice(colon + 2);
      // explain speaks to an admin about "this user"; the summary speaks to the user.
      return { rule, text: text.replace(/this user runs/g, "you run") };
    });
}
