// XEP-0084 avatars with XEP-0398 conversion: PEP to vcard-temp, vcard-temp to PEP, hash in presence.

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { Priority } from "@hato/core";
import { type Element, parseElement } from "@hato/xml";
import { RawClient, startServer, type TestServer } from "../support/inproc.js";
import { capsLogin, iq, isEvent, NS_PUBSUB } from "../support/pep.js";

const DATA = "urn:xmpp:avatar:data";
const META = "urn:xmpp:avatar:metadata";
const UPDATE = "vcard-temp:x:update";
const png = Buffer.from("89504e470d0a1a0a0000000d4948445200000001000000010806000000", "hex");
const sha1 = (b: Buffer) => createHash("sha1").update(b).digest("hex");

const publish = (node: string, id: string, payload: string) =>
  `<iq type='set'><pubsub xmlns='${NS_PUBSUB}'><publish node='${node}'><item id='${id}'>${payload}</item></publish></pubsub></iq>`;

describe("XEP-0398 avatar conversion", () => {
  let t: TestServer;
  before(async () => {
    t = await startServer();
    await t.addUser("alice", "pw-alice");
    await t.addUser("bob", "pw-bob");
  });
  after(() => t.stop());

  const vcardPhoto = async () => {
    const text = await t.storage.kv.get("vcard", "alice", "vcard");
    return text === undefined ? undefined : parseElement(text).getChild("PHOTO", "vcard-temp");
  };

  it("a XEP-0084 avatar becomes the vCard PHOTO, and presence carries its hash", async () => {
    const a = await RawClient.login(t, "alice", "pw-alice", "desk");
    const id = sha1(png);
    let res = await iq(
      a.client,
      publish(DATA, id, `<data xmlns='${DATA}'>${png.toString("base64")}</data>`),
    );
    assert.equal(res.attr("type"), "result");
    res = await iq(
      a.client,
      publish(
        META,
        id,
        `<metadata xmlns='${META}'><info bytes='${png.length}' id='${id}' type='image/png' width='1' height='1'/><info id='x' url='https://example.org/a.png' type='image/png' bytes='1'/></metadata>`,
      ),
    );
    assert.equal(res.attr("type"), "result");
    const photo = await vcardPhoto();
    assert.equal(photo?.getChildText("TYPE", "vcard-temp"), "image/png");
    assert.equal(photo?.getChildText("BINVAL", "vcard-temp"), png.toString("base64"));

    // The next broadcast presence gets <x><photo>sha1</photo></x>, in place.
    a.client.send("<presence><show>away</show></presence>");
    await new Promise((r) => setTimeout(r, 100));
    const presence = t.server.sessions.get("alice", "desk")!.presence!;
    assert.equal(presence.getChild("x", UPDATE)?.getChildText("photo", UPDATE), id);
    // An empty x is overwritten; an empty <photo/> ("no avatar") is kept as the client said.
    a.client.send(`<presence><x xmlns='${UPDATE}'/></presence>`);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(
      t.server.sessions
        .get("alice", "desk")!
        .presence!.getChild("x", UPDATE)
        ?.getChildText("photo", UPDATE),
      id,
    );
    a.client.send(`<presence><x xmlns='${UPDATE}'><photo/></x></presence>`);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(
      t.server.sessions
        .get("alice", "desk")!
        .presence!.getChild("x", UPDATE)
        ?.getChildText("photo", UPDATE),
      "",
    );

    // Directed presence (a MUC join) carries the hash too.
    const seen: Element[] = [];
    t.server.bus.on("presence/bare", (ev) => void seen.push(ev.stanza), Priority.POLICY, "test");
    a.client.send("<presence to='bob@localhost'/>");
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(seen[0]?.getChild("x", UPDATE)?.getChildText("photo", UPDATE), id);
    a.client.close();
  });

  it("a metadata item whose data does not hash to its id is not copied", async () => {
    const a = await RawClient.login(t, "alice", "pw-alice", "liar");
    const before = (await vcardPhoto())?.getChildText("BINVAL", "vcard-temp");
    const fake = "0".repeat(40);
    await iq(
      a.client,
      publish(
        DATA,
        fake,
        `<data xmlns='${DATA}'>${Buffer.from("not it").toString("base64")}</data>`,
      ),
    );
    await iq(
      a.client,
      publish(
        META,
        fake,
        `<metadata xmlns='${META}'><info bytes='6' id='${fake}' type='image/png'/></metadata>`,
      ),
    );
    assert.equal((await vcardPhoto())?.getChildText("BINVAL", "vcard-temp"), before);
    a.client.close();
  });

  it("a vCard with a PHOTO is published as avatar data and metadata, with notifications", async () => {
    const a = await capsLogin(t, "alice", "phone", [META, `${META}+notify`]);
    const jpeg = Buffer.from("ffd8ffe000104a46494600010100000100010000ffd9", "hex");
    const vcard = parseElement(
      `<vCard xmlns='vcard-temp'><FN>Alice</FN><PHOTO><TYPE>image/jpeg</TYPE><BINVAL>${jpeg.toString("base64")}</BINVAL></PHOTO></vCard>`,
    );
    await t.server.bus.fire("vcard-updated", { username: "alice", vcard });
    const ev = await a.client.expect(
      (e) =>
        isEvent("alice@localhost", META)(e) &&
        e.getChild("event")!.getChild("items")!.getChild("item")?.attr("id") === sha1(jpeg),
      "metadata notification",
    );
    const info = ev
      .getChild("event")!
      .getChild("items")!
      .getChild("item")!
      .getChild("metadata", META)!
      .getChild("info", META)!;
    assert.equal(info.attr("type"), "image/jpeg");
    assert.equal(info.attr("bytes"), String(jpeg.length));
    const res = await iq(
      a.client,
      `<iq type='get'><pubsub xmlns='${NS_PUBSUB}'><items node='${DATA}'><item id='${sha1(jpeg)}'/></items></pubsub></iq>`,
    );
    assert.equal(
      res.getChild("pubsub")!.getChild("items")!.getChild("item")!.getChildText("data", DATA),
      jpeg.toString("base64"),
    );
    a.client.close();
  });
});
