// Changing the policy from the admin console, API or CLI: validated whole, written where the
// policy lives, reloaded from there (so file and server agree), and announced as
// `policy-reloaded` by the admin (the audit log records `policy-changed` with the diff).
// Edits run one at a time, so two role changes at once cannot lose one another.

import { diff } from "../audit/events.js";
import { formatPolicyError, parsePolicy } from "../policy/parse.js";
import type { Server } from "../server.js";
import {
  policySource,
  readPolicyText,
  withGroups,
  withoutUser,
  withRole,
  writePolicyText,
} from "./policy-file.js";

export type Change = ReturnType<typeof diff>[number];
export type PolicyChange = { ok: true; diff: Change[] } | { ok: false; errors: string[] };

/** The validation errors of a policy text, or the diff against the current policy. */
export function checkPolicyText(server: Server, text: string): PolicyChange {
  const r = parsePolicy(text, "policy", []);
  if (!r.ok) return { ok: false, errors: r.errors.map(formatPolicyError) };
  return { ok: true, diff: diff(server.policy.current.doc, r.doc) };
}

export class PolicyEditor {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly server: Server) {}

  source() {
    return policySource(this.server.config.file, this.server.config.data);
  }

  /** The policy text an admin edits. */
  text(): string {
    return readPolicyText(this.source());
  }

  /** Validates, writes and applies a whole new policy text. */
  replace(text: string, actor: string | undefined): Promise<PolicyChange> {
    return this.serial(() => this.apply(text, actor));
  }

  /** Applies an edit of the current text (`edit` may refuse by throwing). */
  edit(actor: string | undefined, edit: (text: string) => string): Promise<PolicyChange> {
    return this.serial(() => this.apply(edit(this.text()), actor));
  }

  setRole(actor: string | undefined, username: string, role: string): Promise<PolicyChange> {
    return this.edit(actor, (t) => withRole(t, username, this.server.config.domain, role));
  }

  /** Sets the account's groups; unknown group names throw a RangeError naming them. */
  setGroups(actor: string | undefined, username: string, groups: string[]): Promise<PolicyChange> {
    return this.edit(actor, (t) => {
      const r = withGroups(t, username, this.server.config.domain, groups);
      if (r.unknown.length > 0)
        throw new RangeError(
          `the policy defines no group ${r.unknown.map((g) => `"${g}"`).join(", ")}`,
        );
      return r.text;
    });
  }

  /** Takes a deleted account's name out of every role and group (if it is named anywhere). */
  async forget(actor: string | undefined, username: string): Promise<void> {
    const p = this.server.policy.current;
    const named = p.forUser(username);
    if (named.role === "user" && named.groups.length === 0) return;
    await this.edit(actor, (t) => withoutUser(t, username, this.server.config.domain));
  }

  private serial<T>(fn: () => Promise<T> | T): Promise<T> {
    const run = this.queue.then(fn);
    this.queue = run.catch(() => {});
    return run;
  }

  private apply(text: string, actor: string | undefined): PolicyChange {
    const checked = checkPolicyText(this.server, text);
    if (!checked.ok) return checked;
    const before = this.server.policy.current;
    writePolicyText(this.source(), text);
    const r = this.server.policy.reload();
    if (!r.ok) return { ok: false, errors: r.errors };
    void this.server.bus.fire("policy-reloaded", {
      how: "admin",
      ...(actor === undefined ? {} : { actor }),
      ok: true,
      before: before.doc,
      after: r.policy.doc,
      errors: [],
    });
    return { ok: true, diff: diff(before.doc, r.policy.doc) };
  }
}
