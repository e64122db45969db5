// XEP-0191 transcripts: blocklist, pushes, enforcement in both directions, presence on (un)block.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type HatoModule, Priority } from "@hato/core";
import { openMemoryStorage } from "@hato/storage";
import { type Element, NS_DISCO_INFO } from "@hato/xml";
import { RawClient, startServer, type TestServer } from "../support/inproc.js";
import { ask, condition, errorText, normalised, pause } from "../support/stanzas.js";

const NS = "urn:xmpp:blocking";
const NS_ERRORS = "urn:xmpp:blocking:errors";

/** Stands in for the presence module: delivers directed presence so tests can watch it. */
const presenceDelivery: HatoModule = {
  name: "test-presence-delivery",
  load(api) {
    api.hook(
      "presence/bare",
      (ev) => {
        for (const s of api.sessions.ofUser(ev.to.local)) if (s.available) s.send(ev.stanza);
        return true;
      },
      Priority.FALLBACK,
    );
    api.hook(
      "presence/full",
      (ev) => {
        api.sessions.get(ev.to.local, ev.to.resource)?.send(ev.stanza);
        return true;
      },
      Priority.FALLBACK,
    );
  },
};

function block(client: RawClient, id: string, ...jids: string[]): Promise<Element> {
  const items = jids.map((j) => `<item jid='${j}'/>`).join("");
  return ask(client, id, `<iq type='set' id='${id}'><block xmlns='${NS}'>${items}</block></iq>`);
}

function unblock(client: RawClient, id: string, ...jids: string[]): Promise<Element> {
  const items = jids.map((j) => `<item jid='${j}'/>`).join("");
  return ask(
    client,
    id,
    `<iq type='set' id='${id}'><unblock xmlns='${NS}'>${items}</unblock></iq>`,
  );
}

async function blocklist(client: RawClient, id: string): Promise<string[]> {
  const res = await ask(client, id, `<iq type='get' id='${id}'><blocklist xmlns='${NS}'/></iq>`);
  assert.equal(res.attr("type"), "result");
  return res
    .getChild("blocklist", NS)!
    .getChildren("item", NS)
    .map((i) => i.attr("jid")!);
}

describe("XEP-0191 blocking command", () => {
  let t: TestServer;
  before(async () => {
    t = await startServer(
      { "blocking.max-items": "4", "blocking.items-per-request": "3" },
      undefined,
      [presenceDelivery],
    );
    for (const u of ["alice", "bob", "carol", "dave"]) await t.addUser(u, `pw-${u}`);
  });
  after(() => t.stop());

  it("the server announces urn:xmpp:blocking; a new account's blocklist is empty", async () => {
    const { client } = await RawClient.login(t, "dave", "pw-dave");
    const info = await ask(
      client,
      "d1",
      `<iq type='get' id='d1' to='localhost'><query xmlns='${NS_DISCO_INFO}'/></iq>`,
    );
    const features = info
      .getChild("query", NS_DISCO_INFO)!
      .getChildren("feature")
      .map((f) => f.attr("var"));
    assert.ok(features.includes(NS));
    assert.deepEqual(await blocklist(client, "l1"), []);
    client.close();
  });

  it("alice blocks bob: every session that asked for the blocklist gets the push, the others not", async () => {
    const desk = await RawClient.login(t, "alice", "pw-alice", "desk");
    const tablet = await RawClient.login(t, "alice", "pw-alice", "tablet");
    const phone = await RawClient.login(t, "alice", "pw-alice", "phone");
    await blocklist(desk.client, "l1");
    await blocklist(tablet.client, "l2");
    const res = await block(desk.client, "b1", "Bob@LOCALHOST");
    assert.equal(res.attr("type"), "result");
    for (const s of [desk, tablet]) {
      const push = await s.client.expect((e) => e.getChild("block", NS) !== undefined, "push");
      assert.equal(push.attr("type"), "set");
      assert.equal(push.attr("from"), "alice@localhost");
      assert.equal(push.attr("to"), s.jid);
      assert.deepEqual(
        push
          .getChild("block", NS)!
          .getChildren("item", NS)
          .map((i) => i.attr("jid")),
        ["bob@localhost"],
      );
      s.client.send(`<iq type='result' id='${push.attr("id")}'/>`);
    }
    await pause();
    assert.ok(!phone.client.received.some((e) => e.getChild("block", NS)));
    assert.deepEqual(await blocklist(phone.client, "l3"), ["bob@localhost"]);
    // Blocking again changes nothing.
    assert.equal((await block(desk.client, "b2", "bob@localhost")).attr("type"), "result");
    assert.deepEqual(await blocklist(desk.client, "l4"), ["bob@localhost"]);
    for (const s of [desk, tablet, phone]) s.client.close();
  });

  it("what bob gets from alice, who blocks him, is what an account that does not exist answers", async () => {
    const alice = await RawClient.login(t, "alice", "pw-alice", "desk");
    const bob = await RawClient.login(t, "bob", "pw-bob", "home");
    // Alice has a vCard, so an unblocked vCard request would get it.
    const stored = await ask(
      alice.client,
      "v1",
      "<iq type='set' id='v1'><vCard xmlns='vcard-temp'><FN>Alice</FN></vCard></iq>",
    );
    assert.equal(stored.attr("type"), "result");
    const probes: [string, (to: string, id: string) => string][] = [
      [
        "chat to the bare JID",
        (to, id) => `<message type='chat' to='${to}' id='${id}'><body>hi</body></message>`,
      ],
      [
        "normal to a full JID",
        (to, id) => `<message to='${to}/desk' id='${id}'><body>hi</body></message>`,
      ],
      [
        "groupchat to the bare JID",
        (to, id) => `<message type='groupchat' to='${to}' id='${id}'><body>x</body></message>`,
      ],
      [
        "groupchat to a full JID",
        (to, id) => `<message type='groupchat' to='${to}/desk' id='${id}'><body>x</body></message>`,
      ],
      [
        "vCard request",
        (to, id) => `<iq type='get' to='${to}' id='${id}'><vCard xmlns='vcard-temp'/></iq>`,
      ],
      [
        "unknown IQ to the bare JID",
        (to, id) => `<iq type='set' to='${to}' id='${id}'><q xmlns='urn:example:q'><x/></q></iq>`,
      ],
      [
        "ping to a full JID",
        (to, id) => `<iq type='get' to='${to}/desk' id='${id}'><ping xmlns='urn:xmpp:ping'/></iq>`,
      ],
    ];
    let n = 0;
    for (const [what, make] of probes) {
      n++;
      const blocked = await ask(bob.client, `a${n}`, make("alice@localhost", `a${n}`));
      const missing = await ask(bob.client, `n${n}`, make("nobody@localhost", `n${n}`));
      assert.equal(blocked.attr("type"), "error", what);
      assert.equal(condition(blocked), "service-unavailable", what);
      assert.equal(normalised(blocked), normalised(missing), what);
      assert.equal(blocked.attr("from")?.startsWith("alice@localhost"), true, what);
    }
    // Headlines, presence and IQ results vanish, for a missing account as for a blocking one.
    bob.client.send(
      "<message type='headline' to='alice@localhost' id='h1'><body>news</body></message>",
    );
    bob.client.send(
      "<message type='headline' to='nobody@localhost' id='h2'><body>news</body></message>",
    );
    bob.client.send("<presence to='alice@localhost/desk' id='p1'/>");
    bob.client.send("<presence type='subscribe' to='alice@localhost' id='p2'/>");
    bob.client.send("<iq type='result' to='alice@localhost/desk' id='r1'/>");
    // Control: the same presence from carol does arrive, so the silence above is the block.
    const carol = await RawClient.login(t, "carol", "pw-carol", "c");
    carol.client.send("<presence to='alice@localhost/desk' id='p3'/>");
    await alice.client.expect((e) => e.attr("id") === "p3", "carol's presence");
    await pause();
    for (const id of ["a1", "a2", "a3", "a4", "a5", "a6", "a7", "h1", "p1", "p2", "r1"]) {
      assert.ok(!alice.client.received.some((e) => e.attr("id") === id), `${id} reached alice`);
    }
    assert.ok(!bob.client.received.some((e) => ["h1", "h2", "p1", "p2"].includes(e.attr("id")!)));
    assert.equal(await t.storage.offline.count("alice"), 0, "nothing from bob was stored");
    for (const c of [alice, bob, carol]) c.client.close();
  });

  it("alice's own messages and IQs to bob get not-acceptable with <blocked/>; bob gets nothing", async () => {
    const alice = await RawClient.login(t, "alice", "pw-alice", "desk");
    const bob = await RawClient.login(t, "bob", "pw-bob", "home");
    const m = await ask(
      alice.client,
      "o1",
      "<message type='chat' to='bob@localhost' id='o1'><body>hi</body></message>",
    );
    const q = await ask(
      alice.client,
      "o2",
      "<iq type='get' to='bob@localhost/home' id='o2'><ping xmlns='urn:xmpp:ping'/></iq>",
    );
    for (const el of [m, q]) {
      assert.equal(el.attr("type"), "error");
      assert.equal(condition(el), "not-acceptable");
      assert.equal(el.getChild("error")?.attr("type"), "modify");
      assert.ok(el.getChild("error")?.getChild("blocked", NS_ERRORS), "blocked element");
      assert.match(errorText(el) ?? "", /blocked/);
    }
    alice.client.send("<presence to='bob@localhost/home' id='o3'/>");
    await pause();
    assert.ok(!bob.client.received.some((e) => ["o1", "o2", "o3"].includes(e.attr("id")!)));
    // The server itself stays reachable.
    const ping = await ask(
      alice.client,
      "o4",
      "<iq type='get' to='localhost' id='o4'><ping xmlns='urn:xmpp:ping'/></iq>",
    );
    assert.equal(ping.attr("type"), "result");
    alice.client.close();
    bob.client.close();
  });

  it("unblocking bob lets his messages through again; unblocking what is not blocked is fine", async () => {
    const alice = await RawClient.login(t, "alice", "pw-alice", "desk");
    await blocklist(alice.client, "l1");
    const bob = await RawClient.login(t, "bob", "pw-bob", "home");
    assert.equal((await unblock(alice.client, "u1", "bob@localhost")).attr("type"), "result");
    const push = await alice.client.expect((e) => e.getChild("unblock", NS) !== undefined);
    assert.deepEqual(
      push
        .getChild("unblock", NS)!
        .getChildren("item", NS)
        .map((i) => i.attr("jid")),
      ["bob@localhost"],
    );
    bob.client.send("<message type='chat' to='alice@localhost' id='m1'><body>hi</body></message>");
    await alice.client.expect((e) => e.attr("id") === "m1", "bob's message");
    assert.equal((await unblock(alice.client, "u2", "nobody@example.org")).attr("type"), "result");
    assert.deepEqual(await blocklist(alice.client, "l2"), []);
    alice.client.close();
    bob.client.close();
  });

  it("a full JID blocks one resource, a bare JID all, a domain every account on it", async () => {
    const dave = await RawClient.login(t, "dave", "pw-dave", "d");
    const carolLaptop = await RawClient.login(t, "carol", "pw-carol", "laptop");
    const carolPhone = await RawClient.login(t, "carol", "pw-carol", "phone");
    const bob = await RawClient.login(t, "bob", "pw-bob", "home");
    await block(dave.client, "b1", "carol@localhost/laptop");
    const send = (c: RawClient, id: string) =>
      c.send(`<message type='chat' to='dave@localhost/d' id='${id}'><body>x</body></message>`);
    send(carolLaptop.client, "f1");
    send(carolPhone.client, "f2");
    await dave.client.expect((e) => e.attr("id") === "f2", "from carol's phone");
    const refused = await carolLaptop.client.expect((e) => e.attr("id") === "f1");
    assert.equal(condition(refused), "service-unavailable");

    await block(dave.client, "b2", "localhost");
    send(bob.client, "f3");
    assert.equal(
      condition(await bob.client.expect((e) => e.attr("id") === "f3")),
      "service-unavailable",
    );
    // The server is never blocked, nor are dave's own other sessions.
    const ping = await ask(
      dave.client,
      "p1",
      "<iq type='get' to='localhost' id='p1'><ping xmlns='urn:xmpp:ping'/></iq>",
    );
    assert.equal(ping.attr("type"), "result");
    const dave2 = await RawClient.login(t, "dave", "pw-dave", "d2");
    send(dave2.client, "f4");
    await dave.client.expect((e) => e.attr("id") === "f4", "own message");

    // Unblock everything: an empty <unblock/>.
    assert.equal((await unblock(dave.client, "u1")).attr("type"), "result");
    assert.deepEqual(await blocklist(dave.client, "l1"), []);
    send(bob.client, "f5");
    await dave.client.expect((e) => e.attr("id") === "f5", "bob's message after unblock-all");
    for (const c of [dave, dave2, carolLaptop, carolPhone, bob]) c.client.close();
  });

  it("contacts subscribed to alice see her go offline when blocked and come back when unblocked", async () => {
    await t.storage.roster.set("alice", "bob@localhost", {
      jid: "bob@localhost",
      subscription: "from",
      groups: [],
    });
    const alice = await RawClient.login(t, "alice", "pw-alice", "desk", false);
    alice.client.send("<presence><status>at my desk</status></presence>");
    const bob = await RawClient.login(t, "bob", "pw-bob", "home");
    const carol = await RawClient.login(t, "carol", "pw-carol", "c");
    await block(alice.client, "b1", "bob@localhost", "carol@localhost");
    const fromAlice = (e: Element) =>
      e.name === "presence" && e.attr("from") === "alice@localhost/desk";
    const gone = await bob.client.expect(fromAlice, "unavailable presence");
    assert.equal(gone.attr("type"), "unavailable");
    assert.equal(gone.attr("from"), "alice@localhost/desk");
    await unblock(alice.client, "u1", "bob@localhost", "carol@localhost");
    const back = await bob.client.expect(
      (e) => fromAlice(e) && e.attr("type") === undefined,
      "presence again",
    );
    assert.equal(back.attr("type"), undefined);
    assert.equal(back.attr("from"), "alice@localhost/desk");
    assert.equal(back.getChildText("status"), "at my desk");
    await pause();
    // Carol has no subscription: she learns nothing either way.
    assert.ok(!carol.client.received.some((e) => e.name === "presence" && fromAlice(e)));
    await t.storage.roster.set("alice", "bob@localhost", undefined);
    for (const c of [alice, bob, carol]) c.client.close();
  });

  it("bad requests and limits each get their own error", async () => {
    const { client } = await RawClient.login(t, "carol", "pw-carol", "e");
    const empty = await block(client, "e1");
    assert.equal(condition(empty), "bad-request");
    const bad = await block(client, "e2", "bob@localhost", "a@b@c");
    assert.equal(condition(bad), "jid-malformed");
    assert.match(errorText(bad) ?? "", /a@b@c/);
    const noJid = await ask(
      client,
      "e3",
      `<iq type='set' id='e3'><block xmlns='${NS}'><item/></block></iq>`,
    );
    assert.equal(condition(noJid), "jid-malformed");
    const many = await block(client, "e4", "a@x.org", "b@x.org", "c@x.org", "d@x.org");
    assert.equal(condition(many), "policy-violation");
    assert.match(errorText(many) ?? "", /at most 3 items per request/);
    assert.deepEqual(await blocklist(client, "l1"), [], "nothing of a refused request is kept");
    assert.equal(
      (await block(client, "e5", "a@x.org", "b@x.org", "c@x.org")).attr("type"),
      "result",
    );
    assert.equal((await block(client, "e6", "d@x.org")).attr("type"), "result");
    const full = await block(client, "e7", "e@x.org");
    assert.equal(condition(full), "policy-violation");
    assert.match(errorText(full) ?? "", /at most 4 addresses/);
    // Someone else's blocklist: the answer a missing account gets.
    const other = await ask(
      client,
      "e8",
      `<iq type='get' to='bob@localhost' id='e8'><blocklist xmlns='${NS}'/></iq>`,
    );
    const missing = await ask(
      client,
      "e9",
      `<iq type='get' to='nobody@localhost' id='e9'><blocklist xmlns='${NS}'/></iq>`,
    );
    assert.equal(condition(other), "service-unavailable");
    assert.equal(normalised(other), normalised(missing));
    assert.equal((await unblock(client, "e10")).attr("type"), "result");
    // The push for "unblock everything" is an empty <unblock/>.
    const push = await client.expect(
      (e) => e.attr("type") === "set" && e.getChild("unblock", NS) !== undefined,
      "unblock-all push",
    );
    assert.equal(push.getChild("unblock", NS)!.children.length, 0);
    assert.deepEqual(await blocklist(client, "l2"), []);
    client.close();
  });
});

describe("XEP-0191 blocklist storage", () => {
  it("a blocklist survives a restart and is enforced from the first stanza", async () => {
    const storage = openMemoryStorage();
    let t = await startServer({}, storage);
    await t.addUser("erin", "pw-erin");
    await t.addUser("frank", "pw-frank");
    const erin = await RawClient.login(t, "erin", "pw-erin");
    await block(erin.client, "b1", "frank@localhost");
    erin.client.close();
    await t.stop();

    t = await startServer({}, storage);
    try {
      // Frank logs in first: erin's list is read from storage when his stanza needs it.
      const frank = await RawClient.login(t, "frank", "pw-frank");
      const res = await ask(
        frank.client,
        "m1",
        "<message type='chat' to='erin@localhost' id='m1'><body>hi</body></message>",
      );
      assert.equal(condition(res), "service-unavailable");
      assert.equal(await t.storage.offline.count("erin"), 0);
      const again = await RawClient.login(t, "erin", "pw-erin");
      assert.deepEqual(await blocklist(again.client, "l1"), ["frank@localhost"]);
      frank.client.close();
      again.client.close();
    } finally {
      await t.stop();
    }
  });
});
