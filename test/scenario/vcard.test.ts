// XEP-0054 transcripts: storing one's vCard, reading one's own and others', limits.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { HatoModule } from "@hato/core";
import { type Element, NS_DISCO_INFO, NS_STANZAS_ERR, parseElement } from "@hato/xml";
import { RawClient, startServer, type TestServer } from "../support/inproc.js";
import { ask, condition, normalised } from "../support/stanzas.js";

const NS = "vcard-temp";

const updates: { username: string; vcard: Element }[] = [];
const watcher: HatoModule = {
  name: "test-vcard-watcher",
  load(api) {
    api.hook("vcard-updated", (ev) => void updates.push(ev));
  },
};

describe("XEP-0054 vcard-temp", () => {
  let t: TestServer;
  before(async () => {
    t = await startServer({ "vcard.max-bytes": "2048" }, undefined, [watcher]);
    for (const u of ["alice", "bob"]) await t.addUser(u, `pw-${u}`);
  });
  after(() => t.stop());

  it("alice has no vCard yet: she gets an empty one; the server announces vcard-temp", async () => {
    const { client } = await RawClient.login(t, "alice", "pw-alice");
    const res = await ask(client, "g1", `<iq type='get' id='g1'><vCard xmlns='${NS}'/></iq>`);
    assert.equal(res.attr("type"), "result");
    const card = res.getChild("vCard", NS);
    assert.ok(card);
    assert.equal(card.children.length, 0);
    const info = await ask(
      client,
      "d1",
      `<iq type='get' id='d1' to='localhost'><query xmlns='${NS_DISCO_INFO}'/></iq>`,
    );
    assert.ok(
      info
        .getChild("query", NS_DISCO_INFO)!
        .getChildren("feature")
        .some((f) => f.attr("var") === NS),
    );
    client.close();
  });

  it("alice stores her vCard with a photo; she and bob read it back; others are told", async () => {
    const alice = await RawClient.login(t, "alice", "pw-alice", "desk");
    const photo = Buffer.alloc(600, 7).toString("base64");
    const set = await ask(
      alice.client,
      "s1",
      `<iq type='set' id='s1'><vCard xmlns='${NS}'><FN>Alice Liddell</FN><NICKNAME>alice</NICKNAME>` +
        `<PHOTO><TYPE>image/png</TYPE><BINVAL>${photo}</BINVAL></PHOTO></vCard></iq>`,
    );
    assert.equal(set.attr("type"), "result");
    assert.equal(set.children.length, 0);

    const own = await ask(alice.client, "g1", `<iq type='get' id='g1'><vCard xmlns='${NS}'/></iq>`);
    assert.equal(own.getChild("vCard", NS)?.getChildText("FN"), "Alice Liddell");
    const ownBare = await ask(
      alice.client,
      "g2",
      `<iq type='get' id='g2' to='alice@localhost'><vCard xmlns='${NS}'/></iq>`,
    );
    assert.equal(ownBare.getChild("vCard", NS)?.getChildText("NICKNAME"), "alice");

    const bob = await RawClient.login(t, "bob", "pw-bob");
    const other = await ask(
      bob.client,
      "g3",
      `<iq type='get' id='g3' to='alice@localhost'><vCard xmlns='${NS}'/></iq>`,
    );
    assert.equal(other.attr("type"), "result");
    assert.equal(other.attr("from"), "alice@localhost");
    assert.equal(other.getChild("vCard", NS)?.getChild("PHOTO")?.getChildText("BINVAL"), photo);

    // Stored in the shared format: kv store "vcard", key "vcard", the serialised element.
    const stored = parseElement((await t.storage.kv.get("vcard", "alice", "vcard"))!);
    assert.equal(stored.name, "vCard");
    assert.equal(stored.xmlns, NS);
    assert.equal(stored.getChildText("FN"), "Alice Liddell");

    const event = updates.find((u) => u.username === "alice");
    assert.ok(event, "vcard-updated fired");
    assert.equal(event.vcard.getChildText("FN"), "Alice Liddell");
    alice.client.close();
    bob.client.close();
  });

  it("someone without a vCard and someone who does not exist give the same error", async () => {
    const { client } = await RawClient.login(t, "alice", "pw-alice");
    const noCard = await ask(
      client,
      "n1",
      `<iq type='get' id='n1' to='bob@localhost'><vCard xmlns='${NS}'/></iq>`,
    );
    const missing = await ask(
      client,
      "n2",
      `<iq type='get' id='n2' to='nobody@localhost'><vCard xmlns='${NS}'/></iq>`,
    );
    assert.equal(condition(missing), "service-unavailable");
    assert.equal(normalised(noCard), normalised(missing));
    client.close();
  });

  it("only one's own vCard can be set; too big a vCard is refused and the old one kept", async () => {
    const bob = await RawClient.login(t, "bob", "pw-bob");
    const foreign = await ask(
      bob.client,
      "x1",
      `<iq type='set' id='x1' to='alice@localhost'><vCard xmlns='${NS}'><FN>Mallory</FN></vCard></iq>`,
    );
    const missing = await ask(
      bob.client,
      "x2",
      `<iq type='set' id='x2' to='nobody@localhost'><vCard xmlns='${NS}'><FN>Mallory</FN></vCard></iq>`,
    );
    assert.equal(condition(foreign), "service-unavailable");
    assert.equal(normalised(foreign), normalised(missing));

    const alice = await RawClient.login(t, "alice", "pw-alice");
    const big = Buffer.alloc(3000, 1).toString("base64");
    const tooBig = await ask(
      alice.client,
      "x3",
      `<iq type='set' id='x3'><vCard xmlns='${NS}'><PHOTO><BINVAL>${big}</BINVAL></PHOTO></vCard></iq>`,
    );
    assert.equal(condition(tooBig), "not-acceptable");
    assert.match(
      tooBig.getChild("error")?.getChildText("text", NS_STANZAS_ERR) ?? "",
      /2048 bytes/,
    );
    const kept = await ask(
      alice.client,
      "g1",
      `<iq type='get' id='g1'><vCard xmlns='${NS}'/></iq>`,
    );
    assert.equal(kept.getChild("vCard", NS)?.getChildText("FN"), "Alice Liddell");
    assert.equal(
      (
        await ask(
          bob.client,
          "g2",
          `<iq type='get' id='g2' to='alice@localhost'><vCard xmlns='${NS}'/></iq>`,
        )
      )
        .getChild("vCard", NS)
        ?.getChildText("FN"),
      "Alice Liddell",
      "bob's attempt changed nothing",
    );
    alice.client.close();
    bob.client.close();
  });

  it("an empty vCard removes the stored one", async () => {
    const { client } = await RawClient.login(t, "alice", "pw-alice");
    const res = await ask(client, "e1", `<iq type='set' id='e1'><vCard xmlns='${NS}'/></iq>`);
    assert.equal(res.attr("type"), "result");
    assert.equal(await t.storage.kv.get("vcard", "alice", "vcard"), undefined);
    const own = await ask(client, "g1", `<iq type='get' id='g1'><vCard xmlns='${NS}'/></iq>`);
    assert.equal(own.getChild("vCard", NS)?.children.length, 0);
    client.close();
  });
});
