// What the SDK answers when others ask it something: XEP-0199 ping, XEP-0030 disco#info for
// its XEP-0115 caps node, and service-unavailable for anything else (never answering results).

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { CAPS_NODE, type HatoClient } from "@hato/sdk";
import { RawClient } from "../support/inproc.js";
import { befriend, type SdkWorld, sdkWorld } from "../support/sdk.js";

describe("SDK answers requests", () => {
  let w: SdkWorld;
  let sdk: HatoClient;
  let raw: RawClient;
  let ver: string;
  before(async () => {
    w = await sdkWorld(["alice", "bob"]);
    sdk = w.client("alice", { resource: "web" });
    const bob = w.client("bob");
    await Promise.all([sdk.connect(), bob.connect()]);
    await befriend(sdk, bob);
    ({ client: raw } = await RawClient.login(w.server, "bob", "pw", "raw"));
    // Bob's raw resource gets alice's presence with her caps.
    const p = await raw.expect(
      (el) => el.name === "presence" && el.attr("from") === "alice@localhost/web",
    );
    const c = p.getChild("c", "http://jabber.org/protocol/caps");
    assert.equal(c?.attr("node"), CAPS_NODE);
    assert.equal(c?.attr("hash"), "sha-1");
    ver = c!.attr("ver")!;
  });
  after(async () => {
    raw?.close();
    await w.stop();
  });

  const ask = async (id: string, payload: string) => {
    raw.send(`<iq type='get' id='${id}' to='alice@localhost/web'>${payload}</iq>`);
    return raw.expect((el) => el.name === "iq" && el.attr("id") === id);
  };

  it("answers a XEP-0199 ping", async () => {
    const r = await ask("p1", "<ping xmlns='urn:xmpp:ping'/>");
    assert.equal(r.attr("type"), "result");
  });

  it("answers disco#info for its caps node with the features the hash covers", async () => {
    const r = await ask(
      "d1",
      `<query xmlns='http://jabber.org/protocol/disco#info' node='${CAPS_NODE}#${ver}'/>`,
    );
    assert.equal(r.attr("type"), "result");
    const q = r.getChild("query", "http://jabber.org/protocol/disco#info")!;
    assert.equal(q.attr("node"), `${CAPS_NODE}#${ver}`);
    const features = q.getChildren("feature").map((f) => f.attr("var"));
    for (const f of [
      "urn:xmpp:avatar:metadata+notify",
      "urn:xmpp:receipts",
      "urn:xmpp:chat-markers:0",
      "urn:xmpp:message-correct:0",
      "http://jabber.org/protocol/chatstates",
      "urn:xmpp:ping",
    ]) {
      assert.ok(features.includes(f), f);
    }
    assert.equal(q.getChild("identity")?.attr("category"), "client");
  });

  it("refuses disco#info for another node, and unknown requests with service-unavailable", async () => {
    const r = await ask(
      "d2",
      "<query xmlns='http://jabber.org/protocol/disco#info' node='other#x'/>",
    );
    assert.equal(r.attr("type"), "error");
    assert.ok(r.getChild("error")?.getChild("item-not-found"));
    const u = await ask("u1", "<query xmlns='jabber:iq:version'/>");
    assert.equal(u.attr("type"), "error");
    assert.ok(u.getChild("error")?.getChild("service-unavailable"));
  });

  it("ignores a roster push from someone other than its own account", async () => {
    raw.send(
      `<iq type='set' id='rp1' to='alice@localhost/web'><query xmlns='jabber:iq:roster'>` +
        `<item jid='mallory@localhost' subscription='both'/></query></iq>`,
    );
    const r = await raw.expect((el) => el.name === "iq" && el.attr("id") === "rp1");
    assert.equal(r.attr("type"), "error");
    assert.equal(
      sdk.contacts().some((c) => c.jid === "mallory@localhost"),
      false,
    );
  });
});
