// RFC 6121 with real clients: subscribe and approve between different clients (slixmpp, aioxmpp,
// Profanity), then presence both ways: online, away, offline.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { agentPool, type ResultEvent, type RosterEvent } from "../support/agents.js";
import { type Hato, startHato, TEST_USERS } from "../support/hato.js";
import { Profanity } from "../support/profanity.js";

describe("subscriptions and presence between third-party clients", () => {
  let hato: Hato;
  const pool = agentPool();
  const agent = pool.start;
  const profanities: Profanity[] = [];

  before(async () => {
    hato = await startHato({
      users: TEST_USERS,
    });
  });
  after(async () => {
    await Promise.all(profanities.map((p) => p.stop()));
    await pool.stopAll();
    await hato?.stop();
  });

  it("slixmpp asks, aioxmpp approves and asks back: both end with subscription both", async () => {
    const alice = agent("slixmpp", hato, {
      user: "alice",
      password: "alice-secret",
      tls: "starttls",
      channelBinding: "tls-server-end-point",
    });
    const bob = agent("aioxmpp", hato, { user: "bob", password: "bob-secret", tls: "starttls" });
    const [aliceOnline, bobOnline] = await Promise.all([alice.online(), bob.online()]);

    await alice.cmd("roster-add", { jid: "bob@localhost", name: "Bob" });
    await alice.cmd("subscribe", { jid: "bob@localhost" });
    const pending = await alice.next<RosterEvent>(
      "roster",
      (r) => r.jid === "bob@localhost" && r.ask === "subscribe",
    );
    assert.equal(pending.subscription, "none", "pending out: none + ask");

    const request = await bob.presence((p) => p.type === "subscribe");
    assert.equal(request.from, "alice@localhost", "a subscription request comes from the bare JID");
    await bob.cmd("subscribed", { jid: "alice@localhost" });
    await alice.next<RosterEvent>(
      "roster",
      (r) => r.jid === "bob@localhost" && r.subscription === "to",
    );
    // Approval makes the server send Bob's current presence to Alice at once.
    const bobSeen = await alice.presence((p) => p.from === bobOnline.jid && p.type === "available");
    assert.equal(bobSeen.show, "");

    await bob.cmd("subscribe", { jid: "alice@localhost" });
    await alice.presence((p) => p.type === "subscribe" && p.from === "bob@localhost");
    await alice.cmd("subscribed", { jid: "bob@localhost" });
    await alice.next<RosterEvent>(
      "roster",
      (r) => r.jid === "bob@localhost" && r.subscription === "both",
    );
    await bob.next<RosterEvent>(
      "roster",
      (r) => r.jid === "alice@localhost" && r.subscription === "both",
    );
    await bob.presence((p) => p.from === aliceOnline.jid && p.type === "available");

    const roster = await bob.cmd<RosterListResult>("roster-get");
    assert.deepEqual(
      roster.items.map((i) => [i.jid, i.subscription]),
      [["alice@localhost", "both"]],
    );
  });

  it("presence both ways between slixmpp and aioxmpp: away, back online, offline", async () => {
    // The subscriptions of the previous test are stored: fresh logins get each other's presence.
    const alice = agent("slixmpp", hato, {
      user: "alice",
      password: "alice-secret",
      tls: "starttls",
      channelBinding: "tls-server-end-point",
    });
    const aliceOnline = await alice.online();
    const bob = agent("aioxmpp", hato, { user: "bob", password: "bob-secret", tls: "direct" });
    const bobOnline = await bob.online();
    // Bob's initial presence reaches Alice; the probe on Bob's login tells him about Alice.
    await alice.presence((p) => p.from === bobOnline.jid && p.type === "available");
    await bob.presence((p) => p.from === aliceOnline.jid && p.type === "available");

    await bob.cmd("presence", { show: "away", status: "out for lunch" });
    const away = await alice.presence((p) => p.from === bobOnline.jid && p.show === "away");
    assert.equal(away.status, "out for lunch");

    await alice.cmd("presence", { show: "dnd", status: "in a meeting" });
    const dnd = await bob.presence((p) => p.from === aliceOnline.jid && p.show === "dnd");
    assert.equal(dnd.status, "in a meeting");

    await bob.cmd("presence", {});
    await alice.presence(
      (p) => p.from === bobOnline.jid && p.type === "available" && p.show === "",
    );

    await bob.stop();
    await alice.presence((p) => p.from === bobOnline.jid && p.type === "unavailable");

    const bob2 = agent("aioxmpp", hato, { user: "bob", password: "bob-secret", tls: "starttls" });
    const bob2Online = await bob2.online();
    await bob2.presence((p) => p.from === aliceOnline.jid && p.show === "dnd");
    await alice.stop();
    await bob2.presence((p) => p.from === aliceOnline.jid && p.type === "unavailable");
    assert.notEqual(bob2Online.jid, "");
  });

  it("Profanity asks slixmpp, slixmpp approves and asks back; presence both ways", async () => {
    const carol = await Profanity.start(hato, { user: "carol", password: "carol-secret" });
    profanities.push(carol);
    await carol.online();
    const dave = agent("slixmpp", hato, {
      user: "dave",
      password: "dave-secret",
      tls: "starttls",
      channelBinding: "tls-server-end-point",
    });
    const daveOnline = await dave.online();

    await carol.type("/roster add dave@localhost Dave");
    await carol.type("/sub request dave@localhost");
    const request = await dave.presence((p) => p.type === "subscribe");
    assert.equal(request.from, "carol@localhost");
    await dave.cmd("roster-add", { jid: "carol@localhost" });
    await dave.cmd("subscribed", { jid: "carol@localhost" });
    await dave.cmd("subscribe", { jid: "carol@localhost" });
    await carol.waitFor("Received authorization request from dave@localhost");
    await carol.type("/sub allow dave@localhost");
    await dave.next<RosterEvent>(
      "roster",
      (r) => r.jid === "carol@localhost" && r.subscription === "both",
    );
    // Profanity's initial presence was sent before the subscription: the server sends its current
    // presence when Profanity approves.
    await dave.presence((p) => p.from === carol.jid && p.type === "available");

    // Profanity -> slixmpp: away with a status text.
    await carol.type('/status set away "back in ten"');
    const away = await dave.presence((p) => p.from === carol.jid && p.show === "away");
    assert.equal(away.status, "back in ten");
    await carol.type("/status set online");
    await dave.presence((p) => p.from === carol.jid && p.type === "available" && p.show === "");

    // slixmpp -> Profanity: Profanity's roster panel files Dave under his presence.
    await carol.waitFor((screen) => rosterGroup(screen, "Dave") === "Online");
    await dave.cmd("presence", { show: "away", status: "gone fishing" });
    await carol.waitFor((screen) => rosterGroup(screen, "Dave") === "Away");
    await dave.cmd("presence", { show: "dnd" });
    await carol.waitFor((screen) => rosterGroup(screen, "Dave") === "Do not disturb");
    await dave.stop();
    await carol.waitFor((screen) => rosterGroup(screen, "Dave") === "Offline");
    await carol.waitFor(/Dave \(.+\) is offline/);

    // Profanity leaves: slixmpp (back online) sees it go.
    const dave2 = agent("slixmpp", hato, {
      user: "dave",
      password: "dave-secret",
      tls: "starttls",
      channelBinding: "tls-server-end-point",
    });
    await dave2.online();
    await dave2.presence((p) => p.from === carol.jid && p.type === "available");
    await carol.type("/quit");
    await dave2.presence((p) => p.from === carol.jid && p.type === "unavailable");
    assert.notEqual(daveOnline.jid, "");
  });
});

/**
 * The heading ("Online", "Away", "Offline", ...) under which Profanity's roster panel (the right
 * quarter of its screen) lists `name`, or undefined when it does not list it.
 */
function rosterGroup(screen: string, name: string): string | undefined {
  const panel = screen.split("\n").map((line) => line.slice(140).trim());
  const at = panel.indexOf(name);
  for (let i = at - 1; at >= 0 && i >= 0; i--) {
    const heading = /^(.+) \(\d+\)$/.exec(panel[i]!);
    if (heading) return heading[1];
  }
  return undefined;
}

interface RosterListResult extends ResultEvent {
  items: { jid: string; subscription: string; ask: string | null }[];
}
