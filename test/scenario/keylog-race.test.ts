// The key log's daily allowance under concurrent publishes (docs/key-transparency.md): the
// allowance check and the append are one step, so publishes racing for the day's last slots
// never leave a device key published but not logged; the ones beyond are refused with a text.

import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { after, before, test } from "node:test";
import { createKeyLog } from "@hato/modules";
import { openMemoryStorage } from "@hato/storage";
import { type Element, serialize } from "@hato/xml";
import { RawClient, startServer, type TestServer } from "../support/inproc.js";
import { iq, NS_PUBSUB } from "../support/pep.js";

const AXOLOTL = "eu.siacs.conversations.axolotl";
const LIMIT = 3;
const module = createKeyLog();
let t: TestServer;
const streams: RawClient[] = [];
/** While true, the log's storage fails every append. */
let brokenLog = false;

const publish = (device: number, ik: Buffer) =>
  `<iq type='set'><pubsub xmlns='${NS_PUBSUB}'><publish node='${AXOLOTL}.bundles:${device}'><item id='current'><bundle xmlns='${AXOLOTL}'><signedPreKeyPublic signedPreKeyId='1'>AAAA</signedPreKeyPublic><identityKey>${ik.toString("base64")}</identityKey></bundle></item></publish></pubsub></iq>`;

before(async () => {
  // Storage as slow as a loaded disk: PEP's write yields to other streams, which is where
  // publishes used to overtake each other between the allowance check and the append.
  const storage = openMemoryStorage();
  const write = storage.pubsub.publish.bind(storage.pubsub);
  storage.pubsub.publish = async (...args) => {
    await new Promise((r) => setTimeout(r, 10));
    return write(...args);
  };
  const append = storage.keylog.append.bind(storage.keylog);
  storage.keylog.append = async (leaf) => {
    if (brokenLog) throw new Error("disk full");
    return append(leaf);
  };
  t = await startServer({ "keylog.new-keys-per-day": String(LIMIT) }, storage, [module]);
  await t.addUser("alice", "pw");
  await t.addUser("bob", "pw");
  for (const r of ["a", "b", "c", "d"])
    streams.push((await RawClient.login(t, "alice", "pw", r)).client);
});
after(async () => {
  for (const s of streams) s.close();
  await t.stop();
});

test("publishes racing past the daily limit: exactly the allowance is published, all of it logged", async () => {
  // 4 streams × 4 publishes of new device keys, all sent before any answer is read.
  const sent: { device: number; ik: Buffer; answer: Promise<Element> }[] = [];
  for (const [i, s] of streams.entries())
    for (let j = 0; j < 4; j++) {
      const device = 100 + i * 10 + j;
      const ik = Buffer.concat([Buffer.of(5), randomBytes(32)]);
      sent.push({ device, ik, answer: iq(s, publish(device, ik)) });
    }
  const answers = await Promise.all(sent.map((x) => x.answer));
  const accepted = sent.filter((_, i) => answers[i]!.attr("type") === "result");
  assert.equal(accepted.length, LIMIT, "exactly the day's allowance was accepted");
  for (const a of answers.filter((x) => x.attr("type") !== "result")) {
    const err = a.getChild("error");
    assert.ok(
      err?.getChild("policy-violation", "urn:ietf:params:xml:ns:xmpp-stanzas"),
      serialize(a),
    );
    assert.match(
      err!.getChildText("text", "urn:ietf:params:xml:ns:xmpp-stanzas") ?? "",
      /at most 3 new device keys a day/,
    );
  }
  // Every bundle PEP holds has its key in the log, and nothing else is there.
  const log = module.service()!;
  const logged = (await log.leavesOf("alice@localhost", log.size)).map((l) => l.leaf);
  assert.deepEqual(logged.map((l) => l.device).sort(), accepted.map((a) => a.device).sort());
  for (const x of sent) {
    const items = await t.storage.pubsub.items("alice", `${AXOLOTL}.bundles:${x.device}`);
    const stored = items.length > 0;
    const ik = createHash("sha256").update(x.ik).digest("hex"); // the log holds the key's hash
    const inLog = logged.some((l) => l.device === x.device && l.ik === ik);
    assert.equal(stored, inLog, `device ${x.device}: published ${stored}, logged ${inLog}`);
  }
});

test("a key the log cannot record is not published: the publish is refused with a text", async () => {
  const bob = (await RawClient.login(t, "bob", "pw", "x")).client;
  streams.push(bob);
  brokenLog = true;
  const ik = Buffer.concat([Buffer.of(5), randomBytes(32)]);
  let res = await iq(bob, publish(7, ik));
  brokenLog = false;
  assert.equal(res.attr("type"), "error");
  const err = res.getChild("error")!;
  assert.ok(err.getChild("internal-server-error", "urn:ietf:params:xml:ns:xmpp-stanzas"));
  assert.match(
    err.getChildText("text", "urn:ietf:params:xml:ns:xmpp-stanzas") ?? "",
    /could not record this device key, so it was not published/,
  );
  assert.deepEqual(await t.storage.pubsub.items("bob", `${AXOLOTL}.bundles:7`), []);
  // Once the log works again, the same publish goes through and is logged.
  res = await iq(bob, publish(7, ik));
  assert.equal(res.attr("type"), "result");
  const log = module.service()!;
  assert.deepEqual(
    (await log.leavesOf("bob@localhost", log.size)).map((l) => l.leaf.device),
    [7],
  );
});
