import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { parse as parseYaml } from "yaml";
import { loadPolicy } from "../policy/store.js";
import {
  policySource,
  readPolicyText,
  withGroups,
  withoutUser,
  withRole,
  writePolicyText,
} from "./policy-file.js";
import { ADMIN_ROUTES, matchRoute } from "./routes.js";

describe("where the admin's policy edits go", () => {
  const dir = mkdtempSync(join(tmpdir(), "hato-policy-file-"));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("inline: the policy node of hato.yaml is replaced, comments elsewhere kept", () => {
    const file = join(dir, "inline.yaml");
    writeFileSync(
      file,
      "# the server\ndomain: example.com # our domain\npolicy:\n  encryption: optional\n# after\nc2s-port: 5222\n",
    );
    const src = policySource(file, dir);
    assert.deepEqual(src, { kind: "inline", path: file });
    assert.equal(readPolicyText(src), "encryption: optional\n");
    writePolicyText(src, "encryption: required # now\nroles:\n  admin: [root]\n");
    const out = readFileSync(file, "utf8");
    assert.match(out, /^# the server\ndomain: example\.com # our domain\n/);
    assert.match(out, /encryption: required # now/);
    assert.match(out, /c2s-port: 5222/);
    const r = loadPolicy(file, "example.com");
    assert.ok(r.ok);
    assert.equal(r.ok && r.policy.forUser("root").role, "admin");
  });

  it("a key with no value (`roles:` alone) becomes a mapping when a role is set", () => {
    for (const text of ["roles:\n", "roles:\n  admin:\n", "roles: null\n"]) {
      const out = withRole(text, "bob", "example.com", "admin");
      const doc = parseYaml(out) as { roles?: { admin?: string[] } };
      assert.deepEqual(doc.roles?.admin, ["bob"], `${JSON.stringify(text)} gave ${out}`);
    }
  });

  it("a config file without a policy gets one inline", () => {
    const file = join(dir, "none.yaml");
    writeFileSync(file, "domain: example.com\n");
    const src = policySource(file, dir);
    assert.equal(src.kind, "inline");
    assert.equal(readPolicyText(src), "");
    writePolicyText(src, withRole("", "root", "example.com", "admin"));
    const r = loadPolicy(file, "example.com");
    assert.equal(r.ok && r.policy.forUser("root").role, "admin");
  });

  it("file: the file that policy: { file } names is written, hato.yaml left alone", () => {
    const file = join(dir, "with-file.yaml");
    writeFileSync(file, "domain: example.com\npolicy: { file: org-policy.yaml }\n");
    writeFileSync(join(dir, "org-policy.yaml"), "# org\nmax-sessions: 3\n");
    const src = policySource(file, dir);
    assert.deepEqual(src, { kind: "file", path: join(dir, "org-policy.yaml") });
    writePolicyText(src, withRole(readPolicyText(src), "ann", "example.com", "limited"));
    assert.equal(
      readFileSync(file, "utf8"),
      "domain: example.com\npolicy: { file: org-policy.yaml }\n",
    );
    assert.match(
      readFileSync(join(dir, "org-policy.yaml"), "utf8"),
      /^# org\nmax-sessions: 3\nroles:\n {2}limited:\n {4}- ann\n$/,
    );
  });

  it("data: no config file means <data>/policy.yaml, which loadPolicy reads", () => {
    const data = mkdtempSync(join(dir, "data-"));
    const src = policySource(undefined, data);
    assert.deepEqual(src, { kind: "data", path: join(data, "policy.yaml") });
    assert.equal(loadPolicy(undefined, "example.com", data).ok, true, "none yet: the defaults");
    writePolicyText(src, "roles: { admin: [root] }\n");
    const r = loadPolicy(undefined, "example.com", data);
    assert.equal(r.ok && r.policy.forUser("root").role, "admin");
  });

  it("role edits move a name between roles (either spelling), keeping flow style and comments", () => {
    const text = "roles: # who\n  admin: [root, Bob@example.com]\n  limited: [carol]\n";
    assert.equal(
      withRole(text, "bob", "example.com", "limited"),
      "roles:\n  # who\n  admin: [ root ]\n  limited: [ carol, bob ]\n",
    );
    assert.equal(
      withRole(text, "carol", "example.com", "user"),
      "roles:\n  # who\n  admin: [ root, Bob@example.com ]\n  limited: []\n",
    );
  });

  it("group edits refuse unknown groups and change nothing then", () => {
    const text = "groups:\n  ops: [root]\n  sales: []\n";
    assert.deepEqual(withGroups(text, "ann", "example.com", ["ops", "nope"]), {
      text,
      unknown: ["nope"],
    });
    assert.equal(
      withGroups(text, "root", "example.com", ["sales"]).text,
      "groups:\n  ops: []\n  sales: [ root ]\n",
    );
    assert.equal(
      withoutUser("groups:\n  ops: [root, ann]\nroles:\n  admin: [root]\n", "root", "example.com"),
      "groups:\n  ops: [ ann ]\nroles:\n  admin: []\n",
    );
  });
});

describe("admin route table", () => {
  it("matches parameters, full JIDs with slashes, and reports allowed methods", () => {
    const m = matchRoute("POST", "/admin/api/users/ann/lock");
    assert.ok(m && "route" in m);
    assert.deepEqual(m.params, { name: "ann" });
    const s = matchRoute("DELETE", "/admin/api/sessions/ann@example.com/phone/with/slashes");
    assert.ok(s && "route" in s);
    assert.deepEqual(s.params, { jid: "ann@example.com/phone/with/slashes" });
    assert.deepEqual(matchRoute("PATCH", "/admin/api/users"), { allowed: ["GET", "POST"] });
    assert.equal(matchRoute("GET", "/admin/api/nothing"), undefined);
    assert.ok(
      ADMIN_ROUTES.every((r) => {
        const x = matchRoute(r.method, r.example.path.split("?")[0]!);
        return x !== undefined && "route" in x && x.route === r;
      }),
    );
  });
});
