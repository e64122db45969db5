// XEP-0163 PEP with real clients: OMEMO-style device lists and a bundle published by one
// client (with publish-options, as Conversations and Dino do) and fetched by another.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { agentPool, type ResultEvent } from "../support/agents.js";
import { type Hato, startHato } from "../support/hato.js";

const OMEMO = "eu.siacs.conversations.axolotl";
const DEVICELIST = `${OMEMO}.devicelist`;
const OPEN = { "pubsub#access_model": "open" };

interface FetchResult extends ResultEvent {
  items: { id: string; payload?: string | null; devices?: string[] | null }[];
}

const deviceList = (...ids: number[]) =>
  `<list xmlns='${OMEMO}'>${ids.map((id) => `<device id='${id}'/>`).join("")}</list>`;

describe("PEP with third-party clients", () => {
  let hato: Hato;
  const pool = agentPool();
  const agent = pool.start;

  before(async () => {
    hato = await startHato({ users: { alice: "alice-secret", bob: "bob-secret" } });
  });
  after(async () => {
    await pool.stopAll();
    await hato?.stop();
  });

  it("slixmpp publishes a device list and a bundle; aioxmpp and slixmpp fetch them", async () => {
    const alice = agent("slixmpp", hato, {
      user: "alice",
      password: "alice-secret",
      tls: "starttls",
      channelBinding: "tls-server-end-point",
    });
    const bob = agent("aioxmpp", hato, { user: "bob", password: "bob-secret", tls: "starttls" });
    await Promise.all([alice.online(), bob.online()]);

    await alice.cmd("pep-publish", {
      node: DEVICELIST,
      id: "current",
      payload: deviceList(1111, 2222),
      options: OPEN,
    });
    const bundle = `<bundle xmlns='${OMEMO}'><signedPreKeyPublic signedPreKeyId='1'>BQ==</signedPreKeyPublic><signedPreKeySignature>c2ln</signedPreKeySignature><identityKey>aWs=</identityKey><prekeys><preKeyPublic preKeyId='1'>cGs=</preKeyPublic></prekeys></bundle>`;
    await alice.cmd("pep-publish", {
      node: `${OMEMO}.bundles:1111`,
      id: "current",
      payload: bundle,
      options: OPEN,
    });

    const fetched = await bob.cmd<FetchResult>("pep-fetch", {
      jid: "alice@localhost",
      node: DEVICELIST,
    });
    assert.deepEqual(
      fetched.items.map((i) => [i.id, i.devices]),
      [["current", ["1111", "2222"]]],
      "aioxmpp reads slixmpp's device list",
    );

    const own = agent("slixmpp", hato, {
      user: "bob",
      password: "bob-secret",
      tls: "direct",
      channelBinding: "tls-server-end-point",
    });
    await own.online();
    const bundles = await own.cmd<FetchResult>("pep-fetch", {
      jid: "alice@localhost",
      node: `${OMEMO}.bundles:1111`,
    });
    assert.equal(bundles.items.length, 1);
    assert.match(bundles.items[0]!.payload ?? "", /identityKey[^>]*>aWs=</);
    assert.match(bundles.items[0]!.payload ?? "", /preKeyPublic preKeyId="1"/);

    // A new device: the list is replaced (same item id), the fetch sees only the new one.
    await alice.cmd("pep-publish", {
      node: DEVICELIST,
      id: "current",
      payload: deviceList(1111, 2222, 3333),
      options: OPEN,
    });
    const again = await bob.cmd<FetchResult>("pep-fetch", {
      jid: "alice@localhost",
      node: DEVICELIST,
    });
    assert.deepEqual(
      again.items.map((i) => i.devices),
      [["1111", "2222", "3333"]],
    );
  });

  it("aioxmpp publishes a device list (publish-options open); slixmpp fetches it", async () => {
    const bob = agent("aioxmpp", hato, { user: "bob", password: "bob-secret", tls: "starttls" });
    const alice = agent("slixmpp", hato, {
      user: "alice",
      password: "alice-secret",
      tls: "starttls",
      channelBinding: "tls-server-end-point",
    });
    await Promise.all([alice.online(), bob.online()]);
    await bob.cmd("pep-publish", {
      node: DEVICELIST,
      id: "current",
      devices: [42, 4242],
      options: OPEN,
    });
    const fetched = await alice.cmd<FetchResult>("pep-fetch", {
      jid: "bob@localhost",
      node: DEVICELIST,
    });
    assert.equal(fetched.items.length, 1);
    assert.equal(fetched.items[0]!.id, "current");
    const ids = [...(fetched.items[0]!.payload ?? "").matchAll(/device id="(\d+)"/g)].map(
      (m) => m[1],
    );
    assert.deepEqual(ids, ["42", "4242"]);
  });

  it("a second publish with a different access model is refused with precondition-not-met", async () => {
    const alice = agent("slixmpp", hato, {
      user: "alice",
      password: "alice-secret",
      tls: "starttls",
      channelBinding: "tls-server-end-point",
    });
    await alice.online();
    const refused = await alice.cmd(
      "pep-publish",
      {
        node: DEVICELIST,
        id: "current",
        payload: deviceList(1111),
        options: { "pubsub#access_model": "whitelist" },
      },
      { allowError: true },
    );
    assert.equal(refused.ok, false);
    assert.equal(
      refused.condition,
      "conflict",
      "XEP-0060 §7.1.5: <conflict/> with <precondition-not-met/>",
    );
    assert.match(String(refused["xml"]), /precondition-not-met/);
  });
});
