// The shape of the organisation's policy (docs/policy.md), as zod schemas over the YAML keys.

import { z } from "zod";

/** Limits on the policy document itself. */
export const POLICY_LIMITS = {
  /** Bytes of YAML text. */
  bytes: 256 * 1024,
  /** Nesting of mappings and lists. */
  depth: 8,
  /** Entries of any one list (users of a group, domains, types). */
  list: 10_000,
  /** Groups, and per-group overrides. */
  groups: 1_000,
} as const;

const name = z.string().min(1).max(1023);
const list = <T extends z.ZodType>(t: T) => z.array(t).max(POLICY_LIMITS.list);
const days = z.number().int().min(0).max(36_500);
// At least 1: a rate of 0 would shut a user (or every login) out for good, which is what
// locking an account or turning a listener off is for.
const rate = z.number().int().min(1).max(1_000_000_000);

/** A string shorthand (`federation: off`) stands for `{ mode: off }`. */
const modeShorthand = (v: unknown) => (typeof v === "string" ? { mode: v } : v);

export const FederationSchema = z.preprocess(
  modeShorthand,
  z.strictObject({
    mode: z.enum(["off", "allowlist", "open"]),
    domains: list(name).optional(),
  }),
);
export const RegistrationSchema = z.preprocess(
  modeShorthand,
  z.strictObject({ mode: z.enum(["off", "invite", "open"]) }),
);
export const FilesSchema = z.strictObject({
  enabled: z.boolean().optional(),
  "max-bytes": z.number().int().min(1).max(Number.MAX_SAFE_INTEGER).optional(),
  "allowed-types": list(name).optional(),
  "blocked-types": list(name).optional(),
  "scanning-required": z.boolean().optional(),
  "retention-days": days.optional(),
});
export const RateLimitsSchema = z.strictObject({
  "stanzas-per-second": rate.optional(),
  "bytes-per-second": rate.optional(),
  "logins-per-minute-per-address": rate.optional(),
});

/** The rules; each may also appear in a per-group override, where it replaces the base rule. */
export const RulesShape = {
  federation: FederationSchema.optional(),
  registration: RegistrationSchema.optional(),
  files: FilesSchema.optional(),
  encryption: z.enum(["optional", "required"]).optional(),
  calls: z.enum(["off", "relay-only", "p2p"]).optional(),
  archive: z.strictObject({ "retention-days": days.optional() }).optional(),
  "rate-limits": RateLimitsSchema.optional(),
  clients: z.strictObject({ allowed: list(name).optional() }).optional(),
  "max-sessions": z.number().int().min(1).max(1000).optional(),
  "version-queries": z.boolean().optional(),
};
export const RulesSchema = z.strictObject(RulesShape);

export const PolicySchema = z
  .strictObject({
    ...RulesShape,
    groups: z.record(name, list(name)).optional(),
    roles: z
      .strictObject({
        admin: list(name).optional(),
        user: list(name).optional(),
        limited: list(name).optional(),
      })
      .optional(),
    overrides: z.record(name, RulesSchema).optional(),
  })
  .superRefine((doc, ctx) => {
    const groups = new Set(Object.keys(doc.groups ?? {}));
    if (groups.size > POLICY_LIMITS.groups)
      ctx.addIssue({
        code: "custom",
        path: ["groups"],
        message: `at most ${POLICY_LIMITS.groups} groups`,
      });
    for (const [role, members] of Object.entries(doc.roles ?? {}))
      (members ?? []).forEach((m, i) => {
        if (m.startsWith("@") && !groups.has(m.slice(1)))
          ctx.addIssue({
            code: "custom",
            path: ["roles", role, i],
            message: `there is no group "${m.slice(1)}" under groups`,
          });
      });
    for (const g of Object.keys(doc.overrides ?? {}))
      if (!groups.has(g))
        ctx.addIssue({
          code: "custom",
          path: ["overrides", g],
          message: `there is no group "${g}" under groups`,
        });
    const fedCheck = (
      f: { mode: string; domains?: string[] } | undefined,
      path: (string | number)[],
    ) => {
      if (f?.mode === "allowlist" && (f.domains ?? []).length === 0)
        ctx.addIssue({
          code: "custom",
          path: [...path, "domains"],
          message: "an allowlist needs at least one domain under domains",
        });
      if (f && f.mode !== "allowlist" && f.domains !== undefined)
        ctx.addIssue({
          code: "custom",
          path: [...path, "domains"],
          message: `domains apply only to mode allowlist (mode is ${f.mode})`,
        });
    };
    fedCheck(doc.federation, ["federation"]);
    for (const [g, r] of Object.entries(doc.overrides ?? {}))
      fedCheck(r.federation, ["overrides", g, "federation"]);
  });

export type PolicyDoc = z.infer<typeof PolicySchema>;
export type RulesDoc = z.infer<typeof RulesSchema>;
