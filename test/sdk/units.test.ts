// Unit tests of the SDK's parts with fake collaborators: avatar verification and the vCard
// fallback, XEP-0198 counting, and the chat rules that guard against forged stanzas.

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { describe, it } from "node:test";
import type { ChatMessage, Contact } from "@hato/sdk";
import { Avatars, Chat, type ChatHost, MessageStore, StreamManagement } from "@hato/sdk/internal";
import { type Element, parseElement, xml } from "@hato/xml";

const sha1 = (b: Uint8Array) => createHash("sha1").update(b).digest("hex");
const b64 = (b: Uint8Array) => Buffer.from(b).toString("base64");
const flush = () => new Promise((r) => setTimeout(r, 20)); // only to show nothing happened

describe("avatars: only bytes matching their SHA-1 are shown", () => {
  const setup = (respond: (to: string | undefined, payload: Element) => string) => {
    const contact: Contact = {
      jid: "c@x",
      subscription: "both",
      pendingOut: false,
      groups: [],
      show: "available",
    };
    const asked: string[] = [];
    let changed: () => void = () => {};
    const av = new Avatars({
      self: () => "me@x",
      request: async (_type, to, payload) => {
        asked.push(`${to} ${payload.name}`);
        return parseElement(respond(to, payload));
      },
      contact: (jid) => (jid === "c@x" ? contact : undefined),
      changed: () => changed(),
    });
    const change = () =>
      new Promise<void>((r) => {
        changed = r;
      });
    return { av, contact, asked, change };
  };
  const png = Uint8Array.from({ length: 100 }, (_, i) => i);
  const presence = (hash: string) =>
    parseElement(
      `<presence xmlns='jabber:client' from='c@x/r'><x xmlns='vcard-temp:x:update'><photo>${hash}</photo></x></presence>`,
    );
  const vcard = (bytes: Uint8Array) =>
    `<iq xmlns='jabber:client' type='result'><vCard xmlns='vcard-temp'><PHOTO><TYPE>image/jpeg</TYPE><BINVAL>${b64(bytes)}</BINVAL></PHOTO></vCard></iq>`;
  const metadata = (id: string, bytes = 100) =>
    parseElement(
      `<message xmlns='jabber:client' from='c@x'><event xmlns='http://jabber.org/protocol/pubsub#event'>` +
        `<items node='urn:xmpp:avatar:metadata'><item id='${id}'><metadata xmlns='urn:xmpp:avatar:metadata'>` +
        `<info id='${id}' bytes='${bytes}' type='image/png'/></metadata></item></items></event></message>`,
    );
  const data = (id: string, bytes: Uint8Array) =>
    `<iq xmlns='jabber:client' type='result'><pubsub xmlns='http://jabber.org/protocol/pubsub'><items node='urn:xmpp:avatar:data'>` +
    `<item id='${id}'><data xmlns='urn:xmpp:avatar:data'>${b64(bytes)}</data></item></items></pubsub></iq>`;

  it("XEP-0153: a presence photo hash fetches the vCard and shows the photo", async () => {
    const { av, contact, asked, change } = setup(() => vcard(png));
    const done = change();
    av.presence(presence(sha1(png)));
    await done;
    assert.deepEqual(asked, ["c@x vCard"]);
    assert.equal(contact.avatar?.hash, sha1(png));
    assert.equal(contact.avatar?.type, "image/jpeg");
  });

  it("XEP-0153: a vCard photo that does not hash to the presence's hash is not shown", async () => {
    const { av, contact, asked } = setup(() => vcard(png));
    av.presence(presence(sha1(Uint8Array.of(1, 2, 3))));
    await flush();
    assert.equal(asked.length, 1);
    assert.equal(contact.avatar, undefined);
  });

  it("XEP-0084: data whose SHA-1 differs from the item id is not shown", async () => {
    const claimed = sha1(Uint8Array.of(9));
    const { av, contact, asked } = setup(() => data(claimed, png));
    assert.equal(av.event(metadata(claimed)), true);
    await flush();
    assert.deepEqual(asked, ["c@x pubsub"]);
    assert.equal(contact.avatar, undefined);
  });

  it("XEP-0084: an avatar advertised above 256 KiB is not even fetched", async () => {
    const { av, asked } = setup(() => data(sha1(png), png));
    av.event(metadata(sha1(png), 256 * 1024 + 1));
    await flush();
    assert.deepEqual(asked, []);
  });

  it("XEP-0084 wins over the vCard, and strangers' events are ignored", async () => {
    const { av, contact, asked, change } = setup(() => data(sha1(png), png));
    const done = change();
    av.event(metadata(sha1(png)));
    await done;
    assert.equal(contact.avatar?.hash, sha1(png));
    av.presence(presence(sha1(Uint8Array.of(7))));
    const stranger = metadata(sha1(Uint8Array.of(8)));
    stranger.attrs.from = "stranger@x";
    av.event(stranger);
    await flush();
    assert.deepEqual(asked, ["c@x pubsub"], "no vCard fetch, nothing fetched for a stranger");
  });
});

describe("XEP-0198 counting", () => {
  it("acknowledges in order, refuses an h beyond what was sent, and resends the rest on resume", () => {
    const sm = new StreamManagement(10);
    sm.enabled("id1");
    const acked: string[] = [];
    for (const id of ["s1", "s2", "s3"])
      sm.sent({ el: xml("message", { id }), acked: () => acked.push(id) });
    for (const u of sm.ack(2) ?? []) u.acked?.();
    assert.deepEqual(acked, ["s1", "s2"]);
    assert.equal(sm.ack(5), undefined, "an h above the count sent is a protocol violation");
    assert.deepEqual(sm.ack(2), [], "the same h again acknowledges nothing new");
    sm.sent({ el: xml("message", { id: "s4" }) });
    sm.suspend();
    const { acked: a, resend } = sm.resumed(3);
    assert.deepEqual(
      a.map((u) => u.el.attr("id")),
      ["s3"],
    );
    assert.deepEqual(
      resend.map((u) => u.el.attr("id")),
      ["s4"],
    );
    // The resent stanza is counted again, after h=3.
    sm.sent(resend[0]!);
    assert.deepEqual(
      sm.ack(4)?.map((u) => u.el.attr("id")),
      ["s4"],
    );
  });

  it("reports a full queue so the client can give up on a server that never acknowledges", () => {
    const sm = new StreamManagement(2);
    sm.enabled(undefined);
    assert.equal(sm.sent({ el: xml("message") }), true);
    assert.equal(sm.sent({ el: xml("message") }), true);
    assert.equal(sm.sent({ el: xml("message") }), false);
  });
});

describe("chat rules against forged stanzas", () => {
  const setup = (contacts: string[] = ["bob@x"]) => {
    const sent: Element[] = [];
    const messages: ChatMessage[] = [];
    const updates: ChatMessage[] = [];
    const host: ChatHost = {
      self: () => "me@x",
      send: (el) => sent.push(el),
      mayReceipt: (peer) => contacts.includes(peer),
      message: (m) => messages.push(m),
      updated: (m) => updates.push(m),
      chatState: () => {},
      error: () => {},
    };
    return { chat: new Chat(host, new MessageStore()), sent, messages, updates };
  };
  const msg = (s: string) =>
    parseElement(`<message xmlns='jabber:client' to='me@x/r' type='chat' ${s}</message>`);

  it("a carbon not sent by our own account is ignored (XEP-0280 §11)", () => {
    const { chat, messages } = setup();
    chat.stanza(
      msg(
        `from='mallory@x/r'><sent xmlns='urn:xmpp:carbons:2'><forwarded xmlns='urn:xmpp:forward:0'>` +
          `<message xmlns='jabber:client' from='me@x/other' to='bob@x' type='chat' id='c1'><body>I owe mallory</body></message>` +
          `</forwarded></sent>`,
      ),
    );
    assert.deepEqual(messages, []);
  });

  it("a genuine sent carbon is our own outgoing message", () => {
    const { chat, messages } = setup();
    chat.stanza(
      msg(
        `from='me@x'><sent xmlns='urn:xmpp:carbons:2'><forwarded xmlns='urn:xmpp:forward:0'>` +
          `<message xmlns='jabber:client' from='me@x/other' to='bob@x' type='chat' id='c2'><body>hi bob</body></message>` +
          `</forwarded></sent>`,
      ),
    );
    assert.equal(messages.length, 1);
    assert.equal(messages[0]!.outgoing, true);
    assert.equal(messages[0]!.peer, "bob@x");
    assert.equal(messages[0]!.state, "sent");
  });

  it("a peer cannot correct our message, nor a third party the peer's", () => {
    const { chat, updates } = setup();
    const mine = chat.send("bob@x", "mine");
    chat.stanza(msg(`from='bob@x/r' id='m1'><body>bob's</body>`));
    chat.stanza(
      msg(
        `from='bob@x/r' id='x1'><body>changed</body><replace xmlns='urn:xmpp:message-correct:0' id='${mine.id}'/>`,
      ),
    );
    chat.stanza(
      msg(
        `from='eve@x/r' id='x2'><body>changed</body><replace xmlns='urn:xmpp:message-correct:0' id='m1'/>`,
      ),
    );
    assert.equal(updates.length, 0);
    chat.stanza(
      msg(
        `from='bob@x/r' id='x3'><body>bob's, fixed</body><replace xmlns='urn:xmpp:message-correct:0' id='m1'/>`,
      ),
    );
    assert.deepEqual(
      updates.map((u) => [u.id, u.body, u.corrected]),
      [["m1", "bob's, fixed", true]],
    );
  });

  it("a message seen twice (resent after a lost ack) is shown once; receipts go to contacts only", () => {
    const { chat, messages, sent } = setup();
    const m = msg(`from='bob@x/r' id='d1'><body>once</body><request xmlns='urn:xmpp:receipts'/>`);
    chat.stanza(m);
    chat.stanza(m);
    assert.equal(messages.length, 1);
    assert.equal(
      sent.filter((s) => s.getChild("received", "urn:xmpp:receipts")).length,
      2,
      "each copy is acknowledged",
    );
    chat.stanza(
      msg(`from='stranger@x/r' id='d2'><body>hi</body><request xmlns='urn:xmpp:receipts'/>`),
    );
    assert.equal(sent.length, 2, "no receipt to a stranger: it would reveal that we are online");
  });

  it("a receipt or marker for a message we never sent changes nothing", () => {
    const { chat, updates } = setup();
    chat.stanza(msg(`from='bob@x/r' id='r1'><received xmlns='urn:xmpp:receipts' id='nope'/>`));
    chat.stanza(
      msg(`from='bob@x/r' id='r2'><displayed xmlns='urn:xmpp:chat-markers:0' id='nope'/>`),
    );
    assert.deepEqual(updates, []);
  });
});
