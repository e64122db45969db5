// Key transparency transcripts (docs/key-transparency.md): alice publishes OMEMO bundles over
// PEP, the server logs each new device key; bob's SDK fetches the signed head, checks alice's
// keys' inclusion and the log's consistency; a server that rewrites history or forges a head
// is caught; bad requests get stanza errors with text.

import assert from "node:assert/strict";
import { createHash, generateKeyPairSync, randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { createKeyLog, type KeyLogFaults } from "@hato/modules";
import { HatoClient, KeyLog, KeyLogError, type KeyLogProblem, type SignedHead } from "@hato/sdk";
import { openSqliteStorage } from "@hato/storage";
import { serialize } from "@hato/xml";
import { auditEntryWhere, RawClient, startServer, type TestServer } from "../support/inproc.js";
import { assertError, iq, NS_PUBSUB } from "../support/pep.js";
import { wsTrusting } from "../support/sdk.js";

const AXOLOTL = "eu.siacs.conversations.axolotl";
const OMEMO2 = "urn:xmpp:omemo:2";
const NS = "urn:hato:keylog:0";

const publish = (node: string, payload: string, id?: string) =>
  `<iq type='set'><pubsub xmlns='${NS_PUBSUB}'><publish node='${node}'><item${id ? ` id='${id}'` : ""}>${payload}</item></publish></pubsub></iq>`;
const legacyBundle = (ik: Buffer, spk = "AAAA") =>
  `<bundle xmlns='${AXOLOTL}'><signedPreKeyPublic signedPreKeyId='1'>${spk}</signedPreKeyPublic><identityKey>${ik.toString("base64")}</identityKey></bundle>`;
const omemo2Bundle = (ik: Buffer) =>
  `<bundle xmlns='${OMEMO2}'><spk id='1'>AAAA</spk><spks>AAAA</spks><ik>${ik.toString("base64")}</ik><prekeys><pk id='1'>AAAA</pk></prekeys></bundle>`;
const sha256 = (b: Buffer) => createHash("sha256").update(b).digest("hex");
const identityKey = () => Buffer.concat([Buffer.of(5), randomBytes(32)]);

/** The SDK's KeyLog over a raw stream: an IQ error rejects with its condition and text. */
function keylogOver(client: RawClient): KeyLog {
  return new KeyLog(async (payload) => {
    const res = await iq(client, `<iq type='get' to='localhost'>${serialize(payload)}</iq>`);
    if (res.attr("type") !== "result") throw new Error(`IQ failed: ${serialize(res)}`);
    return res.elements()[0];
  });
}

async function rejectsWith(call: Promise<unknown>, problem: KeyLogProblem): Promise<string> {
  let message = "";
  await assert.rejects(call, (err: unknown) => {
    assert.ok(err instanceof KeyLogError, `expected a KeyLogError, got ${String(err)}`);
    assert.equal(err.problem, problem);
    message = err.message;
    return true;
  });
  return message;
}

describe("key transparency log (urn:hato:keylog:0)", () => {
  let t: TestServer;
  let alice: RawClient;
  let bob: RawClient;
  const faults: KeyLogFaults = {};
  const module = createKeyLog({ faults });
  const ik1 = identityKey();
  const ik2 = identityKey();
  let head2: SignedHead;

  before(async () => {
    t = await startServer({ "keylog.new-keys-per-day": "5" }, undefined, [module]);
    await t.addUser("alice", "pw-alice");
    await t.addUser("bob", "pw-bob");
    alice = (await RawClient.login(t, "alice", "pw-alice", "phone")).client;
    bob = (await RawClient.login(t, "bob", "pw-bob", "laptop")).client;
  });
  after(async () => {
    alice.close();
    bob.close();
    await t.stop();
  });

  it("alice publishes a legacy and an OMEMO 2 bundle; bob verifies the head and her keys' inclusion", async () => {
    const kl = keylogOver(bob);
    const empty = await kl.head();
    assert.equal(empty.size, 0);

    // alice's phone publishes its legacy bundle: the server logs device 1001's key.
    let res = await iq(alice, publish(`${AXOLOTL}.bundles:1001`, legacyBundle(ik1), "current"));
    assert.equal(res.attr("type"), "result");
    // bob pins the key on first use and checks alice's keys against the signed head.
    const head1 = await kl.head({ last: empty });
    assert.equal(head1.size, 1);
    assert.equal(head1.key, empty.key);
    const keys1 = await kl.keysOf("alice@localhost", head1);
    assert.deepEqual(
      keys1.map((k) => [k.ns, k.device, k.ik]),
      [[AXOLOTL, 1001, sha256(ik1)]],
    );

    // The same key again (a refreshed signed pre-key) is no new leaf; an OMEMO 2 bundle is.
    res = await iq(alice, publish(`${AXOLOTL}.bundles:1001`, legacyBundle(ik1, "BBBB"), "current"));
    assert.equal(res.attr("type"), "result");
    res = await iq(alice, publish(`${OMEMO2}:bundles`, omemo2Bundle(ik2), "2002"));
    assert.equal(res.attr("type"), "result");

    // The log grew to 2 and is consistent with the head bob saw.
    head2 = await kl.head({ pinnedKey: head1.key, last: head1 });
    assert.equal(head2.size, 2);
    const keys2 = await kl.keysOf("alice@localhost", head2);
    assert.deepEqual(
      keys2.map((k) => [k.index, k.ns, k.device, k.ik]),
      [
        [0, AXOLOTL, 1001, sha256(ik1)],
        [1, OMEMO2, 2002, sha256(ik2)],
      ],
    );
    // Against the older head only the first key is proven; bob has no keys.
    assert.equal((await kl.keysOf("alice@localhost", head1)).length, 1);
    assert.deepEqual(await kl.keysOf("bob@localhost", head2), []);
  });

  it("a server that rewrites history is caught by consistency and by inclusion", async () => {
    const kl = keylogOver(bob);
    faults.swapLeaf = { index: 0, ik: "ee".repeat(32) };
    try {
      // The rewritten tree is signed with the real key: only the proofs can tell.
      const text = await rejectsWith(kl.head({ last: head2 }), "inconsistent");
      assert.match(text, /history was changed/);
      // A client that never saw a head (trust on first use) still finds alice's key missing.
      const fresh = await kl.head();
      await rejectsWith(kl.keysOf("alice@localhost", fresh), "not-included");
    } finally {
      delete faults.swapLeaf;
    }
    // Honest again: the next head extends the one bob kept.
    assert.equal((await kl.head({ last: head2 })).size, 2);
  });

  it("a forged signature and a changed log key are reported", async () => {
    const kl = keylogOver(bob);
    faults.signWith = generateKeyPairSync("ed25519").privateKey;
    try {
      await rejectsWith(kl.head({ pinnedKey: head2.key }), "bad-signature");
      await rejectsWith(kl.head(), "bad-signature");
    } finally {
      delete faults.signWith;
    }
    const otherKey = Buffer.from(
      generateKeyPairSync("ed25519").publicKey.export({ format: "jwk" }).x ?? "",
      "base64url",
    ).toString("base64");
    await rejectsWith(kl.head({ pinnedKey: otherKey }), "key-changed");
  });

  it("alice, watching her own address, sees a device the server added behind her back", async () => {
    const kl = keylogOver(alice);
    const mine = [
      { ns: AXOLOTL, device: 1001, ik: sha256(ik1) },
      { ns: OMEMO2, device: 2002, ik: sha256(ik2) },
    ];
    assert.deepEqual(
      await kl.unknownDevices("alice@localhost", await kl.head({ last: head2 }), mine),
      [],
    );
    // The server appends a key for alice that none of her clients published.
    const planted = identityKey();
    assert.equal(
      await module
        .service()!
        .append("alice@localhost", { ns: AXOLOTL, device: 666, ik: sha256(planted) }),
      true,
    );
    const head = await kl.head({ last: head2 });
    const unknown = await kl.unknownDevices("alice@localhost", head, mine);
    assert.deepEqual(
      unknown.map((k) => [k.device, k.ik]),
      [[666, sha256(planted)]],
    );
    head2 = head;
  });

  it("bad requests get bad-request with a text", async () => {
    const ask = (payload: string) => iq(bob, `<iq type='get' to='localhost'>${payload}</iq>`);
    const cases: [string, RegExp][] = [
      [`<leaves xmlns='${NS}'/>`, /bare JID/],
      [`<leaves xmlns='${NS}' jid='alice@localhost/phone'/>`, /bare JID/],
      [`<leaves xmlns='${NS}' jid='@@'/>`, /bare JID/],
      [`<leaves xmlns='${NS}' jid='${"a".repeat(4000)}@localhost'/>`, /bare JID/],
      [`<leaves xmlns='${NS}' jid='alice@localhost' size='0'/>`, /between 1 and/],
      [`<leaves xmlns='${NS}' jid='alice@localhost' size='99'/>`, /between 1 and/],
      [`<leaves xmlns='${NS}' jid='alice@localhost' size='-1'/>`, /whole number/],
      [`<consistency xmlns='${NS}'/>`, /'from'.*required/],
      [`<consistency xmlns='${NS}' from='2' to='1'/>`, /'from' <= 'to'/],
      [`<consistency xmlns='${NS}' from='1' to='1e3'/>`, /whole number/],
    ];
    for (const [payload, text] of cases) {
      assert.match(assertError(await ask(payload), "bad-request"), text, payload);
    }
  });

  it("a bundle the log cannot read is refused, and so is a day's key beyond the limit", async () => {
    let res = await iq(
      alice,
      publish(`${AXOLOTL}.bundles:1003`, `<bundle xmlns='${AXOLOTL}'/>`, "current"),
    );
    assert.match(assertError(res, "bad-request"), /identityKey/);
    res = await iq(
      alice,
      publish(`${AXOLOTL}.bundles:abc`, legacyBundle(identityKey()), "current"),
    );
    assert.match(assertError(res, "bad-request"), /device id/);
    res = await iq(alice, publish(`${OMEMO2}:bundles`, omemo2Bundle(identityKey()), "nope"));
    assert.match(assertError(res, "bad-request"), /device id/);
    // The limit here is 5 new keys a day: alice has 3 (one planted by the server).
    for (const device of [1004, 1005]) {
      res = await iq(alice, publish(`${AXOLOTL}.bundles:${device}`, legacyBundle(identityKey())));
      assert.equal(res.attr("type"), "result");
    }
    res = await iq(alice, publish(`${AXOLOTL}.bundles:1006`, legacyBundle(identityKey())));
    assert.match(assertError(res, "policy-violation"), /at most 5 new device keys a day/);
    const denied = await auditEntryWhere(
      t,
      (e) => e.kind === "policy-denied" && e.actor === "alice" && e.details.includes('"keylog"'),
    );
    assert.match(denied.details, /new device keys a day/);
    // An already logged key may still be published again.
    res = await iq(alice, publish(`${AXOLOTL}.bundles:1001`, legacyBundle(ik1), "current"));
    assert.equal(res.attr("type"), "result");
    const kl = keylogOver(bob);
    const head = await kl.head({ last: head2 });
    assert.equal(head.size, 5);
    assert.deepEqual(
      (await kl.keysOf("alice@localhost", head)).map((k) => k.device),
      [1001, 2002, 666, 1004, 1005],
    );
  });

  it("the SDK's client.keylog() over WebSocket verifies the same head and keys", async () => {
    const c = new HatoClient({
      service: `wss://127.0.0.1:${t.tlsPort}/xmpp-websocket`,
      jid: "bob@localhost",
      password: "pw-bob",
      WebSocket: wsTrusting(t.ca),
    });
    await c.connect();
    try {
      const kl = c.keylog();
      const head = await kl.head({ last: head2 });
      const keys = await kl.keysOf("alice@localhost", head);
      assert.deepEqual(
        keys.slice(0, 2).map((k) => k.ik),
        [sha256(ik1), sha256(ik2)],
      );
    } finally {
      await c.disconnect();
    }
  });
});

describe("key transparency log across a restart (SQLite)", () => {
  it("the reloaded log serves the same head, extends it, and still proves old leaves", async () => {
    const data = await mkdtemp(join(tmpdir(), "hato-keylog-"));
    const db = join(data, "hato.db");
    const key = generateKeyPairSync("ed25519").privateKey;
    const ik = identityKey();
    try {
      let t = await startServer({ data }, openSqliteStorage(db), [createKeyLog({ key })]);
      await t.addUser("alice", "pw-alice");
      let a = (await RawClient.login(t, "alice", "pw-alice")).client;
      for (const device of [11, 12, 13]) {
        const res = await iq(
          a,
          publish(`${AXOLOTL}.bundles:${device}`, legacyBundle(identityKey())),
        );
        assert.equal(res.attr("type"), "result");
      }
      const before = await keylogOver(a).head();
      assert.equal(before.size, 3);
      a.close();
      await t.stop();
      await t.storage.close();

      t = await startServer({ data }, openSqliteStorage(db), [createKeyLog({ key })]);
      a = (await RawClient.login(t, "alice", "pw-alice")).client;
      const kl = keylogOver(a);
      const same = await kl.head({ last: before });
      assert.deepEqual([same.size, same.root, same.key], [before.size, before.root, before.key]);
      const res = await iq(a, publish(`${OMEMO2}:bundles`, omemo2Bundle(ik), "14"));
      assert.equal(res.attr("type"), "result");
      const grown = await kl.head({ last: before });
      assert.equal(grown.size, 4);
      assert.deepEqual(
        (await kl.keysOf("alice@localhost", grown)).map((k) => k.device),
        [11, 12, 13, 14],
      );
      a.close();
      await t.stop();
      await t.storage.close();
    } finally {
      await rm(data, { recursive: true, force: true });
    }
  });
});
