// Parses and validates the policy text, keeping YAML node positions so that every error names
// the file, the line and the column, the setting and what is wrong with it.

import { type Document, isMap, isScalar, isSeq, LineCounter, parseDocument, visit } from "yaml";
import type { z } from "zod";
import { POLICY_LIMITS, type PolicyDoc, PolicySchema } from "./schema.js";

/** One problem in the policy, with where it is. */
export interface PolicyError {
  file: string;
  line: number;
  column: number;
  /** The dotted setting, e.g. `federation.mode`. */
  path: string;
  message: string;
}

export function formatPolicyError(e: PolicyError): string {
  return `${e.file} line ${e.line}, column ${e.column}: ${e.message}`;
}

export type ParseResult = { ok: true; doc: PolicyDoc } | { ok: false; errors: PolicyError[] };

type Path = (string | number)[];

function depthOf(node: unknown, d = 0): number {
  if (isMap(node)) return Math.max(d + 1, ...node.items.map((p) => depthOf(p.value, d + 1)));
  if (isSeq(node)) return Math.max(d + 1, ...node.items.map((i) => depthOf(i, d + 1)));
  return d;
}

const show = (v: unknown) =>
  typeof v === "string" ? `'${v.length > 60 ? `${v.slice(0, 60)}…` : v}'` : JSON.stringify(v);

function describe(issue: z.core.$ZodIssue, where: string, got: unknown): string {
  switch (issue.code) {
    case "invalid_value":
      if (got === undefined)
        return `${where} is missing (one of ${issue.values.map(String).join(", ")})`;
      return `${where} must be one of ${issue.values.map(String).join(", ")} (got ${show(got)})`;
    case "invalid_type":
      if (got === undefined) return `${where} is missing`;
      return `${where} must be ${issue.expected === "object" ? "a mapping" : issue.expected === "array" ? "a list" : `a ${issue.expected}`} (got ${show(got)})`;
    case "unrecognized_keys":
      return `unknown key ${issue.keys.map((k) => `"${k}"`).join(", ")}${where === "the policy" ? "" : ` in ${where}`}`;
    case "too_big":
      return issue.origin === "array" || issue.origin === "string"
        ? `${where} is too long (at most ${String(issue.maximum)} ${issue.origin === "array" ? "entries" : "characters"})`
        : `${where} must be at most ${String(issue.maximum)} (got ${show(got)})`;
    case "too_small":
      return issue.origin === "string"
        ? `${where} must not be empty`
        : `${where} must be at least ${String(issue.minimum)} (got ${show(got)})`;
    default:
      return `${where}: ${issue.message}`;
  }
}

/**
 * Validates `text`. `base` is where the policy sits in the document: `["policy"]` for the
 * section of hato.yaml, `[]` for a policy file of its own.
 */
export function parsePolicy(text: string, file: string, base: Path = []): ParseResult {
  const at = (line: number, column: number, path: string, message: string): PolicyError => ({
    file,
    line,
    column,
    path,
    message,
  });
  if (Buffer.byteLength(text) > POLICY_LIMITS.bytes)
    return {
      ok: false,
      errors: [at(1, 1, "", `the policy is larger than ${POLICY_LIMITS.bytes} bytes`)],
    };
  const lc = new LineCounter();
  let doc: Document.Parsed;
  try {
    doc = parseDocument(text, { lineCounter: lc, uniqueKeys: true });
  } catch (err) {
    return { ok: false, errors: [at(1, 1, "", (err as Error).message)] };
  }
  const pos = (offset: number) => lc.linePos(offset);
  if (doc.errors.length > 0) {
    return {
      ok: false,
      errors: doc.errors.map((e) => {
        const p = pos(e.pos[0]);
        return at(p.line, p.col, "", e.message.split("\n")[0]!);
      }),
    };
  }
  let alias: number | undefined;
  visit(doc, {
    Alias(_, node) {
      alias ??= node.range?.[0] ?? 0;
      return visit.BREAK;
    },
  });
  if (alias !== undefined) {
    const p = pos(alias);
    return {
      ok: false,
      errors: [at(p.line, p.col, "", "YAML aliases are not allowed in the policy")],
    };
  }
  const root = base.length === 0 ? doc.contents : doc.getIn(base, true);
  const tooDeep = depthOf(root) > POLICY_LIMITS.depth;
  if (tooDeep) {
    const r = (root as { range?: [number] } | null)?.range;
    const p = pos(r?.[0] ?? 0);
    return {
      ok: false,
      errors: [at(p.line, p.col, "", `the policy nests deeper than ${POLICY_LIMITS.depth} levels`)],
    };
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 0 });
  } catch (err) {
    return { ok: false, errors: [at(1, 1, "", (err as Error).message)] };
  }
  for (const k of base) value = (value as Record<string | number, unknown> | null)?.[k];
  if (value === null || value === undefined) value = {};
  const result = PolicySchema.safeParse(value);
  if (result.success) return { ok: true, doc: result.data };
  const prefix = base.length > 0 ? `${base.join(".")}.` : "";
  const errors = result.error.issues.map((issue) => {
    const path = issue.path.map((p) => (typeof p === "symbol" ? String(p) : p));
    // The node the issue is about: the key itself for unknown keys, else the deepest node
    // of the path that exists (a shorthand `federation: maybe` reports at the scalar).
    let offset = 0;
    let got: unknown;
    for (let n = path.length; n >= 0; n--) {
      const node = doc.getIn([...base, ...path.slice(0, n)], true) as
        | { range?: [number, number, number] }
        | undefined;
      if (node?.range) {
        offset = node.range[0];
        if (n === path.length) got = isScalar(node) ? node.value : doc.getIn([...base, ...path]);
        else if (isScalar(node) && n === path.length - 1) got = node.value;
        break;
      }
    }
    if (issue.code === "unrecognized_keys") {
      const map = doc.getIn([...base, ...path], true) ?? (base.length === 0 ? doc.contents : null);
      if (isMap(map)) {
        const pair = map.items.find(
          (p) => isScalar(p.key) && p.key.value === (issue as { keys: string[] }).keys[0],
        );
        const r = (pair?.key as { range?: [number] } | undefined)?.range;
        if (r) offset = r[0];
      }
    }
    const p = pos(offset);
    const dotted = `${prefix}${path.join(".")}`.replace(/\.$/, "");
    return at(p.line, p.col, dotted, describe(issue, dotted || "the policy", got));
  });
  errors.sort((a, b) => a.line - b.line || a.column - b.column);
  return { ok: false, errors };
}
