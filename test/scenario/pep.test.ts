// XEP-0163 transcripts: PEP publish/fetch with publish-options, access models, +notify, limits.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type Element, serialize } from "@hato/xml";
import { RawClient, startServer, type TestServer } from "../support/inproc.js";
import {
  assertError,
  assertNothing,
  befriend,
  capsElement,
  capsLogin,
  configSubmit,
  iq,
  isEvent,
  NS_PUBSUB,
  NS_PUBSUB_OWNER,
  publishOptions,
} from "../support/pep.js";

const DEVICELIST = "eu.siacs.conversations.axolotl.devicelist";
const BUNDLE = "eu.siacs.conversations.axolotl.bundles:31415";
const TUNE = "http://jabber.org/protocol/tune";

const publish = (node: string, payload: string, id?: string, options = "") =>
  `<iq type='set'><pubsub xmlns='${NS_PUBSUB}'><publish node='${node}'><item${id ? ` id='${id}'` : ""}>${payload}</item></publish>${options}</pubsub></iq>`;
const fetch = (to: string, node: string, extra = "") =>
  `<iq type='get' to='${to}'><pubsub xmlns='${NS_PUBSUB}'><items node='${node}'${extra}/></pubsub></iq>`;
const devices = (...ids: number[]) =>
  `<list xmlns='eu.siacs.conversations.axolotl'>${ids.map((i) => `<device id='${i}'/>`).join("")}</list>`;

async function users(t: TestServer, ...names: string[]) {
  for (const n of names) await t.addUser(n, `pw-${n}`);
}

describe("XEP-0163 PEP", () => {
  let t: TestServer;
  before(async () => {
    t = await startServer();
    await users(t, "alice", "bob", "carol", "dave", "erin");
    await befriend(t, "alice", "bob");
  });
  after(() => t.stop());

  it("Conversations' OMEMO flow: precondition-not-met, reconfigure, publish again; contact and stranger fetch", async () => {
    const a = await RawClient.login(t, "alice", "pw-alice", "phone");
    // An older client created the device list with the default configuration (presence).
    let res = await iq(a.client, publish(DEVICELIST, devices(1), "current"));
    assert.equal(res.attr("type"), "result");
    // Conversations publishes with publish-options access_model=open.
    const open = publishOptions({ access_model: "open" });
    res = await iq(a.client, publish(DEVICELIST, devices(1, 31415), "current", open));
    const text = assertError(res, "conflict", "precondition-not-met");
    assert.match(text, /access_model/);
    // It reads the node configuration, sets access_model to open, and publishes again.
    res = await iq(
      a.client,
      `<iq type='get'><pubsub xmlns='${NS_PUBSUB_OWNER}'><configure node='${DEVICELIST}'/></pubsub></iq>`,
    );
    const form = res.getChild("pubsub", NS_PUBSUB_OWNER)!.getChild("configure")!.getChild("x")!;
    const access = form.getChildren("field").find((f) => f.attr("var") === "pubsub#access_model");
    assert.equal(access?.getChildText("value"), "presence");
    res = await iq(a.client, configSubmit(DEVICELIST, { access_model: "open" }));
    assert.equal(res.attr("type"), "result");
    res = await iq(a.client, publish(DEVICELIST, devices(1, 31415), "current", open));
    assert.equal(res.attr("type"), "result");
    assert.equal(
      res.getChild("pubsub")!.getChild("publish")!.getChild("item")!.attr("id"),
      "current",
    );
    // The bundle node does not exist yet: publish-options create it with access_model=open.
    const bundle =
      "<bundle xmlns='eu.siacs.conversations.axolotl'><signedPreKeyPublic signedPreKeyId='1'>AAAA</signedPreKeyPublic><identityKey>BQAA</identityKey></bundle>";
    res = await iq(a.client, publish(BUNDLE, bundle, "current", open));
    assert.equal(res.attr("type"), "result");

    // bob (a contact) and carol (a stranger) both fetch the device list and the bundle.
    for (const who of ["bob", "carol"]) {
      const c = await RawClient.login(t, who, `pw-${who}`, "x");
      const list = await iq(c.client, fetch("alice@localhost", DEVICELIST));
      assert.equal(list.attr("type"), "result", who);
      const item = list.getChild("pubsub")!.getChild("items")!.getChild("item")!;
      assert.equal(item.attr("id"), "current");
      assert.deepEqual(
        item
          .getChild("list")!
          .getChildren("device")
          .map((d) => d.attr("id")),
        ["1", "31415"],
      );
      const b = await iq(c.client, fetch("alice@localhost", BUNDLE));
      assert.equal(b.attr("type"), "result", who);
      assert.equal(
        b.getChild("pubsub")!.getChild("items")!.getChild("item")!.getChild("bundle")?.xmlns,
        "eu.siacs.conversations.axolotl",
      );
      c.client.close();
    }
    a.client.close();
  });

  it("presence access: the stranger is refused, the contact and the owner are allowed; a missing account answers like a blocking one", async () => {
    const a = await RawClient.login(t, "alice", "pw-alice", "desk");
    assert.equal(
      (
        await iq(
          a.client,
          publish("urn:xmpp:mood", "<mood xmlns='http://jabber.org/protocol/mood'><happy/></mood>"),
        )
      ).attr("type"),
      "result",
    );
    const b = await RawClient.login(t, "bob", "pw-bob", "x");
    const c = await RawClient.login(t, "carol", "pw-carol", "x");
    assert.equal(
      (await iq(b.client, fetch("alice@localhost", "urn:xmpp:mood"))).attr("type"),
      "result",
    );
    assert.equal(
      (await iq(a.client, fetch("alice@localhost", "urn:xmpp:mood"))).attr("type"),
      "result",
    );
    const refused = await iq(c.client, fetch("alice@localhost", "urn:xmpp:mood"));
    assertError(refused, "not-authorized", "presence-subscription-required");
    // An account without the node says so; one that does not exist answers exactly like an
    // account that blocked the requester (XEP-0191 §3.4), so a block cannot be told apart.
    const noNode = await iq(c.client, fetch("bob@localhost", "urn:xmpp:mood"));
    assertError(noNode, "item-not-found");
    const noUser = await iq(c.client, fetch("nobody@localhost", "urn:xmpp:mood"));
    assertError(noUser, "service-unavailable");
    b.client.send(
      "<iq type='set' id='blk'><block xmlns='urn:xmpp:blocking'><item jid='carol@localhost'/></block></iq>",
    );
    await b.client.expect((e) => e.attr("id") === "blk", "block result");
    const blocked = await iq(c.client, fetch("bob@localhost", "urn:xmpp:mood"));
    assert.equal(serialize(blocked.getChild("error")!), serialize(noUser.getChild("error")!));
    b.client.send(
      "<iq type='set' id='ublk'><unblock xmlns='urn:xmpp:blocking'><item jid='carol@localhost'/></unblock></iq>",
    );
    await b.client.expect((e) => e.attr("id") === "ublk", "unblock result");
    // Only the account publishes to its own nodes, whatever the target exists or not.
    assertError(
      await iq(
        c.client,
        publish("urn:xmpp:mood", "<x xmlns='y'/>").replace("<iq ", "<iq to='alice@localhost' "),
      ),
      "forbidden",
    );
    assertError(
      await iq(
        c.client,
        publish("urn:xmpp:mood", "<x xmlns='y'/>").replace("<iq ", "<iq to='nobody@localhost' "),
      ),
      "forbidden",
    );
    for (const x of [a, b, c]) x.client.close();
  });

  it("XEP-0223 private data: whitelist and persist_items are honoured; whitelisted members may read", async () => {
    const a = await RawClient.login(t, "alice", "pw-alice", "desk");
    const node = "urn:example:private-notes";
    const opts = publishOptions({
      access_model: "whitelist",
      persist_items: "true",
      max_items: "max",
    });
    let res = await iq(
      a.client,
      publish(node, "<notes xmlns='urn:example:notes'>secret</notes>", "n1", opts),
    );
    assert.equal(res.attr("type"), "result");
    res = await iq(
      a.client,
      publish(node, "<notes xmlns='urn:example:notes'>second</notes>", "n2", opts),
    );
    assert.equal(res.attr("type"), "result");
    const b = await RawClient.login(t, "bob", "pw-bob", "x");
    assertError(await iq(b.client, fetch("alice@localhost", node)), "not-allowed", "closed-node");
    // The owner whitelists bob (pubsub#owner affiliations), then bob may read.
    res = await iq(
      a.client,
      `<iq type='set'><pubsub xmlns='${NS_PUBSUB_OWNER}'><affiliations node='${node}'><affiliation jid='bob@localhost/x' affiliation='member'/></affiliations></pubsub></iq>`,
    );
    assert.equal(res.attr("type"), "result");
    res = await iq(
      a.client,
      `<iq type='get'><pubsub xmlns='${NS_PUBSUB_OWNER}'><affiliations node='${node}'/></pubsub></iq>`,
    );
    const affs = res.getChild("pubsub")!.getChild("affiliations")!.getChildren("affiliation");
    assert.deepEqual(
      affs.map((x) => `${x.attr("jid")} ${x.attr("affiliation")}`),
      ["alice@localhost owner", "bob@localhost member"],
    );
    res = await iq(b.client, fetch("alice@localhost", node));
    assert.deepEqual(
      res
        .getChild("pubsub")!
        .getChild("items")!
        .getChildren("item")
        .map((i) => i.attr("id")),
      ["n1", "n2"],
    );
    const c = await RawClient.login(t, "carol", "pw-carol", "x");
    assertError(await iq(c.client, fetch("alice@localhost", node)), "not-allowed", "closed-node");
    // Persistent items survive: retrieval by id and with max_items.
    res = await iq(a.client, fetch("alice@localhost", node, " max_items='1'"));
    assert.deepEqual(
      res
        .getChild("pubsub")!
        .getChild("items")!
        .getChildren("item")
        .map((i) => i.attr("id")),
      ["n2"],
    );
    res = await iq(
      a.client,
      `<iq type='get'><pubsub xmlns='${NS_PUBSUB}'><items node='${node}'><item id='n1'/></items></pubsub></iq>`,
    );
    assert.equal(
      res.getChild("pubsub")!.getChild("items")!.getChild("item")!.getChildText("notes"),
      "secret",
    );
    for (const x of [a, b, c]) x.client.close();
  });

  it("+notify: events reach only sessions with verified caps that may access the node, the owner's included", async () => {
    const notify = [TUNE, `${TUNE}+notify`];
    const desk = await capsLogin(t, "alice", "desk", notify);
    const phone = await RawClient.login(t, "alice", "pw-alice", "phone"); // no caps
    const bob = await capsLogin(t, "bob", "laptop", notify);
    const carol = await capsLogin(t, "carol", "laptop", notify); // a stranger
    const dave = await capsLogin(t, "dave", "laptop", [TUNE]); // a contact without +notify
    await befriend(t, "alice", "dave");
    for (const who of [bob, carol, dave])
      who.client.send(`<presence to='alice@localhost'>${capsElement(who.ver)}</presence>`);
    await new Promise((r) => setTimeout(r, 100));
    const tune =
      "<tune xmlns='http://jabber.org/protocol/tune'><artist>Yes</artist><title>Heart of the Sunrise</title></tune>";
    assert.equal((await iq(desk.client, publish(TUNE, tune, "t1"))).attr("type"), "result");
    const ev = await bob.client.expect(isEvent("alice@localhost", TUNE), "tune event at bob");
    assert.equal(ev.attr("type"), "headline");
    assert.equal(ev.attr("to"), bob.jid);
    assert.equal(
      ev
        .getChild("event")!
        .getChild("items")!
        .getChild("item")!
        .getChild("tune")!
        .getChildText("artist"),
      "Yes",
    );
    await desk.client.expect(isEvent("alice@localhost", TUNE), "tune event at alice's own session");
    await assertNothing(
      phone.client,
      isEvent("alice@localhost", TUNE),
      "event at a session without caps",
    );
    await assertNothing(carol.client, isEvent("alice@localhost", TUNE), "event at a stranger");
    await assertNothing(
      dave.client,
      isEvent("alice@localhost", TUNE),
      "event at a session without +notify",
    );

    // Retraction is notified too.
    assert.equal(
      (
        await iq(
          desk.client,
          `<iq type='set'><pubsub xmlns='${NS_PUBSUB}'><retract node='${TUNE}' notify='true'><item id='t1'/></retract></pubsub></iq>`,
        )
      ).attr("type"),
      "result",
    );
    const r = await bob.client.expect(isEvent("alice@localhost", TUNE), "retract event");
    assert.equal(r.getChild("event")!.getChild("items")!.getChild("retract")!.attr("id"), "t1");
    assertError(
      await iq(
        desk.client,
        `<iq type='set'><pubsub xmlns='${NS_PUBSUB}'><retract node='${TUNE}'><item id='t1'/></retract></pubsub></iq>`,
      ),
      "item-not-found",
    );

    // A contact's session that comes online later gets the last item, with a delay stamp.
    assert.equal((await iq(desk.client, publish(TUNE, tune, "t2"))).attr("type"), "result");
    const late = await RawClient.login(t, "bob", "pw-bob", "tablet", false);
    late.client.send(`<presence>${capsElement(bob.ver)}</presence>`); // caps known: no query
    late.client.send(`<presence to='alice@localhost'>${capsElement(bob.ver)}</presence>`);
    const last = await late.client.expect(isEvent("alice@localhost", TUNE), "last item");
    assert.equal(last.getChild("event")!.getChild("items")!.getChild("item")!.attr("id"), "t2");
    assert.ok(last.getChild("delay", "urn:xmpp:delay")?.attr("stamp"));

    // Purge and delete are notified; afterwards the node is gone.
    assert.equal(
      (
        await iq(
          desk.client,
          `<iq type='set'><pubsub xmlns='${NS_PUBSUB_OWNER}'><purge node='${TUNE}'/></pubsub></iq>`,
        )
      ).attr("type"),
      "result",
    );
    const purge = await bob.client.expect(
      (e) => e.getChild("event")?.getChild("purge")?.attr("node") === TUNE,
      "purge event",
    );
    assert.ok(purge);
    assert.equal(
      (
        await iq(
          desk.client,
          `<iq type='set'><pubsub xmlns='${NS_PUBSUB_OWNER}'><delete node='${TUNE}'/></pubsub></iq>`,
        )
      ).attr("type"),
      "result",
    );
    await bob.client.expect(
      (e) => e.getChild("event")?.getChild("delete")?.attr("node") === TUNE,
      "delete event",
    );
    assertError(await iq(bob.client, fetch("alice@localhost", TUNE)), "item-not-found");
    for (const x of [desk, phone, bob, carol, dave, late]) x.client.close();
  });

  it("roster access: contacts in an allowed group may read, other contacts get not-in-roster-group", async () => {
    await t.storage.roster.set("alice", "dave@localhost", {
      jid: "dave@localhost",
      subscription: "both",
      groups: ["Work"],
    });
    const a = await RawClient.login(t, "alice", "pw-alice", "roster");
    const node = "urn:example:friends-only";
    assert.equal(
      (await iq(a.client, publish(node, "<p xmlns='urn:example:p'/>"))).attr("type"),
      "result",
    );
    const set = await iq(
      a.client,
      configSubmit(node, { access_model: "roster", roster_groups_allowed: "Friends" }),
    );
    assert.equal(set.attr("type"), "result");
    const b = await RawClient.login(t, "bob", "pw-bob", "roster");
    const d = await RawClient.login(t, "dave", "pw-dave", "roster");
    assert.equal((await iq(b.client, fetch("alice@localhost", node))).attr("type"), "result");
    assertError(
      await iq(d.client, fetch("alice@localhost", node)),
      "not-authorized",
      "not-in-roster-group",
    );
    for (const x of [a, b, d]) x.client.close();
  });

  it("disco: the account answers itself and contacts with pubsub/pep and its features; strangers get what a missing account gets; items list visible nodes", async () => {
    const a = await RawClient.login(t, "alice", "pw-alice", "disco");
    const c = await RawClient.login(t, "carol", "pw-carol", "disco");
    const info = async (client: RawClient, to: string) =>
      iq(
        client,
        `<iq type='get' to='${to}'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>`,
      );
    const own = await info(a.client, "alice@localhost");
    const q = own.getChild("query")!;
    assert.ok(
      q
        .getChildren("identity")
        .some((i) => i.attr("category") === "pubsub" && i.attr("type") === "pep"),
    );
    const features = q.getChildren("feature").map((f) => f.attr("var"));
    for (const f of [
      "publish",
      "publish-options",
      "access-presence",
      "access-open",
      "access-whitelist",
      "auto-create",
      "persistent-items",
      "retrieve-items",
      "retract-items",
      "delete-nodes",
      "purge-nodes",
      "config-node",
      "last-published",
      "member-affiliation",
    ]) {
      assert.ok(features.includes(`${NS_PUBSUB}#${f}`), f);
    }
    assert.ok(features.includes("urn:xmpp:bookmarks:1#compat"));
    assert.ok(features.includes("urn:xmpp:pep-vcard-conversion:0"));
    // carol, a stranger, learns from disco neither that alice exists nor what she offers.
    const strip = (el: Element) => {
      const copy = el.clone();
      delete copy.attrs.id;
      delete copy.attrs.from;
      return serialize(copy);
    };
    const stranger = await info(c.client, "alice@localhost");
    const nobody = await info(c.client, "nobody@localhost");
    assert.equal(stranger.attr("type"), "error");
    assert.equal(strip(stranger), strip(nobody));
    // bob, a contact, sees the presence-access node too.
    const b = await RawClient.login(t, "bob", "pw-bob", "disco");
    const bobItems = await iq(
      b.client,
      "<iq type='get' to='alice@localhost'><query xmlns='http://jabber.org/protocol/disco#items'/></iq>",
    );
    const nodes = bobItems
      .getChild("query")!
      .getChildren("item")
      .map((i) => i.attr("node"));
    assert.ok(nodes.includes(DEVICELIST));
    assert.ok(nodes.includes("urn:xmpp:mood"));
    for (const x of [a, b, c]) x.client.close();
  });

  it("malformed requests get clear pubsub errors", async () => {
    const a = await RawClient.login(t, "alice", "pw-alice", "bad");
    assertError(
      await iq(
        a.client,
        `<iq type='set'><pubsub xmlns='${NS_PUBSUB}'><publish node='n'/></pubsub></iq>`,
      ),
      "bad-request",
      "item-required",
    );
    assertError(await iq(a.client, publish("n", "")), "bad-request", "payload-required");
    assertError(
      await iq(a.client, publish("n", "<a xmlns='x'/><b xmlns='x'/>")),
      "bad-request",
      "invalid-payload",
    );
    assertError(
      await iq(
        a.client,
        `<iq type='set'><pubsub xmlns='${NS_PUBSUB}'><publish><item><a xmlns='x'/></item></publish></pubsub></iq>`,
      ),
      "bad-request",
      "nodeid-required",
    );
    assertError(
      await iq(
        a.client,
        `<iq type='set'><pubsub xmlns='${NS_PUBSUB}'><subscribe node='n' jid='alice@localhost'/></pubsub></iq>`,
      ),
      "feature-not-implemented",
      "unsupported",
    );
    assertError(
      await iq(a.client, configSubmit(DEVICELIST, { access_model: "everyone" })),
      "not-acceptable",
    );
    assertError(
      await iq(a.client, configSubmit(DEVICELIST, { frobnicate: "1" })),
      "not-acceptable",
    );
    assertError(
      await iq(
        a.client,
        publish("n2", "<a xmlns='x'/>", undefined, publishOptions({ access_model: "nobody" })),
      ),
      "conflict",
      "precondition-not-met",
    );
    const c = await RawClient.login(t, "carol", "pw-carol", "bad");
    assertError(
      await iq(
        c.client,
        `<iq type='get' to='alice@localhost'><pubsub xmlns='${NS_PUBSUB_OWNER}'><configure node='${DEVICELIST}'/></pubsub></iq>`,
      ),
      "forbidden",
    );
    a.client.close();
    c.client.close();
  });
});
