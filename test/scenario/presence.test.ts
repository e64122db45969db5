// RFC 6121 §3-§4 subscriptions and presence, as conversations between alice, bob and carol.

import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, it } from "node:test";
import { type Element, NS_ROSTER, serialize } from "@hato/xml";
import { errorOf, iq, nothing, presenceFrom, push } from "../support/im.js";
import { RawClient, startServer, type TestServer } from "../support/inproc.js";

const GET = `<query xmlns='${NS_ROSTER}'/>`;

/** Logs in, asks for the roster (so pushes come) and sends initial presence. */
async function online(t: TestServer, user: string, resource: string): Promise<RawClient> {
  const { client } = await RawClient.login(t, user, "pw", resource, false);
  await iq(client, GET);
  client.send("<presence/>");
  // Our own presence comes back to us (§4.2.2): then the server has processed it.
  await presenceFrom(client, `${user}@localhost/${resource}`);
  return client;
}

async function subscription(t: TestServer, user: string, contact: string) {
  const i = await t.storage.roster.item(user, `${contact}@localhost`);
  return i && { subscription: i.subscription, ask: i.ask ?? false, approved: i.approved ?? false };
}

/** Lets stragglers arrive, then forgets everything received so far. */
async function drain(client: RawClient): Promise<void> {
  await new Promise((r) => setTimeout(r, 100));
  client.received.length = 0;
}

/** alice and bob see each other (both), set up through the protocol. */
async function befriend(a: RawClient, b: RawClient, aName = "alice", bName = "bob") {
  a.send(`<presence to='${bName}@localhost' type='subscribe'/>`);
  await presenceFrom(b, `${aName}@localhost`, "subscribe");
  b.send(`<presence to='${aName}@localhost' type='subscribed'/>`);
  await presenceFrom(a, `${aName === "alice" ? bName : bName}@localhost`, "subscribed");
  b.send(`<presence to='${aName}@localhost' type='subscribe'/>`);
  await presenceFrom(a, `${bName}@localhost`, "subscribe");
  a.send(`<presence to='${bName}@localhost' type='subscribed'/>`);
  await presenceFrom(b, `${aName}@localhost`, "subscribed");
}

describe("RFC 6121 presence subscriptions", () => {
  let t: TestServer;
  beforeEach(async () => {
    t = await startServer({
      "presence.subscribe-per-minute": "5",
      "presence.max-pending-requests": "2",
      "presence.max-directed": "2",
    });
    for (const u of ["alice", "bob", "carol", "dave", "erin"]) await t.addUser(u, "pw");
  });
  afterEach(() => t.stop());

  it("alice asks bob, bob approves: pushes at each step, then alice sees bob's presence", async () => {
    const a = await online(t, "alice", "desk");
    const b = await online(t, "bob", "desk");
    a.send(
      "<presence to='bob@localhost' type='subscribe' id='sub1'><status>hi, it is alice</status></presence>",
    );
    // §3.1.2: alice's roster gets bob with ask, before bob's server delivers the request.
    const p1 = await push(a);
    assert.equal(p1.item.attr("jid"), "bob@localhost");
    assert.equal(p1.item.attr("subscription"), "none");
    assert.equal(p1.item.attr("ask"), "subscribe");
    // §3.1.3: bob gets the request from alice's bare JID, extended content kept.
    const req = await presenceFrom(b, "alice@localhost", "subscribe");
    assert.equal(req.attr("from"), "alice@localhost");
    assert.equal(req.attr("to"), "bob@localhost");
    assert.equal(req.getChildText("status"), "hi, it is alice");
    await nothing(b, (e) => e.name === "iq", 50); // no roster item for a mere request
    assert.equal(await subscription(t, "bob", "alice"), undefined);

    b.send("<presence to='alice@localhost' type='subscribed'/>");
    const p2 = await push(b);
    assert.equal(p2.item.attr("subscription"), "from");
    const ok = await presenceFrom(a, "bob@localhost", "subscribed");
    assert.equal(ok.attr("from"), "bob@localhost");
    const p3 = await push(a);
    assert.equal(p3.item.attr("subscription"), "to");
    assert.equal(p3.item.attr("ask"), undefined);
    // §3.1.5: bob's current presence follows the approval.
    await presenceFrom(a, "bob@localhost/desk");
    assert.deepEqual(await subscription(t, "alice", "bob"), {
      subscription: "to",
      ask: false,
      approved: false,
    });
    assert.deepEqual(await subscription(t, "bob", "alice"), {
      subscription: "from",
      ask: false,
      approved: false,
    });

    // Back the other way: both.
    b.send("<presence to='alice@localhost' type='subscribe'/>");
    assert.equal((await push(b)).item.attr("ask"), "subscribe");
    await presenceFrom(a, "bob@localhost", "subscribe");
    a.send("<presence to='bob@localhost' type='subscribed'/>");
    assert.equal((await push(a)).item.attr("subscription"), "both");
    assert.equal((await push(b)).item.attr("subscription"), "both");
    await presenceFrom(b, "alice@localhost/desk");
    // A second subscribe to someone already subscribed is answered by bob's side with
    // subscribed (§3.1.3 rule 2), which changes nothing at alice (A.3.3): bob is not asked again.
    a.send("<presence to='bob@localhost' type='subscribe'/>");
    await nothing(b, (e) => e.attr("type") === "subscribe");
    await nothing(a, (e) => e.name === "iq");
    assert.deepEqual(await subscription(t, "alice", "bob"), {
      subscription: "both",
      ask: false,
      approved: false,
    });
    a.close();
    b.close();
  });

  it("bob denies carol; a subscribed nobody asked for is ignored", async () => {
    const b = await online(t, "bob", "desk");
    const c = await online(t, "carol", "desk");
    c.send("<presence to='bob@localhost' type='subscribe'/>");
    await push(c);
    await presenceFrom(b, "carol@localhost", "subscribe");
    // Sent to carol's full JID: handled as for her bare JID (§3.2.2), stamped bare both ways.
    b.send("<presence to='carol@localhost/desk' type='unsubscribed'/>");
    const no = await presenceFrom(c, "bob@localhost", "unsubscribed");
    assert.equal(no.attr("from"), "bob@localhost");
    assert.equal(no.attr("to"), "carol@localhost");
    const p = await push(c);
    assert.equal(p.item.attr("subscription"), "none");
    assert.equal(p.item.attr("ask"), undefined);
    assert.deepEqual(await t.storage.kv.keys("roster-pending", "bob"), []);

    // carol never asked alice: alice's "subscribed" changes nothing at carol and reaches no one.
    const a = await online(t, "alice", "desk");
    a.send("<presence to='carol@localhost' type='subscribed'/>");
    await nothing(c, (e) => e.name === "presence" || e.name === "iq");
    assert.equal(await subscription(t, "carol", "alice"), undefined);
    // ...though at alice it is a pre-approval (§3.4).
    assert.deepEqual(await subscription(t, "alice", "carol"), {
      subscription: "none",
      ask: false,
      approved: true,
    });
    a.close();
    b.close();
    c.close();
  });

  it("pre-approval: bob approves carol before she asks; her request is granted at once (§3.4)", async () => {
    const b = await online(t, "bob", "desk");
    const c = await online(t, "carol", "desk");
    b.send("<presence to='carol@localhost' type='subscribed'/>");
    const pre = await push(b);
    assert.equal(pre.item.attr("jid"), "carol@localhost");
    assert.equal(pre.item.attr("approved"), "true");
    assert.equal(pre.item.attr("subscription"), "none");
    await nothing(c, (e) => e.name === "presence");

    c.send("<presence to='bob@localhost' type='subscribe'/>");
    await push(c); // ask
    await presenceFrom(c, "bob@localhost", "subscribed");
    assert.equal((await push(c)).item.attr("subscription"), "to");
    const granted = await push(b);
    assert.equal(granted.item.attr("subscription"), "from");
    assert.equal(granted.item.attr("approved"), undefined, "the pre-approval is used up");
    await presenceFrom(c, "bob@localhost/desk");
    await nothing(b, (e) => e.attr("type") === "subscribe");

    // unsubscribed cancels a pre-approval.
    b.send("<presence to='dave@localhost' type='subscribed'/>");
    assert.equal((await push(b)).item.attr("approved"), "true");
    b.send("<presence to='dave@localhost' type='unsubscribed'/>");
    assert.equal((await push(b)).item.attr("approved"), undefined);
    b.close();
    c.close();
  });

  it("a request to offline bob waits for him and comes again at each login until answered", async () => {
    const a = await online(t, "alice", "desk");
    a.send("<presence to='bob@localhost' type='subscribe'><status>remember me</status></presence>");
    await push(a);
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(await t.storage.kv.keys("roster-pending", "bob"), ["alice@localhost"]);

    // Bound without presence: nothing yet. Initial presence: the request, once.
    const { client: b1 } = await RawClient.login(t, "bob", "pw", "phone", false);
    await nothing(b1, (e) => e.name === "presence");
    b1.send("<presence/>");
    const first = await presenceFrom(b1, "alice@localhost", "subscribe");
    assert.equal(first.getChildText("status"), "remember me");
    await nothing(b1, (e) => e.attr("type") === "subscribe");
    b1.close();
    await new Promise((r) => setTimeout(r, 100));

    const b2 = await online(t, "bob", "laptop");
    const again = await presenceFrom(b2, "alice@localhost", "subscribe");
    assert.equal(serialize(again), serialize(first), "the same stanza, kept whole");
    b2.send("<presence to='alice@localhost' type='subscribed'/>");
    await presenceFrom(a, "bob@localhost", "subscribed");
    b2.close();
    await new Promise((r) => setTimeout(r, 100));
    const b3 = await online(t, "bob", "tablet");
    await nothing(b3, (e) => e.attr("type") === "subscribe");
    a.close();
    b3.close();
  });

  it("subscription floods: too many requests a minute, too many waiting at one user", async () => {
    const a = await online(t, "alice", "desk");
    // max-pending-requests is 2 at bob: alice and carol wait, dave is refused.
    const c = await online(t, "carol", "desk");
    const d = await online(t, "dave", "desk");
    a.send("<presence to='bob@localhost' type='subscribe'/>");
    await push(a);
    c.send("<presence to='bob@localhost' type='subscribe'/>");
    await push(c);
    d.send("<presence to='bob@localhost' type='subscribe' id='flood'/>");
    const refused = await d.expect((e) => e.attr("id") === "flood");
    assert.deepEqual(errorOf(refused), {
      type: "wait",
      condition: "resource-constraint",
      text: "bob@localhost has too many unanswered subscription requests",
    });
    assert.equal(await subscription(t, "dave", "bob"), undefined, "no ask left behind");
    assert.deepEqual(await t.storage.kv.keys("roster-pending", "bob"), [
      "alice@localhost",
      "carol@localhost",
    ]);
    // A repeated request from alice takes no new place.
    a.send("<presence to='bob@localhost' type='subscribe' id='again'/>");
    await nothing(a, (e) => e.attr("id") === "again");

    // subscribe-per-minute is 5: alice has sent 2; 3 more pass, the 6th is refused.
    for (const u of ["carol", "dave", "erin"]) {
      a.send(`<presence to='${u}@localhost' type='subscribe'/>`);
      await push(a);
    }
    a.send("<presence to='nobody@localhost' type='subscribe' id='six'/>");
    const slow = await a.expect((e) => e.attr("id") === "six");
    assert.deepEqual(errorOf(slow), {
      type: "wait",
      condition: "policy-violation",
      text: "too many subscription requests: at most 5 a minute",
    });
    a.close();
    c.close();
    d.close();
  });

  it("a request to an account that does not exist is answered with unsubscribed (§8.5.1)", async () => {
    const a = await online(t, "alice", "desk");
    a.send("<presence to='nobody@localhost' type='subscribe'/>");
    assert.equal((await push(a)).item.attr("ask"), "subscribe");
    await presenceFrom(a, "nobody@localhost", "unsubscribed");
    const p = await push(a);
    assert.equal(p.item.attr("ask"), undefined);
    assert.equal(p.item.attr("subscription"), "none");
    a.close();
  });
});

describe("RFC 6121 presence broadcast, probes and directed presence", () => {
  let t: TestServer;
  beforeEach(async () => {
    t = await startServer({ "presence.max-directed": "2" });
    for (const u of ["alice", "bob", "carol", "dave"]) await t.addUser(u, "pw");
  });
  afterEach(() => t.stop());

  it("alice logs in: her probes bring both of bob's resources, and both of them see her", async () => {
    let a = await online(t, "alice", "desk");
    const b1 = await online(t, "bob", "desk");
    await befriend(a, b1);
    a.close();
    await presenceFrom(b1, "alice@localhost/desk", "unavailable");
    const b2 = await online(t, "bob", "phone");
    // bob's second resource learns of the first (own resources see each other).
    await presenceFrom(b2, "bob@localhost/desk");
    await presenceFrom(b1, "bob@localhost/phone");
    b2.send("<presence><show>away</show><priority>-1</priority></presence>");
    await presenceFrom(b1, "bob@localhost/phone");

    a = await online(t, "alice", "laptop");
    const desk = await presenceFrom(a, "bob@localhost/desk");
    const phone = await presenceFrom(a, "bob@localhost/phone");
    assert.equal(desk.attr("to"), "alice@localhost/laptop", "probe answers go to the new session");
    assert.equal(phone.getChildText("show"), "away");
    assert.equal(phone.getChildText("priority"), "-1", "negative priority is still available");
    await presenceFrom(b1, "alice@localhost/laptop");
    await presenceFrom(b2, "alice@localhost/laptop");
    a.close();
    b1.close();
    b2.close();
  });

  it("priority changes reach contacts, and messages to the bare JID follow them", async () => {
    const a = await online(t, "alice", "desk");
    const b1 = await online(t, "bob", "desk");
    await befriend(a, b1);
    const b2 = await online(t, "bob", "phone");
    await presenceFrom(a, "bob@localhost/phone");
    b2.send("<presence><priority>5</priority></presence>");
    const five = await presenceFrom(a, "bob@localhost/phone");
    assert.equal(five.getChildText("priority"), "5");
    a.send("<message to='bob@localhost' type='chat' id='m1'><body>to the phone</body></message>");
    await b2.expect((e) => e.attr("id") === "m1");
    await nothing(b1, (e) => e.attr("id") === "m1");
    b2.send("<presence><priority>-5</priority></presence>");
    assert.equal((await presenceFrom(a, "bob@localhost/phone")).getChildText("priority"), "-5");
    a.send("<message to='bob@localhost' type='chat' id='m2'><body>to the desk</body></message>");
    await b1.expect((e) => e.attr("id") === "m2");
    await nothing(b2, (e) => e.attr("id") === "m2");
    a.close();
    b1.close();
    b2.close();
  });

  it("directed presence to a stranger, then the socket dies: the stranger and the contacts get unavailable", async () => {
    const a = await online(t, "alice", "desk");
    const b = await online(t, "bob", "desk");
    await befriend(a, b);
    const c = await online(t, "carol", "desk");
    await nothing(c, (e) => e.name === "presence" && e.attr("from")?.startsWith("alice") === true);
    a.send("<presence to='carol@localhost'><show>chat</show></presence>");
    const seen = await presenceFrom(c, "alice@localhost/desk");
    assert.equal(seen.getChildText("show"), "chat");
    // carol may now address alice's session; dave, who got nothing, may not.
    const d = await online(t, "dave", "desk");
    const q = "<query xmlns='jabber:iq:version'/>";
    c.send(`<iq type='get' id='v1' to='alice@localhost/desk'>${q}</iq>`);
    const reached = await a.expect((e) => e.attr("id") === "v1");
    assert.equal(reached.attr("from"), "carol@localhost/desk");
    a.send("<iq type='result' id='v1' to='carol@localhost/desk'/>");
    await c.expect((e) => e.attr("id") === "v1");
    const denied = await iq(d, q, "type='get' to='alice@localhost/desk'");
    assert.equal(errorOf(denied).condition, "service-unavailable");

    a.socket.destroy(); // no </stream:stream>, no unavailable: the connection just dies
    const gone = await presenceFrom(c, "alice@localhost/desk", "unavailable");
    assert.equal(gone.attr("to"), "carol@localhost");
    await presenceFrom(b, "alice@localhost/desk", "unavailable");
    await nothing(d, (e) => e.name === "presence" && e.attr("from")?.startsWith("alice") === true);
    b.close();
    c.close();
    d.close();
  });

  it("a clean close and an explicit unavailable are both announced, to directed targets too", async () => {
    const a = await online(t, "alice", "desk");
    const b = await online(t, "bob", "desk");
    await befriend(a, b);
    const c = await online(t, "carol", "desk");
    b.close();
    await presenceFrom(a, "bob@localhost/desk", "unavailable");

    a.send("<presence to='carol@localhost'/>");
    await presenceFrom(c, "alice@localhost/desk");
    a.send("<presence type='unavailable'><status>gone fishing</status></presence>");
    const u = await presenceFrom(c, "alice@localhost/desk", "unavailable");
    assert.equal(u.getChildText("status"), "gone fishing");
    // After the broadcast unavailable the directed list is empty: closing sends nothing more.
    a.close();
    await nothing(c, (e) => e.name === "presence");
    c.close();
  });

  it("directed unavailable ends the tracking, and a session may direct presence to at most 2 entities", async () => {
    const a = await online(t, "alice", "desk");
    const c = await online(t, "carol", "desk");
    a.send("<presence to='carol@localhost'/>");
    await presenceFrom(c, "alice@localhost/desk");
    a.send("<presence to='carol@localhost' type='unavailable'/>");
    await presenceFrom(c, "alice@localhost/desk", "unavailable");
    a.send("<presence to='carol@localhost/desk'/>");
    a.send("<presence to='dave@localhost'/>");
    a.send("<presence to='bob@localhost' id='third'/>");
    const over = await a.expect((e) => e.attr("id") === "third");
    assert.deepEqual(errorOf(over), {
      type: "wait",
      condition: "resource-constraint",
      text: "directed presence goes to at most 2 entities per session",
    });
    a.close();
    c.close();
  });
});

describe("RFC 6121 presence privacy: a non-contact learns nothing", () => {
  let t: TestServer;
  beforeEach(async () => {
    t = await startServer();
    for (const u of ["alice", "bob", "carol"]) await t.addUser(u, "pw");
  });
  afterEach(() => t.stop());

  /** alice's roster claims she sees `contact` (a stale state the contact does not share). */
  const stale = (contact: string) =>
    t.storage.roster.set("alice", `${contact}@localhost`, {
      jid: `${contact}@localhost`,
      subscription: "to",
      groups: [],
    });
  const norm = (el: Element, name: string) =>
    serialize(el)
      .replaceAll(`${name}@localhost`, "X")
      .replace(/ver="\d+-\d+"/, 'ver="N"')
      .replace(/id="[^"]*"/, 'id="I"');

  it("probes from a non-subscriber get the same unsubscribed whether the account is missing, offline or online (§4.3.2)", async () => {
    // bob is online, carol offline, nobody does not exist; none of them lets alice see them.
    const b = await online(t, "bob", "desk");
    const a = await online(t, "alice", "desk");
    const answers: string[][] = [];
    for (const who of ["nobody", "carol", "bob"]) {
      await stale(who);
      a.send(`<presence to='${who}@localhost' type='probe'/>`);
      const unsub = await presenceFrom(a, `${who}@localhost`, "unsubscribed");
      const p = await push(a);
      answers.push([norm(unsub, who), norm(p.iq, who)]);
      await nothing(a, (e) => e.name === "presence");
    }
    assert.deepEqual(answers[0], answers[1]);
    assert.deepEqual(answers[1], answers[2]);
    assert.equal(
      answers[0]![0],
      '<presence xmlns="jabber:client" type="unsubscribed" from="X" to="alice@localhost"/>',
    );
    await nothing(b, (e) => e.name === "presence" && e.attr("from")?.startsWith("alice") === true);

    // The same without any roster item: silence in all three cases.
    for (const who of ["nobody", "carol", "bob"]) {
      await t.storage.roster.set("alice", `${who}@localhost`, undefined);
      a.send(`<presence to='${who}@localhost' type='probe'/>`);
      await nothing(a);
    }
    a.close();
    b.close();
  });

  it("a subscriber's probe gets each available resource's presence, and nothing when the contact is offline", async () => {
    const a = await online(t, "alice", "desk");
    const b = await online(t, "bob", "desk");
    await befriend(a, b);
    await drain(a);
    a.send("<presence to='bob@localhost' type='probe'/>");
    const p = await presenceFrom(a, "bob@localhost/desk");
    assert.equal(p.attr("to"), "alice@localhost/desk");
    b.close();
    await presenceFrom(a, "bob@localhost/desk", "unavailable");
    a.send("<presence to='bob@localhost' type='probe'/>");
    await nothing(a);
    a.close();
  });

  it("IQs to full JIDs from a non-contact get the same error whether the account exists and whether the session is online", async () => {
    const b = await online(t, "bob", "desk");
    const c = await online(t, "carol", "desk");
    const q = "<ping xmlns='urn:xmpp:ping'/>";
    const answers: string[] = [];
    for (const to of ["bob@localhost/desk", "bob@localhost/gone", "nobody@localhost/desk"]) {
      const err = await iq(c, q, `type='get' to='${to}'`);
      answers.push(
        serialize(err)
          .replace(to, "TO")
          .replace(/id="[^"]*"/, 'id="I"'),
      );
    }
    assert.equal(answers[0], answers[1]);
    assert.equal(answers[1], answers[2]);
    assert.match(answers[0]!, /service-unavailable/);
    assert.match(answers[0]!, /that session is not online/);
    await nothing(b, (e) => e.name === "iq");

    // Once bob lets carol see him, her IQ reaches his session; his own other sessions always may.
    b.send("<presence to='carol@localhost' type='subscribed'/>");
    await push(b);
    c.send("<presence to='bob@localhost' type='subscribe'/>");
    await presenceFrom(c, "bob@localhost", "subscribed");
    c.send(`<iq type='get' id='p2' to='bob@localhost/desk'>${q}</iq>`);
    await b.expect((e) => e.attr("id") === "p2");
    const b2 = await online(t, "bob", "phone");
    b2.send(`<iq type='get' id='p3' to='bob@localhost/desk'>${q}</iq>`);
    await b.expect((e) => e.attr("id") === "p3");
    b.close();
    b2.close();
    c.close();
  });

  it("deleting an account its contacts still list breaks nothing", async () => {
    const a = await online(t, "alice", "desk");
    const b = await online(t, "bob", "desk");
    await befriend(a, b);
    b.close();
    await presenceFrom(a, "bob@localhost/desk", "unavailable");
    assert.equal(await t.storage.accounts.delete("bob"), true);
    t.server.bus.fire("user-deleted", { username: "bob" });
    // alice comes back: her probe to the vanished bob answers unsubscribed and clears the item.
    a.close();
    const a2 = await online(t, "alice", "laptop");
    await presenceFrom(a2, "bob@localhost", "unsubscribed");
    assert.equal((await push(a2)).item.attr("subscription"), "from");
    a2.send("<presence><show>dnd</show></presence>");
    await presenceFrom(a2, "alice@localhost/laptop");
    a2.send("<presence to='bob@localhost' type='subscribe'/>");
    await presenceFrom(a2, "bob@localhost", "unsubscribed");
    a2.close();
  });
});
