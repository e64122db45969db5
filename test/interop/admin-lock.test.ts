// Locking a user cuts a live slixmpp session at once, from the CLI (`hato user lock`, through
// the admin socket) and from the admin API (with a token made by `hato admin token create`);
// role, groups and tokens from the CLI, live and on the data folder of a stopped server.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { LOCKED_TEXT } from "@hato/core";
import { AdminClient } from "../support/admin.js";
import { agentPool } from "../support/agents.js";
import { type Hato, startHato, TEST_USERS } from "../support/hato.js";

describe("locking and the admin CLI against a running hato", () => {
  let hato: Hato;
  let api: AdminClient;
  let tokenId: string;
  const pool = agentPool();
  const slixmpp = (user: string) =>
    pool.start("slixmpp", hato, {
      user,
      password: TEST_USERS[user]!,
      tls: "starttls",
      channelBinding: "tls-server-end-point",
    });

  before(async () => {
    hato = await startHato({
      users: { alice: TEST_USERS.alice!, bob: TEST_USERS.bob!, carol: TEST_USERS.carol! },
    });
    const role = await hato.cli(["user", "role", "alice", "admin"]);
    assert.equal(role.code, 0, role.stderr);
    assert.match(role.stdout, /alice@localhost now has the role admin/);
    const made = await hato.cli(["admin", "token", "create", "ops-script", "--owner", "alice"]);
    assert.equal(made.code, 0, made.stderr);
    api = new AdminClient(hato.tlsPort, readFileSync(hato.caFile, "utf8"));
    api.token = made.stdout.trim();
    assert.match(api.token, /^hato_[A-Za-z0-9_-]{43}$/);
    tokenId = /token (\S+) created/.exec(made.stderr)![1]!;
  });
  after(async () => {
    await pool.stopAll();
    await hato?.stop();
  });

  it("the first start names its admin account in <data>/policy.yaml", () => {
    const policy = readFileSync(join(hato.dataDir, "policy.yaml"), "utf8");
    assert.match(policy, /admin: \[\s*admin,\s*alice\s*\]/);
  });

  it("hato user lock cuts bob's slixmpp session at once with the stream error text", async () => {
    const bob = slixmpp("bob");
    await bob.online();
    const lock = await hato.cli(["user", "lock", "bob"]);
    assert.equal(lock.code, 0, lock.stderr);
    assert.match(lock.stdout, /locked bob@localhost and closed 1 session/);
    const err = await bob.next("stream-error");
    assert.equal(err["condition"], "policy-violation");
    assert.equal(err["text"], LOCKED_TEXT);
    await bob.next("disconnected");
    const user = await api.call("GET", "/admin/api/users/bob");
    assert.equal(user.json!.locked, true);
    const unlock = await hato.cli(["user", "unlock", "bob"]);
    assert.equal(unlock.code, 0, unlock.stderr);
  });

  it("the admin API's lock (with a CLI-made token) cuts a live slixmpp session too", async () => {
    const bob = slixmpp("bob");
    await bob.online();
    const r = await api.call("POST", "/admin/api/users/bob/lock");
    assert.deepEqual(r.json, { locked: true, closedSessions: 1 });
    const err = await bob.next("stream-error");
    assert.equal(err["condition"], "policy-violation");
    assert.equal(err["text"], LOCKED_TEXT);
    await api.call("POST", "/admin/api/users/bob/unlock");
    const again = slixmpp("bob");
    await again.online();
    const sessions = (await api.call("GET", "/admin/api/sessions")).json!.sessions as Record<
      string,
      unknown
    >[];
    const s = sessions.find((x) => x.username === "bob")!;
    assert.equal(s.transport, "tcp");
    assert.match(String(s.tls), /^TLSv1\.[23]$/);
    await again.stop();
  });

  it("hato user groups and hato admin token list|revoke work live", async () => {
    const put = await api.call("PUT", "/admin/api/policy", {
      body: {
        text: `${(await api.call("GET", "/admin/api/policy")).json!.text}groups:\n  ops: []\n`,
      },
    });
    assert.equal(put.status, 200, put.text);
    const g = await hato.cli(["user", "groups", "carol", "ops"]);
    assert.equal(g.code, 0, g.stderr);
    assert.deepEqual((await api.call("GET", "/admin/api/users/carol")).json!.groups, ["ops"]);
    const bad = await hato.cli(["user", "groups", "carol", "nope"]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /no group "nope"/);
    const list = await hato.cli(["admin", "token", "list"]);
    assert.match(list.stdout, new RegExp(`^${tokenId}\\tops-script\\talice\\t`, "m"));
    assert.ok(!list.stdout.includes(api.token!), "never the token itself");
    const audit = (await api.call("GET", "/admin/api/audit?kind=user-locked")).json!.entries as {
      actor?: string;
      details: { via?: string };
    }[];
    assert.ok(
      audit.some((e) => e.details.via === "cli"),
      "the CLI's lock is recorded",
    );
    assert.ok(
      audit.some((e) => e.actor === "alice"),
      "the API's lock names the admin",
    );
  });

  it("on a stopped server: lock, role and tokens on the data folder, seen after the restart", async () => {
    await hato.shutdown();
    assert.equal((await hato.cli(["user", "lock", "carol"])).code, 0);
    const role = await hato.cli(["user", "role", "carol", "limited"]);
    assert.equal(role.code, 0, role.stderr);
    const revoke = await hato.cli(["admin", "token", "revoke", tokenId]);
    assert.equal(revoke.code, 0, revoke.stderr);
    const made = await hato.cli(["admin", "token", "create", "after-restart", "--owner", "alice"]);
    assert.equal(made.code, 0, made.stderr);
    await hato.start();
    const old = new AdminClient(hato.tlsPort, api.ca);
    old.token = api.token;
    assert.equal((await old.call("GET", "/admin/api/users")).status, 401, "the revoked token");
    api = new AdminClient(hato.tlsPort, api.ca);
    api.token = made.stdout.trim();
    const carol = (await api.call("GET", "/admin/api/users/carol")).json!;
    assert.equal(carol.locked, true);
    assert.equal(carol.role, "limited");
    const policy = await hato.cli(["policy", "explain", "carol"]);
    assert.match(policy.stdout, /role: limited/, "hato policy reads <data>/policy.yaml");
  });
});
