// The SDK's 1:1 chat against the real server: delivery states, corrections, chat states.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { ChatMessage, HatoClient } from "@hato/sdk";
import { RawClient } from "../support/inproc.js";
import { befriend, nextEvent, type SdkWorld, sdkWorld, until } from "../support/sdk.js";

describe("SDK chat between two clients", () => {
  let w: SdkWorld;
  let a: HatoClient;
  let b: HatoClient;
  before(async () => {
    w = await sdkWorld(["alice", "bob", "mallory"]);
    a = w.client("alice");
    b = w.client("bob");
    await Promise.all([a.connect(), b.connect()]);
    await befriend(a, b);
  });
  after(() => w.stop());

  it("a message goes pending → sent (SM ack) → delivered (receipt) → displayed (marker)", async () => {
    const states: string[] = [];
    const off = a.on("updated", (m) => {
      if (m.body === "hello bob") states.push(m.state!);
    });
    const got = nextEvent(b, "message", (m) => m.body === "hello bob");
    const own = nextEvent(a, "message", (m) => m.body === "hello bob");
    const sent = a.send(b.jid, "hello bob");
    assert.equal(sent.state, "pending");
    assert.equal(sent.outgoing, true);
    assert.equal(sent.peer, "bob@localhost");
    assert.equal((await own)[0].id, sent.id, "send() also emits the message event");

    const [m] = await got;
    assert.equal(m.id, sent.id, "both sides name the message by the same id");
    assert.equal(m.outgoing, false);
    assert.equal(m.peer, "alice@localhost");
    assert.equal(m.state, undefined);
    assert.ok(m.archiveId, "the server's XEP-0359 stanza-id is kept for paging");

    await until(a, () => states.includes("delivered"));
    b.markDisplayed(a.jid, m.id);
    await until(a, () => states.includes("displayed"));
    off();
    assert.deepEqual(states, ["sent", "delivered", "displayed"]);
  });

  it("a displayed marker also marks every earlier message displayed", async () => {
    const ids: string[] = [];
    for (const body of ["one", "two", "three"]) ids.push(a.send(b.jid, body).id);
    const last = nextEvent(b, "message", (m) => m.body === "three");
    await last;
    const shown = new Set<string>();
    const off = a.on("updated", (m) => {
      if (m.state === "displayed") shown.add(m.id);
    });
    b.markDisplayed(a.jid, ids[2]!);
    await until(a, () => ids.every((id) => shown.has(id)));
    off();
  });

  it("a correction from the original sender replaces the body on both sides", async () => {
    const first = nextEvent(b, "message", (m) => m.body === "teh typo");
    const m = a.send(b.jid, "teh typo");
    await first;
    const fixedB = nextEvent(b, "updated", (u) => u.id === m.id);
    const fixedA = nextEvent(a, "updated", (u) => u.id === m.id && u.corrected === true);
    a.correct(b.jid, m.id, "the typo");
    const [u] = await fixedB;
    assert.equal(u.body, "the typo");
    assert.equal(u.corrected, true);
    assert.equal((await fixedA)[0].body, "the typo");
  });

  it("a forged correction from a third user is ignored", async () => {
    const got = nextEvent(b, "message", (m) => m.body === "pay 10 to carol");
    const m = a.send(b.jid, "pay 10 to carol");
    await got;
    const changes: ChatMessage[] = [];
    const off = b.on("updated", (u) => changes.push(u));
    const newMessages: ChatMessage[] = [];
    const offM = b.on("message", (x) => newMessages.push(x));

    // Mallory, a raw client, claims to correct Alice's message id, then says something
    // plain on the same stream: once that arrives, the forgery has been processed.
    const { client: mallory } = await RawClient.login(w.server, "mallory", "pw");
    const marker = nextEvent(b, "message", (x) => x.body === "just mallory");
    mallory.send(
      `<message to='bob@localhost' type='chat' id='forged'><body>pay 1000 to mallory</body>` +
        `<replace xmlns='urn:xmpp:message-correct:0' id='${m.id}'/></message>`,
    );
    mallory.send(
      `<message to='bob@localhost' type='chat' id='plain'><body>just mallory</body></message>`,
    );
    await marker;
    off();
    offM();
    mallory.close();
    assert.deepEqual(
      changes.filter((u) => u.id === m.id),
      [],
      "the original message was not changed",
    );
    assert.equal(
      newMessages.some((x) => x.body.includes("1000")),
      false,
      "a correction of an unknown message is not shown as a new one",
    );
  });

  it("chat states reach the peer (XEP-0085)", async () => {
    const typing = nextEvent(b, "chatState", (peer, s) => peer === a.jid && s === "composing");
    a.chatState(b.jid, "composing");
    await typing;
    const paused = nextEvent(b, "chatState", (peer, s) => peer === a.jid && s === "paused");
    a.chatState(b.jid, "paused");
    await paused;
  });

  it("a message body is kept as text, markup and all", async () => {
    const body = "<script>alert(1)</script> & <b>bold</b>";
    const got = nextEvent(b, "message", (m) => m.body === body);
    a.send(b.jid, body);
    assert.equal((await got)[0].body, body);
  });
});
