// Storage contract, key log part: append-only leaves in index order, lookups by JID, heads.

import assert from "node:assert/strict";
import type { KeyLogLeaf } from "../ports.js";
import { INVALID, type OpenStorage, rejectsWith, test } from "./fixtures.js";

const hex = (n: number) => n.toString(16).padStart(64, "0");

/** A sample leaf; `extra` overrides fields. */
export function keyLeaf(index: number, extra: Partial<KeyLogLeaf> = {}): KeyLogLeaf {
  return {
    index,
    jid: "alice@example.org",
    ns: "eu.siacs.conversations.axolotl",
    device: 1000 + index,
    ik: hex(index + 1),
    at: new Date(1_700_000_000_000 + index * 1000).toISOString(),
    hash: hex(index + 100),
    ...extra,
  };
}

/** Defines the KeyLogStore tests. */
export function keylogTests(open: OpenStorage): void {
  test(open, "an empty log has size 0, no leaves and no head", async (s) => {
    assert.equal(await s.keylog.size(), 0);
    assert.deepEqual(await s.keylog.list({ from: 0, limit: 10 }), []);
    assert.deepEqual(await s.keylog.byJid("alice@example.org", 10), []);
    assert.equal(await s.keylog.lastHead(), undefined);
  });

  test(open, "leaves read back equal, in index order; byJid keeps the newest", async (s) => {
    const leaves = [
      keyLeaf(0),
      keyLeaf(1, { jid: "bob@example.org", ns: "urn:xmpp:omemo:2" }),
      keyLeaf(2),
      keyLeaf(3, { jid: "r\u00e9sum\u00e9@example.org" }),
      keyLeaf(4),
    ];
    for (const l of leaves) await s.keylog.append(l);
    assert.equal(await s.keylog.size(), 5);
    assert.deepEqual(await s.keylog.list({ from: 0, limit: 10 }), leaves);
    assert.deepEqual(await s.keylog.list({ from: 1, limit: 2 }), leaves.slice(1, 3));
    assert.deepEqual(await s.keylog.list({ from: 5, limit: 2 }), []);
    const alice = [leaves[0], leaves[2], leaves[4]];
    assert.deepEqual(await s.keylog.byJid("alice@example.org", 10), alice);
    assert.deepEqual(await s.keylog.byJid("alice@example.org", 2), alice.slice(1));
    assert.deepEqual(await s.keylog.byJid("alice@example.org", 0), []);
    assert.deepEqual(await s.keylog.byJid("r\u00e9sum\u00e9@example.org", 5), [leaves[3]]);
  });

  test(
    open,
    "has finds an exact key only; countSince counts one JID's recent leaves",
    async (s) => {
      await s.keylog.append(keyLeaf(0));
      await s.keylog.append(keyLeaf(1));
      const { jid, ns, device, ik } = keyLeaf(0);
      assert.equal(await s.keylog.has({ jid, ns, device, ik }), true);
      assert.equal(await s.keylog.has({ jid, ns, device, ik: hex(99) }), false);
      assert.equal(await s.keylog.has({ jid, ns: "urn:xmpp:omemo:2", device, ik }), false);
      assert.equal(await s.keylog.has({ jid: "bob@example.org", ns, device, ik }), false);
      assert.equal(await s.keylog.countSince(jid, keyLeaf(0).at), 2);
      assert.equal(await s.keylog.countSince(jid, keyLeaf(1).at), 1);
      assert.equal(await s.keylog.countSince("bob@example.org", keyLeaf(0).at), 0);
    },
  );

  test(open, "append refuses an index that is not the size, and malformed leaves", async (s) => {
    await rejectsWith(() => s.keylog.append(keyLeaf(1)), INVALID);
    await s.keylog.append(keyLeaf(0));
    await rejectsWith(() => s.keylog.append(keyLeaf(0)), INVALID);
    await rejectsWith(() => s.keylog.append(keyLeaf(2)), INVALID);
    await rejectsWith(() => s.keylog.append(keyLeaf(1, { ik: "ABC" })), INVALID);
    await rejectsWith(
      () => s.keylog.append(keyLeaf(1, { hash: hex(0xab).toUpperCase() })),
      INVALID,
    );
    await rejectsWith(() => s.keylog.append(keyLeaf(1, { jid: "" })), INVALID);
    await rejectsWith(() => s.keylog.append(keyLeaf(1, { device: 1.5 })), INVALID);
    await rejectsWith(() => s.keylog.append(keyLeaf(-1)), INVALID);
    await rejectsWith(() => s.keylog.list({ from: 0, limit: -1 }), INVALID);
    assert.equal(await s.keylog.size(), 1);
  });

  test(open, "the last head is the largest, then the newest", async (s) => {
    const head = (size: number, timestamp: number) => ({
      size,
      root: hex(size),
      timestamp,
      signature: `sig${size}-${timestamp}`,
    });
    await s.keylog.addHead(head(2, 10));
    await s.keylog.addHead(head(3, 5));
    await s.keylog.addHead(head(3, 7));
    await s.keylog.addHead(head(1, 20));
    assert.deepEqual(await s.keylog.lastHead(), head(3, 7));
    await rejectsWith(() => s.keylog.addHead({ ...head(4, 1), root: "zz" }), INVALID);
  });
}
