// The SDK's avatars against the real server: XEP-0084 publish and notify, the XEP-0153
// vCard fallback, and bytes that do not match their advertised SHA-1 never shown.

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { after, before, describe, it } from "node:test";
import type { Contact, HatoClient } from "@hato/sdk";
import { RawClient } from "../support/inproc.js";
import { befriend, type SdkWorld, sdkWorld, until } from "../support/sdk.js";

const sha1 = (b: Uint8Array) => createHash("sha1").update(b).digest("hex");
const bytes = (n: number, seed: number) =>
  Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 255);
const avatarOf = (c: HatoClient, jid: string): Contact["avatar"] =>
  c.contacts().find((x) => x.jid === jid)?.avatar;

describe("SDK avatars", () => {
  let w: SdkWorld;
  let bob: HatoClient;
  /** Every avatar bob was ever shown, to check none had bytes other than its hash says. */
  const shown: NonNullable<Contact["avatar"]>[] = [];
  before(async () => {
    w = await sdkWorld(["alice", "bob", "carol", "dave"]);
    bob = w.client("bob");
    await bob.connect();
    bob.on("contacts", (all) => {
      for (const c of all) if (c.avatar) shown.push(c.avatar);
    });
  });
  after(() => w.stop());

  it("an avatar published with XEP-0084 reaches a contact, verified", async () => {
    const a = w.client("alice");
    await a.connect();
    await befriend(a, bob);
    const png = bytes(3000, 1);
    await a.setAvatar(png, "image/png");
    await until(bob, () => avatarOf(bob, a.jid)?.hash === sha1(png));
    const got = avatarOf(bob, a.jid)!;
    assert.deepEqual([...got.bytes], [...png]);
    assert.equal(got.type, "image/png");
    assert.equal(a.ownAvatar()?.hash, sha1(png));
  });

  it("a vCard photo (XEP-0153) is fetched when presence carries its hash", async () => {
    const c = w.client("carol");
    await c.connect();
    await befriend(c, bob);
    const photo = bytes(2000, 7);
    const { client: raw } = await RawClient.login(w.server, "carol", "pw", "legacy");
    raw.send(
      `<iq type='set' id='v1'><vCard xmlns='vcard-temp'><PHOTO><TYPE>image/jpeg</TYPE>` +
        `<BINVAL>${Buffer.from(photo).toString("base64")}</BINVAL></PHOTO></vCard></iq>`,
    );
    raw.send(
      `<presence><x xmlns='vcard-temp:x:update'><photo>${sha1(photo)}</photo></x></presence>`,
    );
    await until(bob, () => avatarOf(bob, c.jid)?.hash === sha1(photo));
    assert.deepEqual([...avatarOf(bob, c.jid)!.bytes], [...photo]);
    raw.close();
  });

  it("bytes whose SHA-1 differs from the advertised id are never shown", async () => {
    const d = w.client("dave");
    await d.connect();
    await befriend(d, bob);
    const { client: raw } = await RawClient.login(w.server, "dave", "pw", "forger");
    const real = bytes(500, 3);
    const claimed = sha1(bytes(500, 4));
    const publish = (id: string, node: string, payload: string) =>
      raw.send(
        `<iq type='set' id='${node}${id}'><pubsub xmlns='http://jabber.org/protocol/pubsub'>` +
          `<publish node='${node}'><item id='${id}'>${payload}</item></publish></pubsub></iq>`,
      );
    publish(
      claimed,
      "urn:xmpp:avatar:data",
      `<data xmlns='urn:xmpp:avatar:data'>${Buffer.from(real).toString("base64")}</data>`,
    );
    publish(
      claimed,
      "urn:xmpp:avatar:metadata",
      `<metadata xmlns='urn:xmpp:avatar:metadata'><info id='${claimed}' bytes='500' type='image/png'/></metadata>`,
    );
    // Then an honest avatar: once bob shows it, the forged one was fetched and refused.
    const honest = bytes(600, 5);
    await d.setAvatar(honest, "image/webp");
    await until(bob, () => avatarOf(bob, d.jid)?.hash === sha1(honest));
    raw.close();
    assert.ok(shown.length > 0);
    for (const av of shown)
      assert.equal(sha1(av.bytes), av.hash, "every avatar shown matches its hash");
    assert.equal(
      shown.some((av) => av.hash === claimed),
      false,
    );
  });
});
