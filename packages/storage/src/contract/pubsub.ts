// Storage contract, PubsubStore part: nodes, publish/replace/trim, item order, account lifetime.

import assert from "node:assert/strict";
import type { PubsubItem, PubsubNode, Storage } from "../ports.js";
import {
  account,
  byCodePoint,
  INVALID,
  type OpenStorage,
  randomNames,
  rejectsWith,
  test,
} from "./fixtures.js";

const T0 = 1_700_000_000_000;
const MAX = 1000;

function node(name: string, config: PubsubNode["config"] = {}): PubsubNode {
  return { name, config };
}

function item(id: string, n = 0, publisher = "alice@example.org"): PubsubItem {
  return {
    id,
    payload: `<entry xmlns='urn:example'>${id}/${n}</entry>`,
    publisher,
    stamp: new Date(T0 + n),
  };
}

async function withUsers(s: Storage, ...names: string[]): Promise<void> {
  for (const name of names) await s.accounts.create(account(name));
}

const itemIds = async (s: Storage, owner: string, name: string, opts?: object) =>
  (await s.pubsub.items(owner, name, opts)).map((i) => i.id);

/** Defines the PubsubStore tests. */
export function pubsubTests(open: OpenStorage): void {
  test(open, "a new user, or one without an account, has no nodes", async (s) => {
    await withUsers(s, "alice");
    for (const owner of ["alice", "ghost"]) {
      assert.deepEqual(await s.pubsub.nodes(owner), []);
      assert.equal(await s.pubsub.node(owner, "urn:xmpp:avatar:data"), undefined);
      assert.deepEqual(await s.pubsub.items(owner, "urn:xmpp:avatar:data"), []);
      assert.equal(await s.pubsub.deleteNode(owner, "n"), false);
      assert.equal(await s.pubsub.publish(owner, "n", item("1"), MAX), false);
      assert.equal(await s.pubsub.retract(owner, "n", "1"), false);
      assert.equal(await s.pubsub.purge(owner, "n"), false);
    }
    assert.equal(await s.pubsub.putNode("ghost", node("n")), false);
    await withUsers(s, "ghost");
    assert.deepEqual(await s.pubsub.nodes("ghost"), []);
  });

  test(open, "putNode creates, then reconfigures keeping the items", async (s) => {
    await withUsers(s, "alice");
    const config = {
      "pubsub#access_model": "presence",
      "pubsub#max_items": "max",
      "pubsub#roster_groups_allowed": ["Friends", "\u6771"],
      "pubsub#title": "",
    };
    assert.equal(await s.pubsub.putNode("alice", node("urn:example", config)), true);
    assert.deepEqual(await s.pubsub.node("alice", "urn:example"), node("urn:example", config));
    await s.pubsub.publish("alice", "urn:example", item("a"), MAX);
    const changed = { "pubsub#access_model": "open", "pubsub#empty": [] };
    assert.equal(await s.pubsub.putNode("alice", node("urn:example", changed)), true);
    assert.deepEqual(await s.pubsub.node("alice", "urn:example"), node("urn:example", changed));
    assert.deepEqual(await s.pubsub.items("alice", "urn:example"), [item("a")]);
    assert.equal(await s.pubsub.putNode("alice", node("urn:example")), true);
    assert.deepEqual(await s.pubsub.nodes("alice"), [node("urn:example")]);
  });

  test(open, "nodes are sorted by code point and belong to their owner", async (s) => {
    await withUsers(s, "alice", "bob");
    const names = randomNames(25, 3);
    for (const name of names) await s.pubsub.putNode("alice", node(name, { n: name }));
    await s.pubsub.putNode("bob", node(names[0]!, { n: "bob's" }));
    const listed = await s.pubsub.nodes("alice");
    assert.deepEqual(
      listed.map((n) => n.name),
      [...names].sort(byCodePoint),
    );
    for (const n of listed) assert.deepEqual(n.config, { n: n.name });
    assert.deepEqual(await s.pubsub.nodes("bob"), [node(names[0]!, { n: "bob's" })]);
  });

  test(open, "items are newest first; republishing an id replaces it as newest", async (s) => {
    await withUsers(s, "alice");
    await s.pubsub.putNode("alice", node("n"));
    for (const [i, id] of ["a", "b", "c"].entries()) {
      assert.equal(await s.pubsub.publish("alice", "n", item(id, i), MAX), true);
    }
    assert.deepEqual(await itemIds(s, "alice", "n"), ["c", "b", "a"]);
    // Stamps do not order items: publish order does.
    const replaced = item("a", -5, "bob@example.org");
    assert.equal(await s.pubsub.publish("alice", "n", replaced, MAX), true);
    assert.deepEqual(await s.pubsub.items("alice", "n"), [replaced, item("c", 2), item("b", 1)]);
    await s.pubsub.publish("alice", "n", item("c", 9), MAX);
    assert.deepEqual(await itemIds(s, "alice", "n"), ["c", "a", "b"]);
    assert.deepEqual((await s.pubsub.items("alice", "n"))[0], item("c", 9));
  });

  test(open, "maxItems keeps only the newest items", async (s) => {
    await withUsers(s, "alice");
    await s.pubsub.putNode("alice", node("n"));
    for (let i = 0; i < 5; i++) await s.pubsub.publish("alice", "n", item(`i${i}`, i), 3);
    assert.deepEqual(await itemIds(s, "alice", "n"), ["i4", "i3", "i2"]);
    await s.pubsub.publish("alice", "n", item("i2", 7), 3); // replace: nothing else trimmed
    assert.deepEqual(await itemIds(s, "alice", "n"), ["i2", "i4", "i3"]);
    await s.pubsub.publish("alice", "n", item("i9", 9), 1);
    assert.deepEqual(await s.pubsub.items("alice", "n"), [item("i9", 9)]);
    await s.pubsub.publish("alice", "n", item("j", 10), MAX);
    assert.deepEqual(await itemIds(s, "alice", "n"), ["j", "i9"]);
    assert.equal(await s.pubsub.retract("alice", "n", "i0"), false); // trimmed long ago
  });

  test(open, "items with ids and max", async (s) => {
    await withUsers(s, "alice");
    await s.pubsub.putNode("alice", node("n"));
    for (let i = 0; i < 6; i++) await s.pubsub.publish("alice", "n", item(`i${i}`, i), MAX);
    assert.deepEqual(await itemIds(s, "alice", "n", { max: 2 }), ["i5", "i4"]);
    assert.deepEqual(await itemIds(s, "alice", "n", { max: 0 }), []);
    assert.deepEqual(await itemIds(s, "alice", "n", { max: 99 }), [
      "i5",
      "i4",
      "i3",
      "i2",
      "i1",
      "i0",
    ]);
    assert.deepEqual(await itemIds(s, "alice", "n", { ids: ["i1", "i4", "nope", "i1"] }), [
      "i4",
      "i1",
    ]);
    assert.deepEqual(await itemIds(s, "alice", "n", { ids: ["i0", "i2", "i3"], max: 2 }), [
      "i3",
      "i2",
    ]);
    assert.deepEqual(await itemIds(s, "alice", "n", { ids: [] }), []);
    assert.deepEqual(await itemIds(s, "alice", "n", { ids: [""] }), []);
    assert.deepEqual(await itemIds(s, "alice", "missing", { ids: ["i1"] }), []);
  });

  test(open, "retract and purge", async (s) => {
    await withUsers(s, "alice");
    await s.pubsub.putNode("alice", node("n"));
    for (const id of ["a", "b", "c"]) await s.pubsub.publish("alice", "n", item(id), MAX);
    assert.equal(await s.pubsub.retract("alice", "n", "b"), true);
    assert.equal(await s.pubsub.retract("alice", "n", "b"), false);
    assert.equal(await s.pubsub.retract("alice", "other", "a"), false);
    assert.deepEqual(await itemIds(s, "alice", "n"), ["c", "a"]);
    assert.equal(await s.pubsub.purge("alice", "n"), true);
    assert.deepEqual(await s.pubsub.items("alice", "n"), []);
    assert.deepEqual(await s.pubsub.nodes("alice"), [node("n")]);
    assert.equal(await s.pubsub.purge("alice", "n"), true); // an empty node purges fine
    assert.equal(await s.pubsub.purge("alice", "other"), false);
  });

  test(open, "nodes and owners keep separate items under the same ids", async (s) => {
    await withUsers(s, "alice", "bob");
    await s.pubsub.putNode("alice", node("n1"));
    await s.pubsub.putNode("alice", node("n2"));
    await s.pubsub.putNode("bob", node("n1"));
    await s.pubsub.publish("alice", "n1", item("x", 1), MAX);
    await s.pubsub.publish("alice", "n2", item("x", 2), MAX);
    await s.pubsub.publish("bob", "n1", item("x", 3), MAX);
    await s.pubsub.publish("alice", "n2", item("y", 4), 1);
    assert.deepEqual(await s.pubsub.items("alice", "n1"), [item("x", 1)]);
    assert.deepEqual(await s.pubsub.items("alice", "n2"), [item("y", 4)]);
    assert.deepEqual(await s.pubsub.items("bob", "n1"), [item("x", 3)]);
    await s.pubsub.retract("alice", "n1", "x");
    assert.deepEqual(await s.pubsub.items("bob", "n1"), [item("x", 3)]);
  });

  test(open, "deleteNode deletes the node and its items", async (s) => {
    await withUsers(s, "alice");
    await s.pubsub.putNode("alice", node("n", { a: "1" }));
    await s.pubsub.putNode("alice", node("keep"));
    await s.pubsub.publish("alice", "n", item("a"), MAX);
    await s.pubsub.publish("alice", "keep", item("a"), MAX);
    assert.equal(await s.pubsub.deleteNode("alice", "n"), true);
    assert.equal(await s.pubsub.deleteNode("alice", "n"), false);
    assert.equal(await s.pubsub.node("alice", "n"), undefined);
    assert.deepEqual(await s.pubsub.items("alice", "n"), []);
    assert.equal(await s.pubsub.publish("alice", "n", item("b"), MAX), false);
    await s.pubsub.putNode("alice", node("n"));
    assert.deepEqual(await s.pubsub.items("alice", "n"), []);
    assert.deepEqual(await itemIds(s, "alice", "keep"), ["a"]);
  });

  test(open, "deleting the account deletes its nodes and items", async (s) => {
    await withUsers(s, "alice", "bob");
    for (const owner of ["alice", "bob"]) {
      await s.pubsub.putNode(owner, node("n"));
      await s.pubsub.publish(owner, "n", item("a"), MAX);
    }
    assert.equal(await s.accounts.delete("alice"), true);
    assert.equal(await s.pubsub.putNode("alice", node("n")), false);
    await withUsers(s, "alice");
    assert.deepEqual(await s.pubsub.nodes("alice"), []);
    await s.pubsub.putNode("alice", node("n"));
    assert.deepEqual(await s.pubsub.items("alice", "n"), []);
    assert.deepEqual(await itemIds(s, "bob", "n"), ["a"]);
  });

  test(open, "returned and passed objects are copies", async (s) => {
    await withUsers(s, "alice");
    const written = node("n", { groups: ["a", "b"], title: "t" });
    await s.pubsub.putNode("alice", written);
    (written.config.groups as string[]).push("c");
    written.config.title = "mutated";
    const i = item("x");
    await s.pubsub.publish("alice", "n", i, MAX);
    i.stamp.setTime(0);
    i.payload = "<mutated/>";
    const got = await s.pubsub.node("alice", "n");
    (got!.config.groups as string[]).pop();
    const listed = await s.pubsub.nodes("alice");
    listed[0]!.config.title = "mutated";
    const items = await s.pubsub.items("alice", "n");
    items[0]!.stamp.setTime(1);
    items[0]!.publisher = "mutated@x";
    assert.deepEqual(
      await s.pubsub.node("alice", "n"),
      node("n", { groups: ["a", "b"], title: "t" }),
    );
    assert.deepEqual(await s.pubsub.items("alice", "n"), [item("x")]);
  });

  test(open, "interleaved publishes of one id leave one item", async (s) => {
    await withUsers(s, "alice");
    await s.pubsub.putNode("alice", node("n"));
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => s.pubsub.publish("alice", "n", item("same", i), 5)),
    );
    assert.deepEqual(results, Array(10).fill(true));
    const items = await s.pubsub.items("alice", "n");
    assert.equal(items.length, 1);
  });

  test(open, "invalid arguments reject with HATO_ERR_STORAGE_INVALID_ARGUMENT", async (s) => {
    await withUsers(s, "alice");
    await s.pubsub.putNode("alice", node("n"));
    await rejectsWith(() => s.pubsub.nodes(""), INVALID);
    await rejectsWith(() => s.pubsub.node("alice", ""), INVALID);
    await rejectsWith(() => s.pubsub.node("alice", "a\u0000"), INVALID);
    await rejectsWith(() => s.pubsub.node("\uD800", "n"), INVALID);
    const badNodes: unknown[] = [
      null,
      node(""),
      node("\uDC00"),
      { name: 5, config: {} },
      { name: "m" },
      { name: "m", config: null },
      { name: "m", config: ["a"] },
      node("m", { k: 5 } as never),
      node("m", { k: [5] } as never),
      node("m", { k: "v\u0000" }),
      node("m", { "k\uD800": "v" }),
    ];
    for (const bad of badNodes) {
      await rejectsWith(() => s.pubsub.putNode("alice", bad as never), INVALID);
    }
    await rejectsWith(() => s.pubsub.deleteNode("alice", ""), INVALID);
    const badItems: Partial<Record<keyof PubsubItem, unknown>>[] = [
      { id: "" },
      { id: 1 },
      { id: "\u0000" },
      { payload: undefined },
      { payload: "\uD800" },
      { publisher: 3 },
      { stamp: new Date(Number.NaN) },
      { stamp: "2020-01-01" },
    ];
    for (const extra of badItems) {
      await rejectsWith(
        () => s.pubsub.publish("alice", "n", { ...item("a"), ...extra } as never, MAX),
        INVALID,
      );
    }
    for (const maxItems of [-1, 1.5, undefined, "3", Number.NaN]) {
      await rejectsWith(
        () => s.pubsub.publish("alice", "n", item("a"), maxItems as never),
        INVALID,
      );
    }
    await rejectsWith(() => s.pubsub.publish("alice", "", item("a"), MAX), INVALID);
    await rejectsWith(() => s.pubsub.items("alice", "n", { max: -1 }), INVALID);
    await rejectsWith(() => s.pubsub.items("alice", "n", { ids: "a" as never }), INVALID);
    await rejectsWith(() => s.pubsub.items("alice", "n", { ids: [3 as never] }), INVALID);
    await rejectsWith(() => s.pubsub.items("alice", "n", null as never), INVALID);
    await rejectsWith(() => s.pubsub.retract("alice", "n", ""), INVALID);
    await rejectsWith(() => s.pubsub.retract("alice", "n", "\uDFFF"), INVALID);
    await rejectsWith(() => s.pubsub.purge("alice", ""), INVALID);
    assert.deepEqual(await s.pubsub.nodes("alice"), [node("n")]);
    assert.deepEqual(await s.pubsub.items("alice", "n"), []);
  });
}
