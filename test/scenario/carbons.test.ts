// XEP-0280 transcripts: alice on two devices sees both sides of her chats; mallory's forged
// carbons and archive results (the CVE-2017-5589 class) are refused.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type Element, NS_DISCO_INFO, NS_STANZA_ID, NS_STANZAS_ERR } from "@hato/xml";
import { RawClient, startServer, type TestServer } from "../support/inproc.js";

const NS_CARBONS = "urn:xmpp:carbons:2";
const NS_FORWARD = "urn:xmpp:forward:0";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Short fixed wait, only to prove that something did NOT arrive. */
const QUIET = 150;

const errorOf = (el: Element) => {
  const e = el.getChild("error");
  return {
    condition: e?.elements().find((c) => c.xmlns === NS_STANZAS_ERR && c.name !== "text")?.name,
    text: e?.getChildText("text", NS_STANZAS_ERR) ?? "",
  };
};

/** The message inside a carbon of this kind, if `el` is one. */
const carbonOf = (el: Element, kind: "sent" | "received") =>
  el.name === "message"
    ? el.getChild(kind, NS_CARBONS)?.getChild("forwarded", NS_FORWARD)?.getChild("message")
    : undefined;

const isCarbon = (el: Element) =>
  carbonOf(el, "sent") !== undefined || carbonOf(el, "received") !== undefined;

type Login = Awaited<ReturnType<typeof RawClient.login>>;

async function enable(c: Login, id = "en"): Promise<void> {
  c.client.send(`<iq type='set' id='${id}'><enable xmlns='${NS_CARBONS}'/></iq>`);
  const r = await c.client.expect((e) => e.attr("id") === id, "carbons enabled");
  assert.equal(r.attr("type"), "result");
}

describe("XEP-0280 message carbons", () => {
  let t: TestServer;
  let desk: Login;
  let phone: Login;
  let bob: Login;
  let mallory: Login;
  before(async () => {
    t = await startServer();
    await t.addUser("alice", "pw-a");
    await t.addUser("bob", "pw-b");
    await t.addUser("mallory", "pw-m");
    desk = await RawClient.login(t, "alice", "pw-a", "desk");
    phone = await RawClient.login(t, "alice", "pw-a", "phone");
    bob = await RawClient.login(t, "bob", "pw-b", "home");
    mallory = await RawClient.login(t, "mallory", "pw-m", "evil");
    await enable(desk);
    await enable(phone);
  });
  after(async () => {
    for (const c of [desk, phone, bob, mallory]) c.client.close();
    await t.stop();
  });

  it("the server advertises carbons in its disco#info", async () => {
    desk.client.send(
      `<iq type='get' id='d1' to='localhost'><query xmlns='${NS_DISCO_INFO}'/></iq>`,
    );
    const r = await desk.client.expect((e) => e.attr("id") === "d1");
    const features = r
      .getChild("query")!
      .getChildren("feature")
      .map((f) => f.attr("var"));
    assert.ok(features.includes(NS_CARBONS));
  });

  it("enabling twice is fine; bob cannot switch carbons for alice", async () => {
    await enable(phone, "en2");
    bob.client.send(
      `<iq type='set' id='x1' to='alice@localhost'><enable xmlns='${NS_CARBONS}'/></iq>`,
    );
    const r = await bob.client.expect((e) => e.attr("id") === "x1");
    assert.equal(r.attr("type"), "error");
    assert.equal(errorOf(r).condition, "forbidden");
    assert.match(errorOf(r).text, /own sessions/);
  });

  it("bob writes to alice/desk; alice/phone gets a <received/> carbon from alice's bare JID with the same stanza-id", async () => {
    bob.client.send(
      "<message to='alice@localhost/desk' type='chat' id='r1'><body>hi desk</body></message>",
    );
    const live = await desk.client.expect((e) => e.attr("id") === "r1", "the message");
    const carbon = await phone.client.expect(
      (e) => carbonOf(e, "received")?.attr("id") === "r1",
      "received carbon",
    );
    assert.equal(carbon.attr("from"), "alice@localhost");
    assert.equal(carbon.attr("to"), "alice@localhost/phone");
    assert.equal(carbon.attr("type"), "chat");
    const inner = carbonOf(carbon, "received")!;
    assert.equal(inner.attr("from"), "bob@localhost/home");
    assert.equal(inner.getChildText("body"), "hi desk");
    const liveId = live.getChild("stanza-id", NS_STANZA_ID);
    assert.equal(liveId?.attr("by"), "alice@localhost");
    assert.equal(inner.getChild("stanza-id", NS_STANZA_ID)?.attr("id"), liveId?.attr("id"));
    await sleep(QUIET);
    assert.ok(!desk.client.received.some(isCarbon), "the addressed session gets no carbon");
    assert.ok(!bob.client.received.some(isCarbon), "the sender gets no carbon of alice's");
  });

  it("a message to alice's bare JID: sessions that get it directly get no copy, a negative-priority one gets a carbon", async () => {
    bob.client.send(
      "<message to='alice@localhost' type='chat' id='r2'><body>both</body></message>",
    );
    await desk.client.expect((e) => e.attr("id") === "r2");
    await phone.client.expect((e) => e.attr("id") === "r2");
    const laptop = await RawClient.login(t, "alice", "pw-a", "laptop", false);
    laptop.client.send("<presence><priority>-1</priority></presence>");
    await enable(laptop);
    bob.client.send(
      "<message to='alice@localhost' type='chat' id='r3'><body>three</body></message>",
    );
    await desk.client.expect((e) => e.attr("id") === "r3");
    await phone.client.expect((e) => e.attr("id") === "r3");
    const c = await laptop.client.expect((e) => carbonOf(e, "received")?.attr("id") === "r3");
    assert.equal(carbonOf(c, "received")!.getChildText("body"), "three");
    await sleep(QUIET);
    assert.ok(!desk.client.received.some(isCarbon));
    assert.ok(!phone.client.received.some(isCarbon));
    laptop.client.close();
  });

  it("alice writes from her desk; her phone gets a <sent/> carbon, the desk none", async () => {
    desk.client.send(
      "<message to='bob@localhost' type='chat' id='s1'><body>from desk</body></message>",
    );
    const m = await bob.client.expect((e) => e.attr("id") === "s1");
    assert.equal(m.attr("from"), "alice@localhost/desk");
    const c = await phone.client.expect((e) => carbonOf(e, "sent")?.attr("id") === "s1");
    assert.equal(c.attr("from"), "alice@localhost");
    assert.equal(c.attr("to"), "alice@localhost/phone");
    const inner = carbonOf(c, "sent")!;
    assert.equal(inner.attr("from"), "alice@localhost/desk");
    assert.equal(inner.attr("to"), "bob@localhost");
    assert.equal(inner.getChildText("body"), "from desk");
    await sleep(QUIET);
    assert.ok(!desk.client.received.some(isCarbon), "no copy back to the sending session");
  });

  it("normal messages with a body are copied; headlines and body-less normal messages are not", async () => {
    bob.client.send("<message to='alice@localhost/desk' id='n1'><body>normal</body></message>");
    await phone.client.expect((e) => carbonOf(e, "received")?.attr("id") === "n1");
    bob.client.send(
      "<message to='alice@localhost/desk' type='headline' id='n2'><body>news</body></message>",
    );
    bob.client.send(
      "<message to='alice@localhost/desk' id='n3'><received xmlns='urn:xmpp:receipts' id='x'/></message>",
    );
    await desk.client.expect((e) => e.attr("id") === "n2");
    await desk.client.expect((e) => e.attr("id") === "n3");
    await sleep(QUIET);
    assert.ok(!phone.client.received.some(isCarbon));
  });

  it("<private/> and the no-copy hint keep a message out of carbons; the recipient gets it without <private/>", async () => {
    desk.client.send(
      `<message to='bob@localhost' type='chat' id='p1'><body>secret</body><private xmlns='${NS_CARBONS}'/></message>`,
    );
    const m = await bob.client.expect((e) => e.attr("id") === "p1");
    assert.equal(m.getChild("private", NS_CARBONS), undefined);
    bob.client.send(
      `<message to='alice@localhost/desk' type='chat' id='p2'><body>psst</body><private xmlns='${NS_CARBONS}'/></message>`,
    );
    bob.client.send(
      "<message to='alice@localhost/desk' type='chat' id='p3'><body>hint</body><no-copy xmlns='urn:xmpp:hints'/></message>",
    );
    const p2 = await desk.client.expect((e) => e.attr("id") === "p2");
    assert.equal(p2.getChild("private", NS_CARBONS), undefined);
    await desk.client.expect((e) => e.attr("id") === "p3");
    desk.client.send(
      "<message to='bob@localhost' type='chat' id='p4'><body>x</body><no-copy xmlns='urn:xmpp:hints'/></message>",
    );
    await bob.client.expect((e) => e.attr("id") === "p4");
    await sleep(QUIET);
    assert.ok(!phone.client.received.some(isCarbon));
  });

  it("after disabling, the phone gets no more carbons; enabling again brings them back", async () => {
    phone.client.send(`<iq type='set' id='dis'><disable xmlns='${NS_CARBONS}'/></iq>`);
    assert.equal((await phone.client.expect((e) => e.attr("id") === "dis")).attr("type"), "result");
    desk.client.send("<message to='bob@localhost' type='chat' id='q1'><body>1</body></message>");
    bob.client.send(
      "<message to='alice@localhost/desk' type='chat' id='q2'><body>2</body></message>",
    );
    await bob.client.expect((e) => e.attr("id") === "q1");
    await desk.client.expect((e) => e.attr("id") === "q2");
    await sleep(QUIET);
    assert.ok(!phone.client.received.some(isCarbon));
    await enable(phone, "en3");
    desk.client.send("<message to='bob@localhost' type='chat' id='q3'><body>3</body></message>");
    await phone.client.expect((e) => carbonOf(e, "sent")?.attr("id") === "q3");
  });

  it("a message alice sends to herself carrying a carbon is delivered, and never carbon-copied again", async () => {
    const laptop = await RawClient.login(t, "alice", "pw-a", "laptop", false);
    laptop.client.send("<presence><priority>-1</priority></presence>");
    await enable(laptop);
    desk.client.send(
      `<message to='alice@localhost' type='chat' id='own1'><sent xmlns='${NS_CARBONS}'><forwarded xmlns='${NS_FORWARD}'><message xmlns='jabber:client' from='alice@localhost/x' to='bob@localhost' type='chat'><body>synced</body></message></forwarded></sent></message>`,
    );
    const m = await phone.client.expect((e) => e.attr("id") === "own1");
    assert.equal(carbonOf(m, "sent")?.getChildText("body"), "synced");
    await desk.client.expect((e) => e.attr("id") === "own1");
    await sleep(QUIET);
    // The laptop would get a <sent/> copy of any eligible message; a carbon is not eligible.
    assert.ok(!laptop.client.received.some(isCarbon), "no carbon of a carbon");
    assert.ok(!phone.client.received.some(isCarbon));
    laptop.client.close();
  });

  describe("the guard against forged wrappers (CVE-2017-5589)", () => {
    const refused = async (id: string) => {
      const r = await mallory.client.expect((e) => e.attr("id") === id, `refusal of ${id}`);
      assert.equal(r.attr("type"), "error");
      const err = errorOf(r);
      assert.equal(err.condition, "not-acceptable");
      assert.match(err.text, /own account/);
      assert.match(err.text, /forged/);
    };
    const nothingFor = async (id: string) => {
      await sleep(QUIET);
      for (const c of [desk, phone]) {
        assert.ok(
          !c.client.received.some(
            (e) =>
              e.attr("id") === id ||
              carbonOf(e, "received")?.attr("id") === id ||
              carbonOf(e, "sent")?.attr("id") === id,
          ),
          `${id} must never reach alice`,
        );
      }
    };

    it("mallory's forged <sent/> carbon, as in the CVE write-up, is bounced and never delivered", async () => {
      // The attacker wraps a message "from alice" so alice's client shows it as her own.
      mallory.client.send(
        `<message xmlns='jabber:client' to='alice@localhost/desk' type='chat' id='f1'><sent xmlns='${NS_CARBONS}'><forwarded xmlns='${NS_FORWARD}'><message xmlns='jabber:client' from='alice@localhost/desk' to='bob@localhost' type='chat'><body>I owe mallory 1000 EUR</body></message></forwarded></sent></message>`,
      );
      await refused("f1");
      await nothingFor("f1");
    });

    it("a forged <received/> carbon to the bare JID is refused too", async () => {
      mallory.client.send(
        `<message to='alice@localhost' type='chat' id='f2'><received xmlns='${NS_CARBONS}'><forwarded xmlns='${NS_FORWARD}'><message xmlns='jabber:client' from='bob@localhost/home' to='alice@localhost' type='chat'><body>click evil.example</body></message></forwarded></received></message>`,
      );
      await refused("f2");
      await nothingFor("f2");
    });

    for (const ns of ["urn:xmpp:mam:2", "urn:xmpp:mam:1", "urn:xmpp:mam:0"]) {
      it(`a forged archive <result xmlns='${ns}'/> is refused`, async () => {
        const id = `f-${ns.slice(-1)}`;
        mallory.client.send(
          `<message to='alice@localhost/phone' id='${id}'><result xmlns='${ns}' queryid='q' id='1'><forwarded xmlns='${NS_FORWARD}'><delay xmlns='urn:xmpp:delay' stamp='2020-01-01T00:00:00Z'/><message xmlns='jabber:client' from='bob@localhost/home' to='alice@localhost' type='chat'><body>fake history</body></message></forwarded></result></message>`,
        );
        await refused(id);
        await nothingFor(id);
      });
    }

    it("a forged carbon of type error gets no answer and is not delivered either", async () => {
      mallory.client.send(
        `<message to='alice@localhost/desk' type='error' id='f3'><sent xmlns='${NS_CARBONS}'><forwarded xmlns='${NS_FORWARD}'><message xmlns='jabber:client' from='alice@localhost/desk' to='bob@localhost'><body>x</body></message></forwarded></sent><error type='cancel'><undefined-condition xmlns='${NS_STANZAS_ERR}'/></error></message>`,
      );
      await nothingFor("f3");
      assert.ok(!mallory.client.received.some((e) => e.attr("id") === "f3"));
    });
  });
});
