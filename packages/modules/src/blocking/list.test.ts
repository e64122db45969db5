import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { jid } from "@hato/jid";
import { openMemoryStorage } from "@hato/storage";
import { Blocklists, blocks } from "./list.js";

describe("blocklist matching (XEP-0191 §6 by XEP-0016 §2.1)", () => {
  const cases: [string, string, boolean][] = [
    ["romeo@montague.lit/orchard", "romeo@montague.lit/orchard", true],
    ["romeo@montague.lit/orchard", "romeo@montague.lit/balcony", false],
    ["romeo@montague.lit/orchard", "romeo@montague.lit", false],
    ["romeo@montague.lit", "romeo@montague.lit/any", true],
    ["romeo@montague.lit", "romeo@montague.lit", true],
    ["romeo@montague.lit", "montague.lit", false],
    ["montague.lit/chat", "montague.lit/chat", true],
    ["montague.lit/chat", "romeo@montague.lit/chat", false],
    ["montague.lit", "montague.lit", true],
    ["montague.lit", "montague.lit/chat", true],
    ["montague.lit", "romeo@montague.lit/orchard", true],
    ["montague.lit", "romeo@capulet.lit", false],
  ];
  for (const [item, address, expected] of cases) {
    it(`${item} ${expected ? "blocks" : "does not block"} ${address}`, () => {
      assert.equal(blocks(new Set([item]), jid(address)), expected);
    });
  }
});

describe("Blocklists", () => {
  it("changes of one account run one after another and are stored", async () => {
    const storage = openMemoryStorage();
    await storage.accounts.create({
      username: "juliet",
      createdAt: new Date(),
      roles: [],
      scram: {
        sha1: {
          iterations: 4096,
          salt: Buffer.alloc(16),
          storedKey: Buffer.alloc(20),
          serverKey: Buffer.alloc(20),
        },
        sha256: {
          iterations: 4096,
          salt: Buffer.alloc(16),
          storedKey: Buffer.alloc(32),
          serverKey: Buffer.alloc(32),
        },
      },
    });
    const lists = new Blocklists(storage.kv, () => {});
    assert.equal(lists.cached("juliet"), undefined);
    await Promise.all(
      ["a@x.lit", "b@x.lit", "c@x.lit"].map((j) =>
        lists.change("juliet", async (cur) => {
          await new Promise((r) => setTimeout(r, 5));
          return { next: new Set([...cur, j]), out: undefined };
        }),
      ),
    );
    assert.deepEqual([...lists.cached("juliet")!].sort(), ["a@x.lit", "b@x.lit", "c@x.lit"]);
    const fresh = new Blocklists(storage.kv, () => {});
    assert.equal((await fresh.load("juliet")).size, 3);
  });

  it("an unreadable stored list counts as empty and is reported", async () => {
    const storage = openMemoryStorage();
    await storage.kv.set("blocking", "", "list", "not json");
    const reported: string[] = [];
    const lists = new Blocklists(storage.kv, (u) => reported.push(u));
    assert.equal((await lists.load("")).size, 0);
    assert.deepEqual(reported, [""]);
  });
});
