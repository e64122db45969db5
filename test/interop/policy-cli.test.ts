// `hato policy check|explain|reload`: the output an admin reads, and reload through the
// running server's admin socket that keeps the old policy when the new one is invalid.

import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { CLI, type Hato, startHato } from "../support/hato.js";
import { run } from "../support/process.js";

const POLICY = `domain: example.com
policy:
  groups:
    contractors: [carol]
    eng: [alice]
  roles:
    admin: [alice]
    limited: ["@contractors"]
  federation: { mode: allowlist, domains: [partner.org] }
  encryption: required
  files: { max-bytes: 1048576 }
  version-queries: false
  overrides:
    eng: { files: { max-bytes: 10485760 } }
`;

describe("hato policy", () => {
  let dir: string;
  const hato = (args: string[]) =>
    run(process.execPath, [CLI, ...args], { cwd: dir, timeoutMs: 30_000 });
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "hato-policy-cli-"));
    await writeFile(join(dir, "hato.yaml"), POLICY);
    await writeFile(join(dir, "bad.yaml"), "federation:\n  mode: maybe\nfiles:\n  colour: red\n");
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it("check: OK, or every error with its line and column, exit 1", async () => {
    const ok = await hato(["policy", "check", "--config", "hato.yaml"]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(ok.stdout, "policy OK (hato.yaml)\n");
    const bad = await hato(["policy", "check", "bad.yaml"]);
    assert.equal(bad.code, 1);
    assert.equal(
      bad.stderr,
      "bad.yaml line 2, column 9: federation.mode must be one of off, allowlist, open (got 'maybe')\n" +
        'bad.yaml line 4, column 3: unknown key "colour" in files\n' +
        "hato: the policy is invalid (2 errors)\n",
    );
  });

  it("explain: the role, groups and every rule in plain words, and what waits for federation and calls", async () => {
    const carol = await hato(["policy", "explain", "carol@example.com", "--config", "hato.yaml"]);
    assert.equal(carol.code, 0, carol.stderr);
    assert.equal(
      carol.stdout,
      [
        "carol@example.com",
        "role: limited (may not talk to other servers, in either direction)",
        "groups: contractors",
        "federation: may not talk to other servers in either direction (limited role) (enforced once federation exists)",
        "registration: as the server's register.enabled setting says",
        "files: may share files, up to 1 MiB",
        "encryption: 1:1 messages must be end-to-end encrypted (OMEMO); plaintext ones are refused",
        "calls: may not make calls (enforced once calls exist)",
        "archive: messages kept until deleted",
        "clients: any client software",
        "sessions: as many as the server allows",
        "client version: others may not ask which client software this user runs",
        "",
      ].join("\n"),
    );
    const alice = await hato(["policy", "explain", "alice", "--config", "hato.yaml"]);
    assert.match(alice.stdout, /^role: admin/m);
    assert.match(
      alice.stdout,
      /^federation: may talk only to partner\.org \(enforced once federation exists\)$/m,
    );
    assert.match(alice.stdout, /^files: may share files, up to 10 MiB$/m);
    const other = await hato(["policy", "explain", "eve@elsewhere.org", "--config", "hato.yaml"]);
    assert.equal(other.code, 1);
    assert.match(other.stderr, /not an account of example\.com/);
  });

  describe("reload through the running server", () => {
    let server: Hato;
    let config: string;
    before(async () => {
      config = join(dir, "live.yaml");
      await writeFile(config, "policy:\n  encryption: required\n");
      server = await startHato({ flags: { config } });
    });
    after(() => server?.stop());

    it("an invalid policy is refused with its errors and the old one stays; a valid one is applied", async () => {
      await writeFile(config, "policy:\n  encryption: optional\n  calls: maybe\n");
      const bad = await server.cli(["policy", "reload", "--config", config]);
      assert.equal(bad.code, 1);
      assert.match(
        bad.stderr,
        /live\.yaml line 3, column 10: policy\.calls must be one of off, relay-only, p2p \(got 'maybe'\)/,
      );
      assert.match(bad.stderr, /the policy was not reloaded; the old one stays/);
      await writeFile(config, "policy:\n  encryption: optional\n");
      const ok = await server.cli(["policy", "reload", "--config", config]);
      assert.equal(ok.code, 0, ok.stderr);
      assert.equal(ok.stdout, "policy reloaded\n");
    });
  });
});
