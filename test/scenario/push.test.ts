// XEP-0357 transcripts: bob enables push; messages that arrive while no session of his is awake
// reach his push service, a component attached through XEP-0114, without their bodies.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type Element, NS_DISCO_INFO, NS_STANZAS_ERR, serialize } from "@hato/xml";
import { ComponentClient } from "../support/component.js";
import { freePort, RawClient, startServer, type TestServer } from "../support/inproc.js";
import { startTcpProxy } from "../support/tcp-proxy.js";

const SECRET = "push-component-secret";
const NS_PUSH = "urn:xmpp:push:0";
const NS_PUBSUB = "http://jabber.org/protocol/pubsub";
const quiet = () => new Promise((r) => setTimeout(r, 200));

/** Polls until `pred` holds (no timing threshold: only a generous deadline for a hang). */
async function until(pred: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const isNotification = (e: Element) =>
  e.name === "iq" && e.getChild("pubsub", NS_PUBSUB) !== undefined;

/** The summary form's fields of a notification IQ, by name. */
function summary(iq: Element): Record<string, string | undefined> {
  const form = iq
    .getChild("pubsub", NS_PUBSUB)
    ?.getChild("publish")
    ?.getChild("item")
    ?.getChild("notification", NS_PUSH)
    ?.getChild("x", "jabber:x:data");
  assert.ok(form, "a notification carries a summary form");
  assert.equal(form.attr("type"), "form");
  const out: Record<string, string | undefined> = {};
  for (const f of form.getChildren("field")) out[f.attr("var")!] = f.getChildText("value");
  return out;
}

const enable = (node: string, extra = "") =>
  `<iq type='set' id='en-${node}'><enable xmlns='${NS_PUSH}' jid='push.localhost' node='${node}'>${extra}</enable></iq>`;
const OPTIONS =
  "<x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE'><value>http://jabber.org/protocol/pubsub#publish-options</value></field><field var='secret'><value>app-server-token</value></field></x>";

async function setup(flags: Record<string, string> = {}) {
  const t = await startServer({
    "component-port": String(await freePort()),
    components: `push.localhost=${SECRET}`,
    ...flags,
  });
  await t.addUser("alice", "pw-a");
  await t.addUser("bob", "pw-b");
  const push = await ComponentClient.connect(t.componentPort, "push.localhost", SECRET);
  const alice = (await RawClient.login(t, "alice", "pw-a", "desk")).client;
  return { t, push, alice };
}

/** bob logs in, runs `steps`, and logs out again. */
async function asBob(t: TestServer, steps: (bob: RawClient) => Promise<void>, presence = true) {
  const bob = (await RawClient.login(t, "bob", "pw-b", "phone", presence)).client;
  await steps(bob);
  bob.close();
  await quiet();
}

async function bobEnables(t: TestServer, node: string, extra = ""): Promise<void> {
  await asBob(t, async (bob) => {
    bob.send(enable(node, extra));
    const r = await bob.expect((e) => e.attr("id") === `en-${node}`);
    assert.equal(r.attr("type"), "result");
  });
}

describe("XEP-0357 push notifications", () => {
  let t: TestServer;
  let push: ComponentClient;
  let alice: RawClient;
  before(async () => {
    ({ t, push, alice } = await setup());
  });
  after(async () => {
    push.close();
    alice.close();
    await t.stop();
  });

  it("bob's own bare JID advertises urn:xmpp:push:0; alice asking about bob learns nothing", async () => {
    await asBob(t, async (bob) => {
      bob.send(`<iq type='get' to='bob@localhost' id='d1'><query xmlns='${NS_DISCO_INFO}'/></iq>`);
      const r = await bob.expect((e) => e.attr("id") === "d1");
      const q = r.getChild("query", NS_DISCO_INFO)!;
      assert.ok(q.getChildren("feature").some((f) => f.attr("var") === NS_PUSH));
      assert.equal(q.getChild("identity")?.attr("category"), "account");
    });
    alice.send(`<iq type='get' to='bob@localhost' id='d2'><query xmlns='${NS_DISCO_INFO}'/></iq>`);
    const r = await alice.expect((e) => e.attr("id") === "d2");
    assert.ok(r.getChild("error")?.getChild("service-unavailable", NS_STANZAS_ERR));
  });

  it("bob enables push and goes offline; alice's message reaches the push service as a summary without its body", async () => {
    await bobEnables(t, "node-1", OPTIONS);
    alice.send(
      "<message to='bob@localhost' type='chat' id='m1'><body>the secret plans</body></message>",
    );
    const iq = await push.expect(isNotification, "notification");
    assert.equal(iq.attr("type"), "set");
    assert.equal(iq.attr("from"), "localhost");
    assert.equal(iq.attr("to"), "push.localhost");
    const pubsub = iq.getChild("pubsub", NS_PUBSUB)!;
    assert.equal(pubsub.getChild("publish")?.attr("node"), "node-1");
    assert.deepEqual(summary(iq), {
      FORM_TYPE: "urn:xmpp:push:summary",
      "message-count": "1",
      "last-message-sender": "alice@localhost",
    });
    assert.ok(!serialize(iq).includes("secret plans"), "the body never leaves the server");
    const options = pubsub.getChild("publish-options")?.getChild("x", "jabber:x:data");
    const secret = options?.getChildren("field").find((f) => f.attr("var") === "secret");
    assert.equal(secret?.getChildText("value"), "app-server-token");
    push.send(`<iq type='result' from='push.localhost' to='localhost' id='${iq.attr("id")}'/>`);

    alice.send("<message to='bob@localhost' type='chat' id='m2'><body>and more</body></message>");
    assert.equal(summary(await push.expect(isNotification))["message-count"], "2");
    push.send(`<iq type='result' from='push.localhost' to='localhost' id='x'/>`);
  });

  it("typing notifications and receipts wake nobody; an OMEMO message without a body does", async () => {
    alice.send(
      "<message to='bob@localhost' type='chat'><composing xmlns='http://jabber.org/protocol/chatstates'/></message>",
    );
    alice.send(
      "<message to='bob@localhost'><received xmlns='urn:xmpp:receipts' id='m1'/></message>",
    );
    await quiet();
    assert.ok(!push.received.some(isNotification));
    alice.send(
      "<message to='bob@localhost' type='chat'><encrypted xmlns='eu.siacs.conversations.axolotl'><header sid='1'/></encrypted></message>",
    );
    assert.equal(summary(await push.expect(isNotification))["message-count"], "3");
  });

  it("while bob is online and active nothing is pushed; after he was online the count starts over", async () => {
    await asBob(t, async (bob) => {
      // the stored messages arrive, and bob is awake
      await bob.expect((e) => e.attr("id") === "m2");
      alice.send(
        "<message to='bob@localhost' type='chat' id='m3'><body>you there?</body></message>",
      );
      await bob.expect((e) => e.attr("id") === "m3");
      await quiet();
      assert.ok(!push.received.some(isNotification));
    });
    alice.send("<message to='bob@localhost' type='chat' id='m4'><body>gone again</body></message>");
    assert.equal(summary(await push.expect(isNotification))["message-count"], "1");
  });

  it("a session that is bound but never sent presence is not awake: bob is notified", async () => {
    await asBob(
      t,
      async () => {
        alice.send("<message to='bob@localhost' type='chat' id='m5'><body>hello?</body></message>");
        assert.ok(await push.expect(isNotification));
      },
      false,
    );
  });

  it("bob's connection dies with stream management resumable: his hibernated session is not awake, so he is notified; after resuming the count starts over", async () => {
    const proxy = await startTcpProxy(t.c2sPort);
    try {
      const bob = (await RawClient.login(t, "bob", "pw-b", "phone", true, proxy.port)).client;
      bob.autoAck = true;
      const id = (await bob.enableSm()).attr("id")!;
      const session = t.server.sessions.get("bob", "phone")!;
      await quiet(); // stored messages from earlier tests reach bob and are acknowledged
      alice.send(
        "<message to='bob@localhost/phone' type='chat' id='m6'><body>awake?</body></message>",
      );
      await bob.expect((e) => e.attr("id") === "m6", "m6");
      proxy.cut("reset");
      await until(() => session.hibernated, "bob's session hibernates");
      alice.send(
        "<message to='bob@localhost/phone' type='chat' id='m7'><body>wake up</body></message>",
      );
      assert.equal(summary(await push.expect(isNotification))["message-count"], "1");
      alice.send(
        "<message to='bob@localhost/phone' type='chat' id='m8'><body>hello?</body></message>",
      );
      assert.equal(summary(await push.expect(isNotification))["message-count"], "2");

      // The push woke the phone: it resumes and gets both; awake, it is not pushed.
      const back = await RawClient.resume(t, "bob", "pw-b", id, bob.handled, proxy.port);
      assert.equal(back.answer.name, "resumed");
      back.client.autoAck = true;
      await back.client.expect((e) => e.attr("id") === "m8", "m8");
      alice.send("<message to='bob@localhost' type='chat' id='m9'><body>good</body></message>");
      await back.client.expect((e) => e.attr("id") === "m9", "m9");
      await quiet();
      assert.ok(!push.received.some(isNotification), "no push while bob is awake");

      // Asleep again: the count starts from 1, not from where it was before he resumed.
      proxy.cut("reset");
      await until(() => session.hibernated, "bob's session hibernates again");
      alice.send(
        "<message to='bob@localhost/phone' type='chat' id='m10'><body>again</body></message>",
      );
      assert.equal(summary(await push.expect(isNotification))["message-count"], "1");
      const last = await RawClient.resume(t, "bob", "pw-b", id, back.client.handled, proxy.port);
      assert.equal(last.answer.name, "resumed");
      await last.client.expect((e) => e.attr("id") === "m10", "m10");
      // Acknowledged, so nothing is routed again (and pushed) when bob logs out.
      last.client.send(`<a xmlns='urn:xmpp:sm:3' h='${last.client.handled}'/>`);
      last.client.send("</stream:stream>");
      await last.client.expectClosed();
      await until(() => t.server.sessions.get("bob", "phone") === undefined, "bob logged out");
    } finally {
      await proxy.close();
    }
  });

  it("bob disables push: nothing more reaches the service", async () => {
    await asBob(t, async (bob) => {
      bob.send(`<iq type='set' id='dis'><disable xmlns='${NS_PUSH}' jid='push.localhost'/></iq>`);
      assert.equal((await bob.expect((e) => e.attr("id") === "dis")).attr("type"), "result");
    });
    alice.send("<message to='bob@localhost' type='chat'><body>still there?</body></message>");
    await quiet();
    assert.ok(!push.received.some(isNotification));
  });

  it("the push service answers with an error: the registration is dropped (a wait error keeps it)", async () => {
    await bobEnables(t, "node-2");
    alice.send("<message to='bob@localhost' type='chat'><body>one</body></message>");
    let iq = await push.expect(isNotification);
    push.send(
      `<iq type='error' from='push.localhost' to='localhost' id='${iq.attr("id")}'><error type='wait'><resource-constraint xmlns='${NS_STANZAS_ERR}'/></error></iq>`,
    );
    await quiet();
    alice.send("<message to='bob@localhost' type='chat'><body>two</body></message>");
    iq = await push.expect(isNotification);
    push.send(
      `<iq type='error' from='push.localhost' to='localhost' id='${iq.attr("id")}'><error type='cancel'><item-not-found xmlns='${NS_STANZAS_ERR}'/></error></iq>`,
    );
    await quiet();
    assert.deepEqual(await t.storage.kv.keys("push", "bob"), []);
    alice.send("<message to='bob@localhost' type='chat'><body>three</body></message>");
    await quiet();
    assert.ok(!push.received.some(isNotification));
  });

  it("bad enable requests get clear errors; nobody else can enable push for bob", async () => {
    await asBob(t, async (bob) => {
      const ask = async (payload: string, id: string) => {
        bob.send(`<iq type='set' id='${id}'>${payload}</iq>`);
        const r = await bob.expect((e) => e.attr("id") === id);
        assert.equal(r.attr("type"), "error");
        const err = r.getChild("error")!;
        return {
          condition: err.elements().find((c) => c.name !== "text")!.name,
          text: err.getChildText("text", NS_STANZAS_ERR) ?? "",
        };
      };
      let e = await ask(`<enable xmlns='${NS_PUSH}' node='n'/>`, "b1");
      assert.equal(e.condition, "bad-request");
      assert.match(e.text, /jid/);
      e = await ask(`<enable xmlns='${NS_PUSH}' jid='push.localhost'/>`, "b2");
      assert.equal(e.condition, "bad-request");
      assert.match(e.text, /node/);
      e = await ask(`<enable xmlns='${NS_PUSH}' jid='a@b@c' node='n'/>`, "b3");
      assert.equal(e.condition, "jid-malformed");
      e = await ask(`<enable xmlns='${NS_PUSH}' jid='alice@localhost' node='n'/>`, "b6");
      assert.equal(e.condition, "not-acceptable");
      assert.match(e.text, /domain of its own/);
      e = await ask(
        `<enable xmlns='${NS_PUSH}' jid='push.localhost' node='n'><x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE'><value>urn:other</value></field></x></enable>`,
        "b4",
      );
      assert.equal(e.condition, "bad-request");
      assert.match(e.text, /publish-options/);
      e = await ask(
        `<enable xmlns='${NS_PUSH}' jid='push.localhost' node='${"n".repeat(1025)}'/>`,
        "b5",
      );
      assert.equal(e.condition, "bad-request");
    });
    alice.send(
      `<iq type='set' to='bob@localhost' id='steal'><enable xmlns='${NS_PUSH}' jid='push.localhost' node='mine'/></iq>`,
    );
    const r = await alice.expect((e) => e.attr("id") === "steal");
    assert.ok(r.getChild("error")?.getChild("forbidden", NS_STANZAS_ERR));
    assert.deepEqual(await t.storage.kv.keys("push", "bob"), []);
  });
});

describe("XEP-0357 limits and settings", () => {
  it("a flood of messages becomes at most push.notifications-per-minute notifications, with the true count", async () => {
    const { t, push, alice } = await setup({ "push.notifications-per-minute": "2" });
    await bobEnables(t, "flood");
    for (let i = 1; i <= 5; i++)
      alice.send(`<message to='bob@localhost' type='chat'><body>spam ${i}</body></message>`);
    assert.equal(summary(await push.expect(isNotification))["message-count"], "1");
    assert.equal(summary(await push.expect(isNotification))["message-count"], "2");
    await quiet();
    assert.ok(!push.received.some(isNotification), "the other three are only counted");
    push.close();
    alice.close();
    await t.stop();
  });

  it("push.max-registrations caps the services of one account; re-enabling one updates it", async () => {
    const { t, push, alice } = await setup({ "push.max-registrations": "2" });
    await bobEnables(t, "a");
    await bobEnables(t, "b");
    await bobEnables(t, "a", OPTIONS); // the same jid and node: an update, not a third
    await asBob(t, async (bob) => {
      bob.send(enable("c"));
      const r = await bob.expect((e) => e.attr("id") === "en-c");
      const err = r.getChild("error")!;
      assert.ok(err.getChild("policy-violation", NS_STANZAS_ERR));
      assert.match(err.getChildText("text", NS_STANZAS_ERR) ?? "", /at most 2/);
    });
    alice.send("<message to='bob@localhost' type='chat'><body>x</body></message>");
    const nodes = [
      (await push.expect(isNotification))
        .getChild("pubsub", NS_PUBSUB)!
        .getChild("publish")!
        .attr("node"),
      (await push.expect(isNotification))
        .getChild("pubsub", NS_PUBSUB)!
        .getChild("publish")!
        .attr("node"),
    ].sort();
    assert.deepEqual(nodes, ["a", "b"]);
    push.close();
    alice.close();
    await t.stop();
  });

  it("with push.include-body the body goes along as last-message-body", async () => {
    const { t, push, alice } = await setup({ "push.include-body": "true" });
    await bobEnables(t, "n");
    alice.send("<message to='bob@localhost' type='chat'><body>see you at 8</body></message>");
    assert.equal(summary(await push.expect(isNotification))["last-message-body"], "see you at 8");
    push.close();
    alice.close();
    await t.stop();
  });
});
