// The echo bot of @hato/sdk's doc comment, run against the real server, and carbons
// keeping a user's two devices in step.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { nextEvent, type SdkWorld, sdkWorld, until } from "../support/sdk.js";

describe("SDK as a bot, and on two devices", () => {
  let w: SdkWorld;
  before(async () => {
    w = await sdkWorld(["echo", "alice", "bob"]);
  });
  after(() => w.stop());

  it("the doc comment's echo bot approves a subscription and answers", async () => {
    const bot = w.client("echo");
    bot.on("subscriptionRequest", (from) => bot.approve(from));
    bot.on("message", (m) => {
      if (!m.outgoing) bot.send(m.peer, `you said: ${m.body}`);
    });
    await bot.connect();

    const alice = w.client("alice");
    await alice.connect();
    await alice.addContact(bot.jid, "Echo");
    await until(alice, () =>
      alice.contacts().some((c) => c.jid === bot.jid && c.subscription !== "none"),
    );
    const answer = nextEvent(alice, "message", (m) => !m.outgoing && m.peer === bot.jid);
    alice.send(bot.jid, "hi");
    assert.equal((await answer)[0].body, "you said: hi");
  });

  it("a message sent from one device shows on the other as outgoing (XEP-0280 carbons)", async () => {
    const phone = w.client("bob", { resource: "phone" });
    const laptop = w.client("bob", { resource: "laptop" });
    await Promise.all([phone.connect(), laptop.connect()]);
    const copy = nextEvent(laptop, "message", (m) => m.body === "from my phone");
    const m = phone.send("alice@localhost", "from my phone");
    const [c] = await copy;
    assert.equal(c.outgoing, true);
    assert.equal(c.peer, "alice@localhost");
    assert.equal(c.id, m.id);
  });
});
