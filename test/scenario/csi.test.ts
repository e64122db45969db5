// XEP-0352 transcripts: an inactive client gets presence and chat states late and
// deduplicated, urgent stanzas at once, and everything when it says it is active again.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type Element, NS_CSI, NS_SM, NS_STREAM, parseElement } from "@hato/xml";
import { RawClient, startServer, type TestServer } from "../support/inproc.js";

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Hands a presence to bob's session the way the presence module does (session.send is the
 * only way to a client), so the test does not depend on roster subscriptions.
 */
function presenceTo(t: TestServer, from: string, show: string): void {
  const session = t.server.sessions.get("bob", "phone")!;
  session.send(
    parseElement(
      `<presence xmlns='jabber:client' from='${from}' to='bob@localhost/phone'><show>${show}</show></presence>`,
    ),
  );
}

/** Sends a nonza, then a ping, and waits for the pong: the nonza was processed in order. */
async function nonza(c: RawClient, el: string): Promise<void> {
  c.send(el);
  c.send("<iq type='get' id='sync' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>");
  await c.expect((e) => e.attr("id") === "sync", "pong");
}

const isPresence = (e: Element) => e.name === "presence";

async function setup(flags: Record<string, string> = {}) {
  const t = await startServer(flags);
  await t.addUser("alice", "pw-a");
  await t.addUser("bob", "pw-b");
  const a = await RawClient.login(t, "alice", "pw-a", "desk");
  const b = await RawClient.login(t, "bob", "pw-b", "phone");
  // The presence module reflects bob's own initial presence to him; start from a clean slate.
  await b.client.expect((e) => isPresence(e) && e.attr("from") === "bob@localhost/phone");
  b.client.received.length = 0;
  return { t, a: a.client, b: b.client };
}

describe("XEP-0352 client state indication", () => {
  it("while bob is inactive, presence is held and only each contact's newest kept; a message with a body flushes it and arrives at once", async () => {
    const { t, a, b } = await setup();
    try {
      await nonza(b, `<inactive xmlns='${NS_CSI}'/>`);
      presenceTo(t, "alice@localhost/desk", "away");
      presenceTo(t, "carol@localhost/home", "dnd");
      presenceTo(t, "alice@localhost/desk", "xa");
      a.send(
        "<message to='bob@localhost' type='chat' id='typing'><composing xmlns='http://jabber.org/protocol/chatstates'/></message>",
      );
      a.send(
        "<message to='bob@localhost' type='chat' id='typing2'><paused xmlns='http://jabber.org/protocol/chatstates'/></message>",
      );
      await pause(200);
      assert.equal(b.received.filter(isPresence).length, 0, "presence held back");
      assert.equal(b.received.filter((e) => e.name === "message").length, 0, "chat states held");

      a.send("<message to='bob@localhost' type='chat' id='hi'><body>hi</body></message>");
      await b.expect((e) => e.attr("id") === "hi", "the message with a body");
      const order = b.received.map((e) => `${e.name}:${e.attr("from")}:${e.attr("id") ?? ""}`);
      assert.deepEqual(order, [
        "presence:carol@localhost/home:",
        "presence:alice@localhost/desk:",
        "message:alice@localhost/desk:typing2",
      ]);
      const alice = b.received.find((e) => isPresence(e) && e.attr("from")?.startsWith("alice"));
      assert.equal(alice?.getChildText("show"), "xa", "only the newest presence of alice");
      a.close();
      b.close();
    } finally {
      await t.stop();
    }
  });

  it("an IQ passes at once; <active/> sends everything held", async () => {
    const { t, a, b } = await setup();
    try {
      // IQs to a full JID reach it only from those who may see its presence (RFC 6121 privacy).
      await t.storage.roster.set("bob", "alice@localhost", {
        jid: "alice@localhost",
        subscription: "from",
        groups: [],
      });
      await nonza(b, `<inactive xmlns='${NS_CSI}'/>`);
      presenceTo(t, "alice@localhost/desk", "away");
      a.send(
        "<iq to='bob@localhost/phone' type='get' id='v1'><query xmlns='jabber:iq:version'/></iq>",
      );
      await b.expect((e) => e.attr("id") === "v1", "the IQ");
      assert.equal(b.received.filter(isPresence).length, 1, "flushed before the IQ");
      b.received.length = 0;
      presenceTo(t, "alice@localhost/desk", "chat");
      await pause(200);
      assert.equal(b.received.filter(isPresence).length, 0);
      await nonza(b, `<active xmlns='${NS_CSI}'/>`);
      const p = await b.expect(isPresence, "the held presence");
      assert.equal(p.getChildText("show"), "chat");
      presenceTo(t, "alice@localhost/desk", "dnd");
      await b.expect((e) => isPresence(e) && e.getChildText("show") === "dnd", "active again");
      a.close();
      b.close();
    } finally {
      await t.stop();
    }
  });

  it("more held stanzas than csi.max-held are all sent", async () => {
    const { t, a, b } = await setup({ "csi.max-held": "3" });
    try {
      await nonza(b, `<inactive xmlns='${NS_CSI}'/>`);
      for (const who of ["a", "c", "d"]) presenceTo(t, `${who}@localhost/r`, "away");
      await pause(200);
      assert.equal(b.received.filter(isPresence).length, 0, "three fit");
      presenceTo(t, "e@localhost/r", "away");
      for (const who of ["a", "c", "d", "e"])
        await b.expect((e) => isPresence(e) && e.attr("from") === `${who}@localhost/r`, who);
      a.close();
      b.close();
    } finally {
      await t.stop();
    }
  });

  it("with stream management, held stanzas are not counted as sent until they are written", async () => {
    const { t, a, b } = await setup();
    try {
      await b.enableSm(false);
      await nonza(b, `<inactive xmlns='${NS_CSI}'/>`);
      presenceTo(t, "alice@localhost/desk", "away");
      presenceTo(t, "carol@localhost/home", "away");
      // One stanza was written: the pong. The two held presences do not count.
      b.send(`<a xmlns='${NS_SM}' h='${b.handled}'/>`);
      await nonza(b, `<active xmlns='${NS_CSI}'/>`);
      await b.expect((e) => isPresence(e) && e.attr("from") === "carol@localhost/home", "carol");
      assert.equal(b.handled, 4, "two pongs and two presences");
      b.send(`<a xmlns='${NS_SM}' h='${b.handled + 1}'/>`);
      const err = await b.expect((e) => e.name === "error" && e.xmlns === NS_STREAM, "error");
      const too = err.getChild("handled-count-too-high", NS_SM);
      assert.equal(too?.attr("send-count"), "4");
      a.close();
    } finally {
      await t.stop();
    }
  });

  it("a stanza held while inactive is not counted: acking it before it was written is too high", async () => {
    const { t, a, b } = await setup();
    try {
      await b.enableSm(false);
      await nonza(b, `<inactive xmlns='${NS_CSI}'/>`);
      presenceTo(t, "alice@localhost/desk", "away");
      b.send(`<a xmlns='${NS_SM}' h='2'/>`);
      const err = await b.expect((e) => e.name === "error" && e.xmlns === NS_STREAM, "error");
      assert.equal(err.getChild("handled-count-too-high", NS_SM)?.attr("send-count"), "1");
      a.close();
    } finally {
      await t.stop();
    }
  });
});
