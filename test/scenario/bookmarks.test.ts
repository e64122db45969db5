// XEP-0402 transcripts with #compat: PEP native bookmarks, XEP-0048 via PEP and XEP-0049 private XML kept in sync.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { parseElement } from "@hato/xml";
import { RawClient, startServer, type TestServer } from "../support/inproc.js";
import { assertError, capsLogin, iq, isEvent, NS_PUBSUB, publishOptions } from "../support/pep.js";

const B2 = "urn:xmpp:bookmarks:1";
const B1 = "storage:bookmarks";
const PRIVATE_KEY = "{storage:bookmarks}storage";
const bookmarkOptions = publishOptions({
  persist_items: "true",
  max_items: "max",
  send_last_published_item: "never",
  access_model: "whitelist",
});

const publish = (node: string, id: string, payload: string, options = "") =>
  `<iq type='set'><pubsub xmlns='${NS_PUBSUB}'><publish node='${node}'><item id='${id}'>${payload}</item></publish>${options}</pubsub></iq>`;
const items = (node: string) =>
  `<iq type='get'><pubsub xmlns='${NS_PUBSUB}'><items node='${node}'/></pubsub></iq>`;

describe("XEP-0402 bookmarks with urn:xmpp:bookmarks:1#compat", () => {
  let t: TestServer;
  before(async () => {
    t = await startServer();
    await t.addUser("alice", "pw-alice");
    await t.addUser("carol", "pw-carol");
  });
  after(() => t.stop());

  const privateCopy = async () => {
    const text = await t.storage.kv.get("private", "alice", PRIVATE_KEY);
    assert.ok(text, "the private XML copy exists");
    return parseElement(text);
  };

  it("a XEP-0402 publish shows up in XEP-0048 (PEP and private XML); a retraction removes it", async () => {
    const a = await capsLogin(t, "alice", "gajim", [B2, `${B2}+notify`, B1, `${B1}+notify`]);
    const conf = `<conference xmlns='${B2}' name='The Coven' autojoin='true'><nick>alice</nick></conference>`;
    let res = await iq(a.client, publish(B2, "coven@chat.localhost", conf, bookmarkOptions));
    assert.equal(res.attr("type"), "result");
    await a.client.expect(isEvent("alice@localhost", B2), "XEP-0402 notification");
    const legacyEvent = await a.client.expect(
      isEvent("alice@localhost", B1),
      "XEP-0048 notification",
    );
    const storage = legacyEvent
      .getChild("event")!
      .getChild("items")!
      .getChild("item")!
      .getChild("storage", B1)!;
    const c = storage.getChild("conference", B1)!;
    assert.equal(c.attr("jid"), "coven@chat.localhost");
    assert.equal(c.attr("name"), "The Coven");
    assert.equal(c.attr("autojoin"), "true");
    assert.equal(c.getChildText("nick", B1), "alice");
    const priv = await privateCopy();
    assert.equal(priv.getChild("conference", B1)?.attr("jid"), "coven@chat.localhost");

    // Bookmarks are private: a stranger cannot read either node.
    const carol = await RawClient.login(t, "carol", "pw-carol", "x");
    for (const node of [B2, B1]) {
      assertError(
        await iq(carol.client, items(node).replace("<iq ", "<iq to='alice@localhost' ")),
        "not-allowed",
        "closed-node",
      );
    }
    carol.client.close();

    res = await iq(
      a.client,
      `<iq type='set'><pubsub xmlns='${NS_PUBSUB}'><retract node='${B2}' notify='true'><item id='coven@chat.localhost'/></retract></pubsub></iq>`,
    );
    assert.equal(res.attr("type"), "result");
    assert.equal((await privateCopy()).getChildren("conference", B1).length, 0);
    res = await iq(a.client, items(B1));
    const current = res.getChild("pubsub")!.getChild("items")!.getChild("item")!;
    assert.equal(current.attr("id"), "current");
    assert.equal(current.getChild("storage", B1)!.getChildren("conference", B1).length, 0);
    a.client.close();
  });

  it("a XEP-0048 list published through PEP becomes one XEP-0402 item per room, with retractions for removed rooms", async () => {
    const a = await capsLogin(t, "alice", "legacy", [B2, `${B2}+notify`]);
    const two = `<storage xmlns='${B1}'><conference jid='one@chat.localhost' name='One' autojoin='1'><nick>al</nick><password>pw</password></conference><conference jid='two@chat.localhost' autojoin='false'/><url name='site' url='https://example.org/'/></storage>`;
    let res = await iq(a.client, publish(B1, "current", two));
    assert.equal(res.attr("type"), "result");
    res = await iq(a.client, items(B2));
    const list = res.getChild("pubsub")!.getChild("items")!.getChildren("item");
    assert.deepEqual(list.map((i) => i.attr("id")).sort(), [
      "one@chat.localhost",
      "two@chat.localhost",
    ]);
    const one = list
      .find((i) => i.attr("id") === "one@chat.localhost")!
      .getChild("conference", B2)!;
    assert.equal(one.attr("name"), "One");
    assert.equal(one.attr("autojoin"), "true");
    assert.equal(one.getChildText("nick", B2), "al");
    assert.equal(one.getChildText("password", B2), "pw");
    assert.equal((await privateCopy()).getChildren("conference", B1).length, 2);

    // The next list drops room two: its XEP-0402 item is retracted with a notification.
    const onlyOne = `<storage xmlns='${B1}'><conference jid='one@chat.localhost' name='One' autojoin='true'><nick>al</nick><password>pw</password></conference></storage>`;
    res = await iq(a.client, publish(B1, "current", onlyOne));
    assert.equal(res.attr("type"), "result");
    const retract = await a.client.expect(
      (e) =>
        isEvent("alice@localhost", B2)(e) &&
        e.getChild("event")!.getChild("items")!.getChild("retract") !== undefined,
      "retraction of room two",
    );
    assert.equal(
      retract.getChild("event")!.getChild("items")!.getChild("retract")!.attr("id"),
      "two@chat.localhost",
    );
    res = await iq(a.client, items(B2));
    assert.deepEqual(
      res
        .getChild("pubsub")!
        .getChild("items")!
        .getChildren("item")
        .map((i) => i.attr("id")),
      ["one@chat.localhost"],
    );
    a.client.close();
  });

  it("a XEP-0049 private XML write reaches the XEP-0402 node", async () => {
    const a = await RawClient.login(t, "alice", "pw-alice", "old");
    a.client.send(
      `<iq type='set' id='p1'><query xmlns='jabber:iq:private'><storage xmlns='${B1}'><conference jid='three@chat.localhost' name='Three' autojoin='true'/></storage></query></iq>`,
    );
    await a.client.expect((e) => e.attr("id") === "p1", "private XML answer");
    const res = await iq(a.client, items(B2));
    const list = res.getChild("pubsub")!.getChild("items")!.getChildren("item");
    assert.deepEqual(
      list.map((i) => i.attr("id")),
      ["three@chat.localhost"],
    );
    assert.equal(list[0]!.getChild("conference", B2)!.attr("name"), "Three");
    a.client.close();
  });

  it("bookmark nodes created without publish-options are private anyway", async () => {
    await t.addUser("dan", "pw-dan");
    const d = await RawClient.login(t, "dan", "pw-dan", "old");
    const res = await iq(
      d.client,
      publish(
        B1,
        "current",
        `<storage xmlns='${B1}'><conference jid='x@chat.localhost'><password>hunter2</password></conference></storage>`,
      ),
    );
    assert.equal(res.attr("type"), "result");
    const carol = await RawClient.login(t, "carol", "pw-carol", "y");
    for (const node of [B1, B2]) {
      assertError(
        await iq(carol.client, items(node).replace("<iq ", "<iq to='dan@localhost' ")),
        "not-allowed",
        "closed-node",
      );
    }
    carol.client.close();
    d.client.close();
  });

  it("the account advertises #compat and #compat-pep", async () => {
    const a = await RawClient.login(t, "alice", "pw-alice", "disco");
    const res = await iq(
      a.client,
      "<iq type='get' to='alice@localhost'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>",
    );
    const features = res
      .getChild("query")!
      .getChildren("feature")
      .map((f) => f.attr("var"));
    assert.ok(features.includes(`${B2}#compat`));
    assert.ok(features.includes(`${B2}#compat-pep`));
    a.client.close();
  });
});
