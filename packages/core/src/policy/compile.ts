// The validated policy, compiled: each user's role, groups and rules resolved.

import type { PolicyDoc, RulesDoc } from "./schema.js";

export type Role = "admin" | "user" | "limited";

/** Every rule with its value for one user (defaults filled in). */
export interface Rules {
  federation: { mode: "off" | "allowlist" | "open"; domains: string[] };
  /** Server-wide (the base rule); undefined: as `register.enabled` says. */
  registration: "off" | "invite" | "open" | undefined;
  files: {
    enabled: boolean;
    maxBytes: number | undefined;
    allowedTypes: string[];
    blockedTypes: string[];
    scanningRequired: boolean;
    retentionDays: number | undefined;
  };
  encryption: "optional" | "required";
  calls: "off" | "relay-only" | "p2p";
  archiveRetentionDays: number | undefined;
  rateLimits: {
    stanzasPerSecond: number | undefined;
    bytesPerSecond: number | undefined;
    loginsPerMinutePerAddress: number | undefined;
  };
  allowedClients: string[];
  maxSessions: number | undefined;
  versionQueries: boolean;
}

export interface UserPolicy {
  user: string;
  role: Role;
  groups: string[];
  rules: Rules;
}

function apply(r: Rules, d: RulesDoc | undefined): Rules {
  if (!d) return r;
  const f = d.files;
  const rl = d["rate-limits"];
  return {
    federation: d.federation
      ? { mode: d.federation.mode, domains: d.federation.domains ?? [] }
      : r.federation,
    registration: d.registration?.mode ?? r.registration,
    files: f
      ? {
          enabled: f.enabled ?? r.files.enabled,
          maxBytes: f["max-bytes"] ?? r.files.maxBytes,
          allowedTypes: f["allowed-types"] ?? r.files.allowedTypes,
          blockedTypes: f["blocked-types"] ?? r.files.blockedTypes,
          scanningRequired: f["scanning-required"] ?? r.files.scanningRequired,
          retentionDays: f["retention-days"] ?? r.files.retentionDays,
        }
      : r.files,
    encryption: d.encryption ?? r.encryption,
    calls: d.calls ?? r.calls,
    archiveRetentionDays: d.archive?.["retention-days"] ?? r.archiveRetentionDays,
    rateLimits: rl
      ? {
          stanzasPerSecond: rl["stanzas-per-second"] ?? r.rateLimits.stanzasPerSecond,
          bytesPerSecond: rl["bytes-per-second"] ?? r.rateLimits.bytesPerSecond,
          loginsPerMinutePerAddress:
            rl["logins-per-minute-per-address"] ?? r.rateLimits.loginsPerMinutePerAddress,
        }
      : r.rateLimits,
    allowedClients: d.clients?.allowed ?? r.allowedClients,
    maxSessions: d["max-sessions"] ?? r.maxSessions,
    versionQueries: d["version-queries"] ?? r.versionQueries,
  };
}

/** The rules when the policy says nothing: what Hato did before policies existed. */
export const DEFAULT_RULES: Rules = {
  federation: { mode: "off", domains: [] },
  registration: undefined,
  files: {
    enabled: true,
    maxBytes: undefined,
    allowedTypes: [],
    blockedTypes: [],
    scanningRequired: false,
    retentionDays: undefined,
  },
  encryption: "optional",
  calls: "off",
  archiveRetentionDays: undefined,
  rateLimits: {
    stanzasPerSecond: undefined,
    bytesPerSecond: undefined,
    loginsPerMinutePerAddress: undefined,
  },
  allowedClients: [],
  maxSessions: undefined,
  versionQueries: true,
};

/** A compiled policy: immutable once built, swapped whole on reload. */
export class Policy {
  readonly base: Rules;
  private readonly cache = new Map<string, UserPolicy>();

  constructor(
    readonly doc: PolicyDoc,
    readonly domain: string,
  ) {
    this.base = apply(DEFAULT_RULES, doc);
  }

  /** `name` or `name@domain` in a list names the account `username`. */
  private names(list: string[] | undefined, username: string): boolean {
    const full = `${username}@${this.domain}`;
    return (list ?? []).some((m) => m.toLowerCase() === username || m.toLowerCase() === full);
  }

  groupsOf(username: string): string[] {
    return Object.entries(this.doc.groups ?? {})
      .filter(([, members]) => this.names(members, username))
      .map(([g]) => g);
  }

  /** What applies to one account (its local part). */
  forUser(username: string): UserPolicy {
    const u = username.toLowerCase();
    const hit = this.cache.get(u);
    if (hit) return hit;
    const groups = this.groupsOf(u);
    const inRole = (members: string[] | undefined) =>
      this.names(members, u) ||
      (members ?? []).some((m) => m.startsWith("@") && groups.includes(m.slice(1)));
    const roles = this.doc.roles ?? {};
    const role: Role = inRole(roles.admin) ? "admin" : inRole(roles.limited) ? "limited" : "user";
    let rules = this.base;
    // Overrides apply in the order the policy lists them; a later group wins.
    for (const [g, r] of Object.entries(this.doc.overrides ?? {}))
      if (groups.includes(g)) rules = apply(rules, r);
    if (role === "limited") rules = { ...rules, federation: { mode: "off", domains: [] } };
    const out = { user: u, role, groups, rules };
    if (this.cache.size < 10_000) this.cache.set(u, out);
    return out;
  }
}
