// Storage contract, RosterStore part: versions, item fields, order, copies, account lifetime.

import assert from "node:assert/strict";
import type { RosterItem, Storage } from "../ports.js";
import {
  account,
  byCodePoint,
  INVALID,
  type OpenStorage,
  randomNames,
  rejectsWith,
  test,
} from "./fixtures.js";

function item(jid: string, extra: Partial<RosterItem> = {}): RosterItem {
  return { jid, subscription: "none", groups: [], ...extra };
}

async function withUsers(s: Storage, ...names: string[]): Promise<void> {
  for (const name of names) await s.accounts.create(account(name));
}

/** Defines the RosterStore tests. */
export function rosterTests(open: OpenStorage): void {
  test(open, "an empty roster, or one without an account, is version 0", async (s) => {
    await withUsers(s, "alice");
    assert.deepEqual(await s.roster.get("alice"), { version: 0, items: [] });
    assert.deepEqual(await s.roster.get("ghost"), { version: 0, items: [] });
    assert.equal(await s.roster.item("alice", "bob@example.org"), undefined);
    assert.equal(await s.roster.item("ghost", "bob@example.org"), undefined);
    assert.equal(await s.roster.count("alice"), 0);
    assert.equal(await s.roster.count("ghost"), 0);
  });

  test(open, "every write bumps the version; deleting a missing item writes nothing", async (s) => {
    await withUsers(s, "alice");
    const bob = item("bob@example.org");
    assert.equal(await s.roster.set("alice", bob.jid, bob), 1);
    assert.equal(await s.roster.set("alice", "carol@example.org", item("carol@example.org")), 2);
    const both = item(bob.jid, { subscription: "both", name: "Bob" });
    assert.equal(await s.roster.set("alice", bob.jid, both), 3); // same content again counts too
    assert.equal(await s.roster.set("alice", bob.jid, both), 4);
    assert.deepEqual(await s.roster.item("alice", bob.jid), both);
    assert.equal(await s.roster.set("alice", bob.jid, undefined), 5);
    assert.equal(await s.roster.item("alice", bob.jid), undefined);
    assert.equal(await s.roster.set("alice", bob.jid, undefined), undefined);
    assert.equal(await s.roster.set("alice", "never@example.org", undefined), undefined);
    const roster = await s.roster.get("alice");
    assert.equal(roster.version, 5);
    assert.deepEqual(roster.items, [item("carol@example.org")]);
    assert.equal(await s.roster.count("alice"), 1);
  });

  test(open, "items come back as written; optional fields only when given", async (s) => {
    await withUsers(s, "alice");
    const full = item("full@example.org", {
      name: "\u6771 \u{1F600}",
      subscription: "to",
      ask: true,
      approved: true,
      groups: ["Zeta", "Alpha", "\u00e9quipe", ""],
    });
    const bare = item("bare@example.org", { subscription: "from" });
    const unnamed = item("unnamed@example.org", { name: "" });
    for (const i of [full, bare, unnamed]) await s.roster.set("alice", i.jid, i);
    assert.deepEqual(await s.roster.item("alice", full.jid), full);
    assert.deepEqual(await s.roster.item("alice", bare.jid), bare);
    assert.deepEqual(await s.roster.item("alice", unnamed.jid), unnamed);
    // false flags read back as absent, so one item has one representation.
    const flags = item("flags@example.org", { ask: false, approved: false });
    await s.roster.set("alice", flags.jid, flags);
    const got = await s.roster.item("alice", flags.jid);
    assert.deepEqual(got, item("flags@example.org"));
    assert.ok(got && !("ask" in got) && !("approved" in got) && !("name" in got));
    for (const sub of ["none", "to", "from", "both"] as const) {
      await s.roster.set("alice", flags.jid, item(flags.jid, { subscription: sub }));
      assert.equal((await s.roster.item("alice", flags.jid))?.subscription, sub);
    }
  });

  test(open, "items are listed in code point order of their JIDs", async (s) => {
    await withUsers(s, "alice");
    const jids = randomNames(40, 7).map((n) => `${n}@example.org`);
    for (const jid of jids) await s.roster.set("alice", jid, item(jid, { name: jid }));
    const { items, version } = await s.roster.get("alice");
    assert.deepEqual(
      items.map((i) => i.jid),
      [...jids].sort(byCodePoint),
    );
    assert.equal(version, 40);
    for (const i of items) assert.equal(i.name, i.jid);
  });

  test(open, "JIDs are compared exactly", async (s) => {
    await withUsers(s, "alice");
    for (const jid of ["bob@x", "Bob@x", "caf\u00e9@x", "cafe\u0301@x"]) {
      await s.roster.set("alice", jid, item(jid, { name: jid }));
    }
    assert.equal(await s.roster.count("alice"), 4);
    assert.equal((await s.roster.item("alice", "Bob@x"))?.name, "Bob@x");
    assert.equal(await s.roster.item("alice", "BOB@x"), undefined);
  });

  test(open, "returned and passed objects are copies", async (s) => {
    await withUsers(s, "alice");
    const written = item("bob@example.org", { name: "Bob", groups: ["Friends"] });
    await s.roster.set("alice", written.jid, written);
    written.groups.push("Mutated");
    written.name = "Mutated";
    const one = await s.roster.item("alice", "bob@example.org");
    assert.ok(one);
    one.groups.push("Mutated");
    one.subscription = "both";
    const all = await s.roster.get("alice");
    all.items[0]!.groups.length = 0;
    all.items.pop();
    assert.deepEqual(
      await s.roster.item("alice", "bob@example.org"),
      item("bob@example.org", { name: "Bob", groups: ["Friends"] }),
    );
    assert.equal((await s.roster.get("alice")).items.length, 1);
  });

  test(open, "rosters and their versions are per user", async (s) => {
    await withUsers(s, "alice", "bob");
    await s.roster.set("alice", "x@y", item("x@y", { name: "alice's" }));
    await s.roster.set("alice", "z@y", item("z@y"));
    assert.equal(await s.roster.set("bob", "x@y", item("x@y", { name: "bob's" })), 1);
    assert.equal((await s.roster.item("alice", "x@y"))?.name, "alice's");
    assert.equal((await s.roster.item("bob", "x@y"))?.name, "bob's");
    assert.equal((await s.roster.get("alice")).version, 2);
    assert.equal(await s.roster.count("bob"), 1);
  });

  test(open, "writes for a user without an account are refused", async (s) => {
    assert.equal(await s.roster.set("ghost", "x@y", item("x@y")), undefined);
    assert.equal(await s.roster.set("ghost", "x@y", undefined), undefined);
    await withUsers(s, "ghost");
    assert.deepEqual(await s.roster.get("ghost"), { version: 0, items: [] });
  });

  test(open, "deleting the account deletes the roster; a new one starts at 0", async (s) => {
    await withUsers(s, "alice", "bob");
    await s.roster.set("alice", "x@y", item("x@y"));
    await s.roster.set("alice", "z@y", item("z@y"));
    await s.roster.set("bob", "x@y", item("x@y"));
    assert.equal(await s.accounts.delete("alice"), true);
    assert.deepEqual(await s.roster.get("alice"), { version: 0, items: [] });
    await withUsers(s, "alice");
    assert.deepEqual(await s.roster.get("alice"), { version: 0, items: [] });
    assert.equal(await s.roster.set("alice", "q@y", item("q@y")), 1);
    assert.deepEqual(await s.roster.get("bob"), { version: 1, items: [item("x@y")] });
  });

  test(open, "interleaved writes get distinct versions, one per write", async (s) => {
    await withUsers(s, "alice");
    const versions = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        s.roster.set("alice", `c${i % 10}@y`, item(`c${i % 10}@y`, { name: `${i}` })),
      ),
    );
    assert.deepEqual(
      [...versions].sort((a, b) => a! - b!),
      Array.from({ length: 30 }, (_, i) => i + 1),
    );
    const roster = await s.roster.get("alice");
    assert.equal(roster.version, 30);
    assert.equal(roster.items.length, 10);
  });

  test(open, "invalid arguments reject with HATO_ERR_STORAGE_INVALID_ARGUMENT", async (s) => {
    await withUsers(s, "alice");
    const ok = item("bob@x");
    await rejectsWith(() => s.roster.get(""), INVALID);
    await rejectsWith(() => s.roster.get(42 as never), INVALID);
    await rejectsWith(() => s.roster.count("a\u0000"), INVALID);
    await rejectsWith(() => s.roster.item("alice", "\uD800@x"), INVALID);
    await rejectsWith(() => s.roster.item("alice", ""), INVALID);
    await rejectsWith(() => s.roster.set("alice", "", item("")), INVALID);
    await rejectsWith(() => s.roster.set("alice", "", undefined), INVALID);
    await rejectsWith(() => s.roster.set("alice", "b\u0000@x", item("b\u0000@x")), INVALID);
    await rejectsWith(() => s.roster.set("alice", "other@x", ok), INVALID);
    await rejectsWith(() => s.roster.set("alice", ok.jid, null as never), INVALID);
    const bad: Partial<Record<keyof RosterItem, unknown>>[] = [
      { subscription: "maybe" },
      { subscription: undefined },
      { name: 42 },
      { name: "\uDFFF" },
      { ask: "yes" },
      { approved: 1 },
      { groups: "Friends" },
      { groups: [42] },
      { groups: ["a\u0000"] },
      { groups: ["Friends", "Family", "Friends"] },
    ];
    for (const extra of bad) {
      await rejectsWith(() => s.roster.set("alice", ok.jid, { ...ok, ...extra } as never), INVALID);
    }
    assert.deepEqual(await s.roster.get("alice"), { version: 0, items: [] });
  });

  test(open, "holders lists the accounts whose roster has a JID", async (s) => {
    await withUsers(s, "carol", "alice", "bob");
    await s.roster.set("carol", "dave@example.org", item("dave@example.org"));
    await s.roster.set("alice", "dave@example.org", item("dave@example.org"));
    await s.roster.set("bob", "erin@example.org", item("erin@example.org"));
    assert.deepEqual(await s.roster.holders("dave@example.org"), ["alice", "carol"]);
    assert.deepEqual(await s.roster.holders("nobody@example.org"), []);
    await s.accounts.delete("alice");
    assert.deepEqual(await s.roster.holders("dave@example.org"), ["carol"]);
  });
}
