// The SDK against the real server over WebSocket: login, roster, presence, subscriptions.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Status } from "@hato/sdk";
import { befriend, nextEvent, type SdkWorld, sdkWorld, until } from "../support/sdk.js";

describe("SDK login, roster and presence over RFC 7395 WebSocket", () => {
  let w: SdkWorld;
  before(async () => {
    w = await sdkWorld(["alice", "bob", "carol", "dave"]);
  });
  after(() => w.stop());

  it("logs in (SCRAM, bind, stream management), goes online, and logs out", async () => {
    const a = w.client("alice");
    const statuses: Status[] = [];
    a.on("status", (s) => statuses.push(s));
    await a.connect();
    assert.equal(a.status, "online");
    assert.deepEqual(a.contacts(), []);
    await a.disconnect();
    assert.deepEqual(statuses, ["connecting", "online", "disconnected"]);
  });

  it("a wrong password is auth-failed and connect() rejects", async () => {
    const a = w.client("alice", { password: "wrong" });
    await assert.rejects(a.connect(), /not-authorized/);
    assert.equal(a.status, "auth-failed");
  });

  it("two clients befriend each other and see each other's presence and status text", async () => {
    const a = w.client("alice");
    const b = w.client("bob");
    await Promise.all([a.connect(), b.connect()]);
    await befriend(a, b);
    const bobSeen = a.contacts().find((c) => c.jid === "bob@localhost");
    assert.equal(bobSeen?.subscription, "both");
    assert.equal(bobSeen?.show, "available");

    b.setPresence("away", "lunch");
    await until(a, () => a.contacts().some((c) => c.jid === "bob@localhost" && c.show === "away"));
    assert.equal(a.contacts().find((c) => c.jid === "bob@localhost")?.statusText, "lunch");

    await b.disconnect();
    await until(a, () =>
      a.contacts().some((c) => c.jid === "bob@localhost" && c.show === "offline"),
    );

    // A new session gets the roster and presence again, and keeps the presence it had set.
    await b.connect();
    await until(b, () =>
      b.contacts().some((c) => c.jid === "alice@localhost" && c.show === "available"),
    );
    await until(a, () => a.contacts().some((c) => c.jid === "bob@localhost" && c.show === "away"));
    await Promise.all([a.disconnect(), b.disconnect()]);
  });

  it("a denied subscription request leaves no subscription and clears the pending request", async () => {
    const c = w.client("carol");
    const d = w.client("dave");
    await Promise.all([c.connect(), d.connect()]);
    const asked = nextEvent(d, "subscriptionRequest");
    await c.addContact(d.jid, "Dave");
    assert.deepEqual(await asked, ["carol@localhost"]);
    assert.deepEqual(d.pendingRequests(), ["carol@localhost"]);
    await until(c, () =>
      c.contacts().some((x) => x.jid === d.jid && x.pendingOut && x.name === "Dave"),
    );
    d.deny(c.jid);
    assert.deepEqual(d.pendingRequests(), []);
    await until(c, () =>
      c.contacts().some((x) => x.jid === d.jid && !x.pendingOut && x.subscription === "none"),
    );
    assert.equal(d.contacts().length, 0, "denying adds nothing to the roster");

    await c.removeContact(d.jid);
    await until(c, () => c.contacts().length === 0);
    await Promise.all([c.disconnect(), d.disconnect()]);
  });

  it("a second login with the same resource: the first session is not fought over", async () => {
    const first = w.client("alice", { resource: "desk" });
    const second = w.client("alice", { resource: "desk" });
    await first.connect();
    const ended = nextEvent(first, "status", (s) => s !== "online");
    await second.connect();
    const [status, detail] = await ended;
    assert.equal(
      status,
      "disconnected",
      "a conflict is final: no reconnection loop between the two",
    );
    assert.match(detail ?? "", /conflict/);
    assert.equal(second.status, "online");
    await second.disconnect();
  });
});
