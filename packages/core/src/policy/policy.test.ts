import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { explain } from "./explain.js";
import { formatPolicyError, parsePolicy } from "./parse.js";
import { loadPolicy, PolicyStore } from "./store.js";

const errorsOf = (text: string, base: string[] = []) => {
  const r = parsePolicy(text, "policy.yaml", base);
  assert.equal(r.ok, false, "expected errors");
  return r.ok ? [] : r.errors.map(formatPolicyError);
};

describe("policy parser", () => {
  it("accepts a full policy", () => {
    const r = parsePolicy(
      [
        "groups:",
        "  eng: [alice, bob]",
        "  contractors: [carol]",
        "roles:",
        "  admin: [alice]",
        "  limited: ['@contractors']",
        "federation: { mode: allowlist, domains: [partner.org] }",
        "registration: invite",
        "files: { enabled: true, max-bytes: 1000, allowed-types: [image/*], blocked-types: [], scanning-required: true, retention-days: 30 }",
        "encryption: required",
        "calls: relay-only",
        "archive: { retention-days: 365 }",
        "rate-limits: { stanzas-per-second: 10, bytes-per-second: 10000, logins-per-minute-per-address: 5 }",
        "clients: { allowed: [https://conversations.im, Gajim] }",
        "max-sessions: 4",
        "version-queries: false",
        "overrides:",
        "  eng: { files: { max-bytes: 5000 } }",
      ].join("\n"),
      "policy.yaml",
    );
    assert.equal(r.ok, true, r.ok ? "" : r.errors.map(formatPolicyError).join("\n"));
  });

  it("a bad enum names the line, the column, the choices and the value", () => {
    assert.deepEqual(errorsOf("encryption: required\nfederation:\n  mode: maybe\n"), [
      "policy.yaml line 3, column 9: federation.mode must be one of off, allowlist, open (got 'maybe')",
    ]);
  });

  it("the shorthand form reports at the value", () => {
    assert.deepEqual(errorsOf("calls: video\n"), [
      "policy.yaml line 1, column 8: calls must be one of off, relay-only, p2p (got 'video')",
    ]);
  });

  it("an unknown key is an error at the key, also nested and in the hato.yaml section", () => {
    assert.deepEqual(errorsOf("encryptoin: required\n"), [
      'policy.yaml line 1, column 1: unknown key "encryptoin"',
    ]);
    assert.deepEqual(
      errorsOf("domain: x\npolicy:\n  files:\n    enabled: true\n    colour: red\n", ["policy"]),
      ['policy.yaml line 5, column 5: unknown key "colour" in policy.files'],
    );
  });

  it("a policy that is not a mapping, and a missing mode", () => {
    assert.deepEqual(errorsOf("- encryption\n"), [
      'policy.yaml line 1, column 1: the policy must be a mapping (got ["encryption"])',
    ]);
    assert.deepEqual(errorsOf("domain: x\npolicy: 5\n", ["policy"]), [
      "policy.yaml line 2, column 9: policy must be a mapping (got 5)",
    ]);
    assert.deepEqual(errorsOf("federation:\n  domains: [a.org]\n"), [
      "policy.yaml line 2, column 3: federation.mode is missing (one of off, allowlist, open)",
    ]);
  });

  it("wrong types and ranges", () => {
    assert.deepEqual(errorsOf("max-sessions: lots\nfiles:\n  max-bytes: -1\n"), [
      "policy.yaml line 1, column 15: max-sessions must be a number (got 'lots')",
      "policy.yaml line 3, column 14: files.max-bytes must be at least 1 (got -1)",
    ]);
  });

  it("roles naming a group that does not exist, and an allowlist without domains", () => {
    assert.deepEqual(errorsOf("roles:\n  admin: ['@ops']\nfederation: allowlist\n"), [
      'policy.yaml line 2, column 11: roles.admin.0: there is no group "ops" under groups',
      "policy.yaml line 3, column 13: federation.domains: an allowlist needs at least one domain under domains",
    ]);
  });

  it("YAML syntax errors, aliases, size and depth are refused with a position", () => {
    assert.match(errorsOf("files: [\n")[0]!, /^policy\.yaml line \d+, column \d+: /);
    assert.deepEqual(errorsOf("groups:\n  a: &x [bob]\n  b: *x\n"), [
      "policy.yaml line 3, column 6: YAML aliases are not allowed in the policy",
    ]);
    assert.match(errorsOf(`# ${"x".repeat(300 * 1024)}\n`)[0]!, /larger than 262144 bytes/);
    assert.match(errorsOf("groups: [[[[[[[[[[1]]]]]]]]]]\n")[0]!, /nests deeper than 8 levels/);
    assert.match(
      errorsOf(
        `groups:\n  g: [${Array.from({ length: 10_001 }, (_, i) => `u${i}`).join(",")}]\n`,
      )[0]!,
      /groups\.g is too long \(at most 10000 entries\)/,
    );
  });
});

describe("policy store", () => {
  const dir = mkdtempSync(join(tmpdir(), "hato-policy-"));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("reads the section of hato.yaml, or the file it names", () => {
    const cfg = join(dir, "hato.yaml");
    writeFileSync(cfg, "domain: example.com\npolicy:\n  encryption: required\n");
    const a = loadPolicy(cfg, "example.com");
    assert.equal(a.ok && a.policy.forUser("bob").rules.encryption, "required");
    writeFileSync(join(dir, "org.yaml"), "max-sessions: 2\n");
    writeFileSync(cfg, "domain: example.com\npolicy: { file: org.yaml }\n");
    const b = loadPolicy(cfg, "example.com");
    assert.equal(b.ok && b.policy.forUser("bob").rules.maxSessions, 2);
  });

  it("reload swaps a valid policy in and keeps the old one on any error", () => {
    const cfg = join(dir, "reload.yaml");
    writeFileSync(cfg, "policy:\n  encryption: required\n");
    const store = PolicyStore.open(cfg, "example.com");
    const before = store.current;
    // One good rule and one bad one: nothing of the new text is applied.
    writeFileSync(cfg, "policy:\n  encryption: optional\n  calls: maybe\n");
    const bad = store.reload();
    assert.equal(bad.ok, false);
    assert.deepEqual(bad.ok ? [] : bad.errors, [
      `${cfg} line 3, column 10: policy.calls must be one of off, relay-only, p2p (got 'maybe')`,
    ]);
    assert.equal(store.current, before);
    assert.equal(store.current.forUser("bob").rules.encryption, "required");
    writeFileSync(cfg, "policy:\n  encryption: optional\n");
    assert.equal(store.reload().ok, true);
    assert.equal(store.current.forUser("bob").rules.encryption, "optional");
  });

  it("reloads on file change after a pause", async () => {
    const cfg = join(dir, "watched.yaml");
    writeFileSync(cfg, "policy:\n  max-sessions: 5\n");
    const store = PolicyStore.open(cfg, "example.com");
    const done = new Promise<boolean>((resolve) => store.watch((r) => resolve(r.ok), 50));
    // The watcher and its timer do not hold the process open; this test does meanwhile.
    const keep = setTimeout(() => {}, 10_000);
    writeFileSync(cfg, "policy:\n  max-sessions: 7\n");
    assert.equal(await done, true);
    clearTimeout(keep);
    assert.equal(store.current.forUser("bob").rules.maxSessions, 7);
    store.close();
  });
});

describe("policy resolution and explain", () => {
  const r = parsePolicy(
    "groups:\n  eng: [alice]\n  ext: [carol@example.com]\nroles:\n  admin: [alice]\n  limited: ['@ext']\nfederation: open\nfiles: { max-bytes: 100 }\noverrides:\n  eng: { files: { max-bytes: 1000 }, calls: p2p }\n",
    "p.yaml",
  );
  assert.ok(r.ok);
  const store = new PolicyStore(undefined, "example.com");
  store.applyText(
    "groups:\n  eng: [alice]\n  ext: [carol@example.com]\nroles:\n  admin: [alice]\n  limited: ['@ext']\nfederation: open\nfiles: { max-bytes: 100 }\noverrides:\n  eng: { files: { max-bytes: 1000 }, calls: p2p }\n",
  );
  const p = store.current;

  it("roles, groups and overrides resolve per user", () => {
    assert.equal(p.forUser("alice").role, "admin");
    assert.equal(p.forUser("alice").rules.files.maxBytes, 1000);
    assert.equal(p.forUser("alice").rules.calls, "p2p");
    assert.equal(p.forUser("carol").role, "limited");
    assert.equal(p.forUser("carol").rules.federation.mode, "off");
    assert.equal(p.forUser("dave").role, "user");
    assert.equal(p.forUser("dave").rules.files.maxBytes, 100);
  });

  it("explain says what is not enforced yet", () => {
    const text = explain(p, "carol").join("\n");
    assert.match(text, /role: limited/);
    assert.match(text, /groups: ext/);
    assert.match(
      text,
      /federation: may not talk to other servers.*\(enforced once federation exists\)/,
    );
    assert.match(text, /calls: may not make calls \(enforced once calls exist\)/);
    assert.match(explain(p, "alice").join("\n"), /files: may share files, up to 1000 bytes/);
  });
});
