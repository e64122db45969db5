// Storage contract, AccountStore part: lookup, creation, credentials, roles, delete, listing.

import assert from "node:assert/strict";
import type { Account } from "../ports.js";
import {
  account,
  byCodePoint,
  INVALID,
  type OpenStorage,
  randomNames,
  readBack,
  rejectsWith,
  scram,
  test,
} from "./fixtures.js";

/** Defines the AccountStore tests. */
export function accountTests(open: OpenStorage): void {
  test(open, "get of a missing account is undefined", async (s) => {
    assert.equal(await s.accounts.get("nobody"), undefined);
    assert.equal(await s.accounts.count(), 0);
  });

  test(open, "create then get returns the same account", async (s) => {
    const alice = account("alice", 1, { roles: ["admin", "auditor"] });
    assert.equal(await s.accounts.create(alice), true);
    assert.deepEqual(await s.accounts.get("alice"), readBack(alice));
  });

  test(
    open,
    "createdAt keeps millisecond precision, disabled and role order are kept",
    async (s) => {
      const bob = account("bob", 2, {
        createdAt: new Date(Date.UTC(2001, 8, 9, 1, 46, 40, 987)),
        roles: ["z", "a", "m"],
        disabled: true,
      });
      await s.accounts.create(bob);
      const got = await s.accounts.get("bob");
      assert.equal(got?.createdAt.getTime(), bob.createdAt.getTime());
      assert.deepEqual(got?.roles, ["z", "a", "m"]);
      assert.equal(got?.disabled, true);
    },
  );

  test(open, "create of an existing username returns false and keeps the first", async (s) => {
    const first = account("carol", 1);
    assert.equal(await s.accounts.create(first), true);
    assert.equal(await s.accounts.create(account("carol", 9, { roles: ["admin"] })), false);
    assert.deepEqual(await s.accounts.get("carol"), readBack(first));
    assert.equal(await s.accounts.count(), 1);
  });

  test(open, "usernames are compared exactly (case, normalisation form)", async (s) => {
    const names = ["alice", "Alice", "ALICE", "caf\u00e9", "cafe\u0301"];
    for (const [i, name] of names.entries()) {
      assert.equal(await s.accounts.create(account(name, i)), true, name);
    }
    assert.equal(await s.accounts.count(), names.length);
    for (const [i, name] of names.entries()) {
      assert.deepEqual(await s.accounts.get(name), readBack(account(name, i)));
    }
    assert.equal(await s.accounts.get("alice "), undefined);
  });

  test(open, "unicode usernames round-trip", async (s) => {
    const names = [
      "東京",
      "\u{1F600}smile",
      "\u05e9\u05dc\u05d5\u05dd",
      "ж\u{10400}",
      "a".repeat(1023),
    ];
    for (const name of names) await s.accounts.create(account(name));
    for (const name of names) assert.equal((await s.accounts.get(name))?.username, name);
  });

  test(open, "setCredentials replaces both verifiers and nothing else", async (s) => {
    const dave = account("dave", 1, { roles: ["admin"] });
    await s.accounts.create(dave);
    assert.equal(await s.accounts.setCredentials("dave", scram(7)), true);
    assert.deepEqual(await s.accounts.get("dave"), readBack({ ...dave, scram: scram(7) }));
  });

  test(open, "setCredentials of a missing account returns false and creates nothing", async (s) => {
    assert.equal(await s.accounts.setCredentials("ghost", scram(1)), false);
    assert.equal(await s.accounts.get("ghost"), undefined);
    assert.equal(await s.accounts.count(), 0);
  });

  test(open, "update changes roles and disabled, separately or together", async (s) => {
    const erin = account("erin", 1, { roles: ["user"] });
    await s.accounts.create(erin);
    assert.equal(await s.accounts.update("erin", { roles: ["admin"] }), true);
    assert.deepEqual(await s.accounts.get("erin"), readBack({ ...erin, roles: ["admin"] }));
    assert.equal(await s.accounts.update("erin", { disabled: true }), true);
    assert.deepEqual(
      await s.accounts.get("erin"),
      readBack({ ...erin, roles: ["admin"], disabled: true }),
    );
    assert.equal(await s.accounts.update("erin", { roles: [], disabled: false }), true);
    assert.deepEqual(await s.accounts.get("erin"), readBack({ ...erin, roles: [] }));
    assert.equal(await s.accounts.update("erin", {}), true);
    assert.deepEqual(await s.accounts.get("erin"), readBack({ ...erin, roles: [] }));
  });

  test(open, "update of a missing account returns false", async (s) => {
    assert.equal(await s.accounts.update("ghost", { disabled: true }), false);
    assert.equal(await s.accounts.get("ghost"), undefined);
  });

  test(open, "delete removes the account once", async (s) => {
    await s.accounts.create(account("frank"));
    await s.accounts.create(account("grace"));
    assert.equal(await s.accounts.delete("frank"), true);
    assert.equal(await s.accounts.get("frank"), undefined);
    assert.equal(await s.accounts.delete("frank"), false);
    assert.equal(await s.accounts.delete("nobody"), false);
    assert.equal(await s.accounts.count(), 1);
    assert.deepEqual(await s.accounts.list(), ["grace"]);
  });

  test(open, "a deleted username can be created again", async (s) => {
    await s.accounts.create(account("heidi", 1, { roles: ["admin"] }));
    await s.accounts.delete("heidi");
    const fresh = account("heidi", 2);
    assert.equal(await s.accounts.create(fresh), true);
    assert.deepEqual(await s.accounts.get("heidi"), readBack(fresh));
  });

  test(open, "list of an empty store is empty", async (s) => {
    assert.deepEqual(await s.accounts.list(), []);
    assert.deepEqual(await s.accounts.list({ after: "m", limit: 10 }), []);
  });

  test(open, "list is sorted by code point, not by UTF-16 unit", async (s) => {
    // UTF-16 puts U+1F600 (a surrogate pair, 0xD83D...) before U+FF21; code points do not.
    const names = ["\u{1F600}", "\u{FF21}", "b", "B", "\u{E000}", "a", "é", "\u{10400}"];
    for (const name of names) await s.accounts.create(account(name));
    assert.deepEqual(await s.accounts.list(), [...names].sort(byCodePoint));
    assert.deepEqual(await s.accounts.list(), [
      "B",
      "a",
      "b",
      "é",
      "\u{E000}",
      "\u{FF21}",
      "\u{10400}",
      "\u{1F600}",
    ]);
  });

  test(open, "list pages with after and limit cover every name exactly once", async (s) => {
    const names = randomNames(60, 42);
    await Promise.all(names.map((name, i) => s.accounts.create(account(name, i))));
    const sorted = [...names].sort(byCodePoint);
    for (const size of [1, 7, 60, 100]) {
      const seen: string[] = [];
      let page = await s.accounts.list({ limit: size });
      while (page.length > 0) {
        assert.ok(page.length <= size);
        seen.push(...page);
        page = await s.accounts.list({ after: page[page.length - 1], limit: size });
      }
      assert.deepEqual(seen, sorted, `page size ${size}`);
    }
    assert.equal(await s.accounts.count(), 60);
  });

  test(open, "list after a name that is not stored, limit 0, and past the end", async (s) => {
    for (const name of ["b", "d", "f"]) await s.accounts.create(account(name));
    assert.deepEqual(await s.accounts.list({ after: "c" }), ["d", "f"]);
    assert.deepEqual(await s.accounts.list({ after: "" }), ["b", "d", "f"]);
    assert.deepEqual(await s.accounts.list({ after: "d", limit: 1 }), ["f"]);
    assert.deepEqual(await s.accounts.list({ limit: 0 }), []);
    assert.deepEqual(await s.accounts.list({ after: "f" }), []);
    assert.deepEqual(await s.accounts.list({ after: "\u{10FFFF}" }), []);
  });

  test(open, "returned and passed objects are not shared with the store", async (s) => {
    const ivan = account("ivan", 1, { roles: ["user"] });
    await s.accounts.create(ivan);
    ivan.roles.push("admin");
    ivan.scram.sha256.storedKey.fill(0);
    ivan.createdAt.setTime(0);
    const got = (await s.accounts.get("ivan")) as Account;
    assert.deepEqual(got, readBack(account("ivan", 1, { roles: ["user"] })));
    got.roles.push("admin");
    got.scram.sha1.salt.fill(0);
    assert.deepEqual(
      await s.accounts.get("ivan"),
      readBack(account("ivan", 1, { roles: ["user"] })),
    );
  });

  test(open, "large SCRAM parameters and many roles round-trip", async (s) => {
    const big = account("judy", 1, { roles: Array.from({ length: 200 }, (_, i) => `role-${i}`) });
    big.scram.sha256.salt = Buffer.alloc(4096, 0xab);
    big.scram.sha256.iterations = 2 ** 31;
    await s.accounts.create(big);
    assert.deepEqual(await s.accounts.get("judy"), readBack(big));
  });

  test(open, "invalid arguments reject with HATO_ERR_STORAGE_INVALID_ARGUMENT", async (s) => {
    await rejectsWith(() => s.accounts.get(""), INVALID);
    await rejectsWith(() => s.accounts.get("a\u0000b"), INVALID);
    await rejectsWith(() => s.accounts.get("lone\uD800"), INVALID);
    await rejectsWith(() => s.accounts.create(account("")), INVALID);
    await rejectsWith(
      () => s.accounts.create(account("x", 1, { createdAt: new Date(Number.NaN) })),
      INVALID,
    );
    const noSha256 = { sha1: scram(1).sha1 } as Account["scram"];
    await rejectsWith(() => s.accounts.create(account("x", 1, { scram: noSha256 })), INVALID);
    await rejectsWith(() => s.accounts.setCredentials("x", noSha256), INVALID);
    await rejectsWith(() => s.accounts.update("x", { roles: "admin" as never }), INVALID);
    await rejectsWith(() => s.accounts.list({ limit: -1 }), INVALID);
    await rejectsWith(() => s.accounts.list({ limit: 1.5 }), INVALID);
    assert.equal(await s.accounts.count(), 0);
  });
}
