// RFC 6121 §2 rosters and XEP-0237 roster versioning, as conversations between alice, bob and carol.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { NS_BIND, NS_ROSTER } from "@hato/xml";
import { errorOf, iq, nothing, presenceFrom, push, rosterSet } from "../support/im.js";
import { RawClient, startServer, type TestServer } from "../support/inproc.js";

const GET = `<query xmlns='${NS_ROSTER}'/>`;

describe("RFC 6121 rosters", () => {
  let t: TestServer;
  before(async () => {
    t = await startServer({
      "roster.max-items": "3",
      "roster.max-name-length": "10",
      "roster.max-group-length": "8",
      "roster.max-groups": "2",
    });
    for (const u of ["alice", "bob", "carol", "dave", "erin", "frank"]) await t.addUser(u, "pw");
  });
  after(() => t.stop());

  it("offers roster versioning and pre-approval as stream features after authentication", async () => {
    const client = await RawClient.connect(t.c2sPort);
    await client.starttls(t.ca);
    assert.equal((await client.authenticate("alice", "pw")).name, "success");
    client.open();
    const features = await client.expectName("features");
    assert.ok(features.getChild("bind", NS_BIND));
    assert.ok(features.getChild("ver", "urn:xmpp:features:rosterver"), "rosterver offered");
    assert.ok(features.getChild("sub", "urn:xmpp:features:pre-approval"), "pre-approval offered");
    client.close();
  });

  it("alice adds bob: her interested resource gets a push with the new ver, the other does not; versions decide what a get returns", async () => {
    const desk = (await RawClient.login(t, "alice", "pw", "desk")).client;
    const phone = (await RawClient.login(t, "alice", "pw", "phone")).client;
    // desk asks for the roster (becoming an interested resource); phone never does.
    const first = await iq(desk, `<query xmlns='${NS_ROSTER}' ver=''/>`);
    const q0 = first.getChild("query", NS_ROSTER)!;
    assert.equal(q0.elements().length, 0);
    const v0 = q0.attr("ver")!;
    assert.match(v0, /^\d+-\d+$/, "account creation time and version");

    const result = await rosterSet(
      desk,
      "<item jid='Bob@LOCALHOST' name='Bobby'><group>Friends</group><group>Work</group></item>",
    );
    assert.equal(result.attr("type"), "result");
    const p = await push(desk);
    assert.equal(p.item.attr("jid"), "bob@localhost", "the JID is stored prepared");
    assert.equal(p.item.attr("name"), "Bobby");
    assert.equal(p.item.attr("subscription"), "none");
    assert.equal(p.item.attr("ask"), undefined);
    assert.deepEqual(
      p.item.getChildren("group").map((g) => g.text()),
      ["Friends", "Work"],
    );
    const v1 = p.iq.getChild("query", NS_ROSTER)!.attr("ver")!;
    assert.notEqual(v1, v0, "the push carries the new version");
    await nothing(phone, (e) => e.name === "iq");

    // Same version: an empty result. Old version: the whole roster with the current ver.
    const same = await iq(desk, `<query xmlns='${NS_ROSTER}' ver='${v1}'/>`);
    assert.equal(same.attr("type"), "result");
    assert.equal(same.elements().length, 0, "no query element when nothing changed");
    const old = await iq(phone, `<query xmlns='${NS_ROSTER}' ver='${v0}'/>`);
    const q = old.getChild("query", NS_ROSTER)!;
    assert.equal(q.attr("ver"), v1);
    assert.deepEqual(
      q.elements().map((i) => [i.attr("jid"), i.attr("name"), i.attr("subscription")]),
      [["bob@localhost", "Bobby", "none"]],
    );
    // Without ver, the roster comes without one (a client that does not version).
    const plain = await iq(phone, GET);
    assert.equal(plain.getChild("query", NS_ROSTER)!.attr("ver"), undefined);
    assert.equal(plain.getChild("query", NS_ROSTER)!.elements().length, 1);

    // Now phone is interested too: an update reaches both, with the same version.
    await rosterSet(
      desk,
      "<item jid='bob@localhost' name='B' subscription='both' ask='subscribe'><group>Work</group></item>",
    );
    const [pd, pp] = [await push(desk), await push(phone)];
    assert.equal(pd.iq.getChild("query")!.attr("ver"), pp.iq.getChild("query")!.attr("ver"));
    assert.equal(pd.item.attr("name"), "B");
    assert.equal(
      pd.item.attr("subscription"),
      "none",
      "a client cannot set the subscription state (§2.1.2.5: ignored)",
    );
    assert.equal(pd.item.attr("ask"), undefined, "nor ask (§2.1.2.2: ignored)");
    assert.deepEqual(
      pd.item.getChildren("group").map((g) => g.text()),
      ["Work"],
    );
    const stored = await t.storage.roster.item("alice", "bob@localhost");
    assert.equal(stored?.subscription, "none");

    // Remove: a push with subscription='remove'; a second remove finds nothing.
    await rosterSet(desk, "<item jid='bob@localhost' subscription='remove'/>");
    const gone = await push(desk);
    assert.equal(gone.item.attr("subscription"), "remove");
    assert.equal(gone.item.attr("jid"), "bob@localhost");
    await push(phone);
    const again = await rosterSet(desk, "<item jid='bob@localhost' subscription='remove'/>");
    assert.deepEqual(errorOf(again), {
      type: "cancel",
      condition: "item-not-found",
      text: "bob@localhost is not in your roster",
    });
    desk.close();
    phone.close();
  });

  it("a deleted and re-created account starts its roster over: the old account's ver is not taken as current", async () => {
    await t.addUser("gina", "pw");
    const first = (await RawClient.login(t, "gina", "pw", "phone")).client;
    await iq(first, `<query xmlns='${NS_ROSTER}' ver=''/>`);
    await rosterSet(first, "<item jid='bob@localhost'/>");
    const cached = (await push(first)).iq.getChild("query", NS_ROSTER)!.attr("ver")!;
    first.close();
    await t.storage.accounts.delete("gina");
    await new Promise((r) => setTimeout(r, 5)); // the new account is created in a later ms
    await t.addUser("gina", "pw");
    const again = (await RawClient.login(t, "gina", "pw", "phone")).client;
    await iq(again, `<query xmlns='${NS_ROSTER}' ver=''/>`);
    await rosterSet(again, "<item jid='carol@localhost'/>");
    const now = (await push(again)).iq.getChild("query", NS_ROSTER)!.attr("ver")!;
    assert.equal(now.split("-")[1], cached.split("-")[1], "both accounts made one change");
    assert.notEqual(now, cached);
    // The phone still caches the old account's roster: it gets the new one whole.
    for (const stale of [cached, cached.split("-")[1]!, "garbage"]) {
      const r = await iq(again, `<query xmlns='${NS_ROSTER}' ver='${stale}'/>`);
      const q = r.getChild("query", NS_ROSTER);
      assert.ok(q, `ver='${stale}' gets the whole roster`);
      assert.equal(q.attr("ver"), now);
      assert.deepEqual(
        q.elements().map((i) => i.attr("jid")),
        ["carol@localhost"],
      );
    }
    const same = await iq(again, `<query xmlns='${NS_ROSTER}' ver='${now}'/>`);
    assert.equal(same.elements().length, 0, "the current ver: nothing to send");
    again.close();
  });

  it("malformed roster sets get bad-request or not-acceptable with a text saying what is wrong", async () => {
    const { client } = await RawClient.login(t, "carol", "pw", "r");
    const cases: [string, string, RegExp][] = [
      ["", "bad-request", /exactly one <item\/>.*0 items/],
      [
        "<item jid='a@localhost'/><item jid='b@localhost'/>",
        "bad-request",
        /exactly one <item\/>.*2 items/,
      ],
      ["<item jid='a@localhost'/><other xmlns='x'/>", "bad-request", /1 other elements/],
      ["<item name='x'/>", "bad-request", /has no jid/],
      ["<item jid='a@b@c'/>", "bad-request", /jid is not valid/],
      ["<item jid='a@localhost/res'/>", "bad-request", /bare JID, without a resource/],
      ["<item jid='carol@localhost'/>", "not-allowed", /your own JID/],
      ["<item jid='a@localhost'><group></group></item>", "not-acceptable", /group name is empty/],
      [
        "<item jid='a@localhost'><group>A</group><group>A</group></item>",
        "bad-request",
        /the group "A" is listed twice/,
      ],
      ["<item jid='a@localhost' name='12345678901'/>", "not-acceptable", /longer than 10/],
      [
        "<item jid='a@localhost'><group>123456789</group></item>",
        "not-acceptable",
        /group name is longer than 8/,
      ],
      [
        "<item jid='a@localhost'><group>1</group><group>2</group><group>3</group></item>",
        "not-allowed",
        /at most 2 groups; this one names 3/,
      ],
    ];
    for (const [body, condition, text] of cases) {
      const answer = await rosterSet(client, body);
      const e = errorOf(answer);
      assert.equal(answer.attr("type"), "error", body);
      assert.equal(e.condition, condition, body);
      assert.match(e.text ?? "", text, body);
    }
    // The limits are exact: 10 characters of name (counted as characters) and 2 groups pass.
    const ok = await rosterSet(
      client,
      "<item jid='a@localhost' name='éééééééééé'><group>12345678</group><group>2</group></item>",
    );
    assert.equal(ok.attr("type"), "result");
    // A get carries no items.
    const get = await iq(client, `<query xmlns='${NS_ROSTER}'><item jid='a@localhost'/></query>`);
    assert.equal(errorOf(get).condition, "bad-request");
    assert.match(errorOf(get).text ?? "", /carries no items/);
    const r = await t.storage.roster.get("carol");
    assert.deepEqual(
      r.items.map((i) => i.jid),
      ["a@localhost"],
      "nothing refused was stored",
    );
    client.close();
  });

  it("a full roster refuses new contacts with not-allowed but still takes updates", async () => {
    const { client } = await RawClient.login(t, "dave", "pw", "r");
    for (const c of ["c1", "c2", "c3"]) {
      assert.equal(
        (await rosterSet(client, `<item jid='${c}@localhost'/>`)).attr("type"),
        "result",
      );
    }
    const full = await rosterSet(client, "<item jid='c4@localhost'/>");
    assert.deepEqual(errorOf(full), {
      type: "cancel",
      condition: "not-allowed",
      text: "your roster is full: at most 3 contacts",
    });
    const update = await rosterSet(client, "<item jid='c3@localhost' name='three'/>");
    assert.equal(update.attr("type"), "result");
    // Subscribing to a new contact would add an item: refused the same way.
    client.send("<presence to='c5@localhost' type='subscribe' id='s5'/>");
    const refused = await client.expect((e) => e.attr("id") === "s5");
    assert.equal(errorOf(refused).condition, "not-allowed");
    assert.equal(await t.storage.roster.count("dave"), 3);
    client.close();
  });

  it("only the account itself reads or writes its roster; a roster push from anyone else never reaches the client", async () => {
    const a = (await RawClient.login(t, "erin", "pw", "desk")).client;
    const b = (await RawClient.login(t, "frank", "pw", "desk")).client;
    const read = await iq(b, GET, "type='get' to='erin@localhost'");
    assert.deepEqual(errorOf(read), {
      type: "auth",
      condition: "forbidden",
      text: "only the account itself may use its roster",
    });
    const write = await iq(
      b,
      `<query xmlns='${NS_ROSTER}'><item jid='x@localhost'/></query>`,
      "type='set' to='erin@localhost'",
    );
    assert.equal(errorOf(write).condition, "forbidden");
    assert.equal(await t.storage.roster.count("erin"), 0);

    // Even a mutual contact cannot push roster items to erin's session (§2.1.6).
    await t.storage.roster.set("erin", "frank@localhost", {
      jid: "frank@localhost",
      subscription: "both",
      groups: [],
    });
    await t.storage.roster.set("frank", "erin@localhost", {
      jid: "erin@localhost",
      subscription: "both",
      groups: [],
    });
    const forged = await iq(
      b,
      `<query xmlns='${NS_ROSTER}'><item jid='evil@localhost' subscription='both'/></query>`,
      "type='set' to='erin@localhost/desk'",
    );
    assert.deepEqual(errorOf(forged), {
      type: "cancel",
      condition: "service-unavailable",
      text: "that session is not online",
    });
    await nothing(a, (e) => e.name === "iq");
    a.close();
    b.close();
  });

  it("removing a contact with a mutual subscription cancels both directions (§2.5.2)", async () => {
    const srv = await startServer();
    try {
      await srv.addUser("alice", "pw");
      await srv.addUser("bob", "pw");
      await srv.storage.roster.set("alice", "bob@localhost", {
        jid: "bob@localhost",
        subscription: "both",
        groups: [],
      });
      await srv.storage.roster.set("bob", "alice@localhost", {
        jid: "alice@localhost",
        subscription: "both",
        groups: [],
      });
      const a = (await RawClient.login(srv, "alice", "pw", "desk")).client;
      const b = (await RawClient.login(srv, "bob", "pw", "desk")).client;
      await iq(b, GET);
      await presenceFrom(b, "alice@localhost/desk");
      await iq(a, GET);
      await rosterSet(a, "<item jid='bob@localhost' subscription='remove'/>");
      assert.equal((await push(a)).item.attr("subscription"), "remove");
      // bob learns both cancellations, sees alice go unavailable, and his roster says none.
      await presenceFrom(b, "alice@localhost", "unsubscribe");
      await presenceFrom(b, "alice@localhost", "unsubscribed");
      await presenceFrom(b, "alice@localhost/desk", "unavailable");
      let last = await push(b);
      while (last.item.attr("subscription") !== "none") last = await push(b);
      assert.equal((await srv.storage.roster.item("bob", "alice@localhost"))?.subscription, "none");
      // alice sees bob go unavailable too: she may no longer see him.
      await presenceFrom(a, "bob@localhost/desk", "unavailable");
      a.close();
      b.close();
    } finally {
      await srv.stop();
    }
  });
});
