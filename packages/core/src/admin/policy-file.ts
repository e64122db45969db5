// Where the policy an admin edits is kept, and edits to it. One source for roles and groups:
// the policy document. A file of its own (`policy: { file }`), the `policy` node of hato.yaml
// (replaced through the yaml Document API, so comments elsewhere stay), or, with no config
// file, `policy.yaml` in the data folder (which `hato start` and `hato policy` then read).

import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { type Document, isMap, isSeq, parseDocument, type YAMLSeq } from "yaml";
import { dataPolicyFile } from "../policy/store.js";

export interface PolicySource {
  kind: "file" | "inline" | "data";
  /** The file written: the policy file, hato.yaml, or `<data>/policy.yaml`. */
  path: string;
}

/** Where the policy of a server with this config file and data folder lives. */
export function policySource(configFile: string | undefined, data: string): PolicySource {
  if (configFile === undefined) return { kind: "data", path: dataPolicyFile(data) };
  const doc = parseDocument(readFileSync(configFile, "utf8"));
  const node = doc.get("policy", true);
  if (isMap(node) && node.items.length === 1) {
    const file = node.get("file");
    if (typeof file === "string") return { kind: "file", path: resolve(dirname(configFile), file) };
  }
  return { kind: "inline", path: configFile };
}

/** The policy's text as the admin edits it (a document of its own). */
export function readPolicyText(src: PolicySource): string {
  if (src.kind !== "inline") return existsSync(src.path) ? readFileSync(src.path, "utf8") : "";
  const doc = parseDocument(readFileSync(src.path, "utf8"));
  const node = doc.get("policy", true);
  if (node === undefined || node === null) return "";
  const own = parseDocument("");
  own.contents = node as typeof own.contents;
  return own.toString();
}

/** Writes a validated policy text where it lives (atomically: a new file renamed over). */
export function writePolicyText(src: PolicySource, text: string): void {
  let out = text;
  if (src.kind === "inline") {
    const doc = parseDocument(readFileSync(src.path, "utf8"));
    const policy = parseDocument(text);
    doc.set("policy", policy.contents ?? doc.createNode({}));
    out = doc.toString();
  }
  const tmp = `${src.path}.${process.pid}.tmp`;
  writeFileSync(tmp, out, { mode: 0o600 });
  renameSync(tmp, src.path);
}

const ROLES = ["admin", "user", "limited"] as const;

/** Whether a list entry names the account (`name` or `name@domain`, any case). */
const names = (item: unknown, username: string, domain: string) => {
  const v = String(item instanceof Object && "value" in item ? item.value : item).toLowerCase();
  return v === username || v === `${username}@${domain}`;
};

function removeFrom(seq: unknown, username: string, domain: string): void {
  if (!isSeq(seq)) return;
  seq.items = seq.items.filter((i) => !names(i, username, domain));
}

function addTo(doc: Document, path: string[], username: string): void {
  // A key written with no value (`roles:` alone) holds null, not a mapping: make it one.
  for (let i = 1; i < path.length; i++) {
    const parent = doc.getIn(path.slice(0, i), true);
    if (!isMap(parent)) doc.setIn(path.slice(0, i), doc.createNode({}));
  }
  const seq = doc.getIn(path, true);
  if (isSeq(seq)) seq.add(doc.createNode(username));
  else doc.setIn(path, doc.createNode([username]));
}

/** The policy text with the account named under `roles.<role>` only ("user": under none). */
export function withRole(text: string, username: string, domain: string, role: string): string {
  const doc = parseDocument(text);
  if (!isMap(doc.contents)) doc.contents = doc.createNode({}) as unknown as typeof doc.contents;
  for (const r of ROLES) removeFrom(doc.getIn(["roles", r], true), username, domain);
  if (role !== "user") addTo(doc, ["roles", role], username);
  return doc.toString();
}

/**
 * The policy text with the account a member of exactly `groups`; the names of groups the
 * policy does not define come back in `unknown` (and nothing is changed).
 */
export function withGroups(
  text: string,
  username: string,
  domain: string,
  groups: string[],
): { text: string; unknown: string[] } {
  const doc = parseDocument(text);
  const defined = doc.get("groups", true);
  const have = isMap(defined)
    ? defined.items.map((p) => String((p.key as { value?: unknown })?.value ?? p.key))
    : [];
  const unknown = groups.filter((g) => !have.includes(g));
  if (unknown.length > 0) return { text, unknown };
  if (isMap(defined))
    for (const p of defined.items) {
      const g = String((p.key as { value?: unknown })?.value ?? p.key);
      removeFrom(p.value, username, domain);
      if (groups.includes(g)) {
        if (isSeq(p.value)) p.value.add(doc.createNode(username));
        else p.value = doc.createNode([username]) as YAMLSeq;
      }
    }
  return { text: doc.toString(), unknown: [] };
}

/** The policy text with the account named nowhere (it was deleted: a new one of that name starts plain). */
export function withoutUser(text: string, username: string, domain: string): string {
  const doc = parseDocument(text);
  for (const r of ROLES) removeFrom(doc.getIn(["roles", r], true), username, domain);
  const groups = doc.get("groups", true);
  if (isMap(groups)) for (const p of groups.items) removeFrom(p.value, username, domain);
  return doc.toString();
}
