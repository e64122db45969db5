import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { openMemoryStorage, openSqliteStorage, type Storage } from "@hato/storage";
import { loadConfig } from "./config.js";
import { Invites, inviteKey } from "./invites.js";

const config = (flags: Record<string, string> = {}) =>
  loadConfig({ flags: new Map(Object.entries({ domain: "example.org", ...flags })) });

describe("Invites over SQLite", () => {
  let dir: string;
  let storage: Storage;
  let invites: Invites;
  const events: string[] = [];
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "hato-invites-"));
    storage = openSqliteStorage(join(dir, "hato.db"));
    invites = new Invites(storage, config({ "tls-port": "5223" }), {
      fire: (event, p) => {
        events.push(`${event} ${"id" in p ? p.id : ""}`);
        return false;
      },
    });
  });
  after(async () => {
    await storage.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("the database holds the token's hash, never the token", async () => {
    const inv = await invites.create({ by: "admin" });
    await storage.close();
    const bytes = readFileSync(join(dir, "hato.db"));
    assert.equal(bytes.includes(Buffer.from(inv.token)), false);
    assert.equal(bytes.includes(Buffer.from(inviteKey(inv.token))), true);
    storage = openSqliteStorage(join(dir, "hato.db"));
    invites = new Invites(storage, config({ "tls-port": "5223" }));
    assert.equal((await invites.check(inv.token)).ok, true, "still there after reopening");
  });

  it("fifty redeemers of one invite at once: one account", async () => {
    const inv = await invites.create({ by: "admin" });
    const c = await invites.check(inv.token);
    assert.ok(c.ok);
    let created = 0;
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        invites.redeem(c.key, `u${i}`, "192.0.2.9", async () => {
          created++;
        }),
      ),
    );
    assert.equal(created, 1);
    assert.equal(results.filter((r) => r.ok).length, 1);
  });

  it("a failed account creation gives the invite back", async () => {
    const inv = await invites.create({ by: "admin" });
    const c = await invites.check(inv.token);
    assert.ok(c.ok);
    await assert.rejects(
      invites.redeem(c.key, "x", "192.0.2.9", async () => {
        throw new Error("name taken");
      }),
      /name taken/,
    );
    assert.equal((await invites.list()).find((i) => i.id === inv.id)?.state, "open");
  });
});

describe("Invites: tokens, links, listing", () => {
  it("tokens are 43 letters and digits, all different", async () => {
    const invites = new Invites(openMemoryStorage(), config());
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const { token } = await invites.create({ by: "cli" });
      assert.match(token, /^[A-Za-z0-9]{43}$/);
      seen.add(token);
    }
    assert.equal(seen.size, 200);
  });

  it("links: the public host, or the domain with the TLS port; ?domain= when they differ", async () => {
    const t = "T".repeat(43);
    assert.deepEqual(new Invites(openMemoryStorage(), config({ "tls-port": "443" })).links(t), {
      url: `https://example.org/invite#${t}`,
      uri: `xmpp:example.org?register;preauth=${t}`,
    });
    assert.equal(
      new Invites(openMemoryStorage(), config({ "tls-port": "5223" })).links(t).url,
      `https://example.org:5223/invite#${t}`,
    );
    assert.equal(
      new Invites(openMemoryStorage(), config({ "http.public-host": "chat.example.org" })).links(t)
        .url,
      `https://chat.example.org/invite?domain=example.org#${t}`,
    );
  });

  it("list: newest first, states, never a token; revoke only what is open", async () => {
    const invites = new Invites(openMemoryStorage(), config());
    const a = await invites.create({ by: "alice", note: "  first  " });
    await new Promise((r) => setTimeout(r, 5));
    const b = await invites.create({ by: "bob", expiresInHours: 1 });
    const list = await invites.list();
    assert.deepEqual(
      list.map((i) => [i.id, i.by, i.state, i.note]),
      [
        [b.id, "bob", "open", undefined],
        [a.id, "alice", "open", "first"],
      ],
    );
    assert.ok(!JSON.stringify(list).includes(a.token));
    assert.equal(await invites.revoke(a.id, "alice"), true);
    assert.equal((await invites.list()).find((i) => i.id === a.id)?.state, "revoked");
    assert.equal(await invites.revoke(a.id), false);
    const c = await invites.check(b.token);
    assert.ok(c.ok);
    await invites.redeem(c.key, "carol", "192.0.2.1", async () => {});
    assert.equal(await invites.revoke(b.id), false, "a used invite cannot be revoked");
    assert.deepEqual(await invites.check(b.token), { ok: false, reason: "used" });
    assert.deepEqual(await invites.check("short"), { ok: false, reason: "malformed" });
  });
});
