// XEP-0198 transcripts: acknowledgements both ways, resumption after a lost connection, and
// what becomes of unacknowledged stanzas when a session never comes back.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Session } from "@hato/core";
import {
  type Element,
  NS_BIND,
  NS_CSI,
  NS_DELAY,
  NS_SM,
  NS_STANZA_ID,
  NS_STANZAS_ERR,
  NS_STREAM,
  NS_STREAMS_ERR,
  parseElement,
  serialize,
} from "@hato/xml";
import { RawClient, startServer, type TestServer } from "../support/inproc.js";
import { startTcpProxy } from "../support/tcp-proxy.js";

/** Polls until `pred` holds (no timing threshold: only a generous deadline for a hang). */
async function until(pred: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!(await pred())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

function chat(to: string, id: string): string {
  return `<message to='${to}' type='chat' id='${id}'><body>${id}</body></message>`;
}

/** Message ids a client got, in order. */
function messageIds(c: RawClient): string[] {
  return c.received.filter((e) => e.name === "message").map((e) => e.attr("id") ?? "");
}

/** The <stream:error/> element itself, to look at application-specific conditions. */
function streamError(c: RawClient): Promise<Element> {
  return c.expect((e) => e.name === "error" && e.xmlns === NS_STREAM, "stream error");
}

/** Records the order of session events for one account. */
function recordEvents(t: TestServer, username: string): string[] {
  const seen: string[] = [];
  for (const ev of ["session-hibernated", "session-resumed", "session-closed"] as const) {
    t.server.bus.on(
      ev,
      ({ session }: { session: Session }) => {
        if (session.username === username) seen.push(ev);
      },
      0,
      "test",
    );
  }
  return seen;
}

/** The server's delays and bob's archive's stanza ids on a message (each should be one). */
function stamps(m: Element): { delays: number; ids: string[] } {
  return {
    delays: m.getChildren("delay", NS_DELAY).length,
    ids: m
      .getChildren("stanza-id", NS_STANZA_ID)
      .filter((s) => s.attr("by") === "bob@localhost")
      .map((s) => s.attr("id") ?? ""),
  };
}

/** How many messages bob's archive holds, asked the way a client asks (after pending writes). */
async function archived(c: RawClient): Promise<number> {
  c.send("<iq type='set' id='mam-count'><query xmlns='urn:xmpp:mam:2'/></iq>");
  const fin = await c.expect((e) => e.attr("id") === "mam-count", "archive query result");
  const count = fin.getChild("fin", "urn:xmpp:mam:2")?.getChild("set")?.getChildText("count");
  return Number(count);
}

async function users(t: TestServer): Promise<void> {
  await t.addUser("alice", "pw-a");
  await t.addUser("bob", "pw-b");
}

describe("XEP-0198 stream management", () => {
  it("sm is offered only after authentication; <enable/> before binding gets unexpected-request and binding still works", async () => {
    const t = await startServer();
    try {
      await users(t);
      const c = await RawClient.connect(t.c2sPort);
      await c.starttls(t.ca);
      // authenticate() reads the pre-auth features itself; look at them on a second stream.
      const pre = await RawClient.connect(t.tlsPort, { tls: { ca: t.ca } });
      pre.open();
      const preFeatures = await pre.expectName("features");
      assert.equal(preFeatures.getChild("sm", NS_SM), undefined, "no SM before authentication");
      pre.close();
      assert.equal((await c.authenticate("bob", "pw-b")).name, "success");
      c.open();
      const features = await c.expectName("features");
      assert.ok(features.getChild("sm", NS_SM), "server offers <sm xmlns='urn:xmpp:sm:3'/>");
      assert.ok(features.getChild("csi", NS_CSI), "server offers <csi xmlns='urn:xmpp:csi:0'/>");
      c.send(`<enable xmlns='${NS_SM}' resume='true'/>`);
      const f = await c.expect((e) => e.name === "failed" && e.xmlns === NS_SM, "<failed/>");
      assert.ok(f.getChild("unexpected-request", NS_STANZAS_ERR));
      assert.match(f.getChildText("text", NS_STANZAS_ERR) ?? "", /bind a resource/);
      c.send(`<iq type='set' id='b'><bind xmlns='${NS_BIND}'><resource>r</resource></bind></iq>`);
      const bound = await c.expect((e) => e.attr("id") === "b", "bind result");
      assert.equal(bound.attr("type"), "result");
      const enabled = await c.enableSm(false);
      assert.equal(enabled.name, "enabled");
      assert.equal(enabled.attr("id"), undefined, "no resumption was asked for");
      c.close();
    } finally {
      await t.stop();
    }
  });

  it("bob's stanzas are counted for <r/>; the server asks for acks after a burst, not per stanza", async () => {
    const t = await startServer();
    try {
      await users(t);
      const a = await RawClient.login(t, "alice", "pw-a", "desk");
      const b = await RawClient.login(t, "bob", "pw-b", "phone");
      await b.client.enableSm(false);
      for (const id of ["p1", "p2", "p3"])
        b.client.send(
          `<iq type='get' id='${id}' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>`,
        );
      b.client.send(`<r xmlns='${NS_SM}'/>`);
      const ack = await b.client.expect((e) => e.name === "a" && e.xmlns === NS_SM, "<a/>");
      assert.equal(ack.attr("h"), "3", "three pings handled");
      for (let i = 1; i <= 5; i++) a.client.send(chat("bob@localhost", `m${i}`));
      await b.client.expect((e) => e.attr("id") === "m5", "m5");
      await b.client.expect((e) => e.name === "r" && e.xmlns === NS_SM, "<r/>");
      const rs = b.client.received.filter((e) => e.name === "r").length;
      assert.equal(rs, 0, "one request for the whole burst");
      assert.equal(b.client.handled, 8, "3 pong results and 5 messages");
      b.client.send(`<a xmlns='${NS_SM}' h='${b.client.handled}'/>`);
      b.client.send(`<r xmlns='${NS_SM}'/>`);
      const again = await b.client.expect((e) => e.name === "a", "<a/>");
      assert.equal(again.attr("h"), "3", "nonzas are not counted");
      a.client.close();
      b.client.close();
    } finally {
      await t.stop();
    }
  });

  it("an <a/> with h beyond what was sent gets undefined-condition with handled-count-too-high; the unacked messages go to offline storage", async () => {
    const t = await startServer();
    try {
      await users(t);
      const a = await RawClient.login(t, "alice", "pw-a", "desk");
      const b = await RawClient.login(t, "bob", "pw-b", "phone");
      await b.client.enableSm(false);
      a.client.send(chat("bob@localhost", "x1"));
      a.client.send(chat("bob@localhost", "x2"));
      await b.client.expect((e) => e.attr("id") === "x2", "x2");
      b.client.send(`<a xmlns='${NS_SM}' h='5'/>`);
      const err = await streamError(b.client);
      assert.ok(err.getChild("undefined-condition", NS_STREAMS_ERR));
      const too = err.getChild("handled-count-too-high", NS_SM);
      assert.equal(too?.attr("h"), "5");
      assert.equal(too?.attr("send-count"), "2");
      assert.match(err.getChildText("text", NS_STREAMS_ERR) ?? "", /acknowledged 5 stanzas/);
      await b.client.expectClosed();
      await until(async () => (await t.storage.offline.count("bob")) === 2, "both in storage");
      a.client.close();
    } finally {
      await t.stop();
    }
  });

  it("a second <enable/> ends the stream; <r/> without stream management is unsupported", async () => {
    const t = await startServer();
    try {
      await users(t);
      const b = await RawClient.login(t, "bob", "pw-b", "phone");
      await b.client.enableSm();
      b.client.send(`<enable xmlns='${NS_SM}'/>`);
      const err = await b.client.expectStreamError();
      assert.equal(err.condition, "policy-violation");
      assert.match(err.text ?? "", /already enabled/);
      const c = await RawClient.login(t, "bob", "pw-b", "tablet");
      c.client.send(`<r xmlns='${NS_SM}'/>`);
      const err2 = await c.client.expectStreamError();
      assert.equal(err2.condition, "unsupported-stanza-type");
      assert.match(err2.text ?? "", /not enabled/);
    } finally {
      await t.stop();
    }
  });

  it("<resume/> before authentication is refused with not-authorized", async () => {
    const t = await startServer();
    try {
      await users(t);
      const b = await RawClient.login(t, "bob", "pw-b", "phone");
      const id = (await b.client.enableSm()).attr("id")!;
      const c = await RawClient.connect(t.tlsPort, { tls: { ca: t.ca } });
      c.open();
      await c.expectName("features");
      c.send(`<resume xmlns='${NS_SM}' previd='${id}' h='0'/>`);
      const err = await c.expectStreamError();
      assert.equal(err.condition, "not-authorized");
      assert.ok(!c.received.some((e) => e.name === "resumed"));
      b.client.close();
    } finally {
      await t.stop();
    }
  });

  it("another user's id and an unknown id get the same item-not-found; the stream can still bind, and the hibernated session is undisturbed", async () => {
    const t = await startServer();
    try {
      await users(t);
      const b = await RawClient.login(t, "bob", "pw-b", "phone");
      const enabled = await b.client.enableSm();
      const id = enabled.attr("id")!;
      assert.ok(id.length >= 22, "at least 128 random bits");
      assert.equal(enabled.attr("resume"), "true");
      assert.equal(enabled.attr("max"), "300");
      const phone = t.server.sessions.get("bob", "phone")!;
      b.client.socket.destroy(); // the network dies: no closing tag
      await until(() => phone.hibernated, "bob's session hibernates");

      const stolen = await RawClient.resume(t, "alice", "pw-a", id, 0);
      const unknown = await RawClient.resume(t, "alice", "pw-a", "no-such-id", 0);
      assert.equal(stolen.answer.name, "failed");
      assert.ok(stolen.answer.getChild("item-not-found", NS_STANZAS_ERR));
      assert.equal(serialize(stolen.answer), serialize(unknown.answer), "indistinguishable");
      assert.equal(stolen.answer.attr("h"), undefined, "nothing about bob's session leaks");
      // Still in the same stream: alice may bind instead (XEP-0198 §5).
      stolen.client.send(
        `<iq type='set' id='b'><bind xmlns='${NS_BIND}'><resource>r</resource></bind></iq>`,
      );
      const bound = await stolen.client.expect((e) => e.attr("id") === "b", "bind result");
      assert.equal(bound.getChild("bind", NS_BIND)?.getChildText("jid"), "alice@localhost/r");

      // Bob binds a second resource meanwhile; then resumes the first.
      const desk = await RawClient.login(t, "bob", "pw-b", "desk");
      assert.equal(t.server.sessions.get("bob", "phone"), phone, "still registered");
      const back = await RawClient.resume(t, "bob", "pw-b", id, 0);
      assert.equal(back.answer.name, "resumed");
      assert.equal(back.answer.attr("previd"), id);
      assert.equal(phone.hibernated, false);
      for (const c of [stolen.client, unknown.client, desk.client, back.client]) c.close();
    } finally {
      await t.stop();
    }
  });

  it("a <resume/> whose h is beyond what was sent ends that stream; the session waits on and can still be resumed", async () => {
    const t = await startServer();
    try {
      await users(t);
      const b = await RawClient.login(t, "bob", "pw-b", "phone");
      const id = (await b.client.enableSm()).attr("id")!;
      const phone = t.server.sessions.get("bob", "phone")!;
      b.client.socket.destroy();
      await until(() => phone.hibernated, "bob's session hibernates");
      const wrong = await RawClient.resume(t, "bob", "pw-b", id, 7);
      assert.ok(wrong.answer.getChild("undefined-condition", NS_STREAMS_ERR));
      assert.equal(wrong.answer.getChild("handled-count-too-high", NS_SM)?.attr("h"), "7");
      await wrong.client.expectClosed();
      assert.equal(phone.hibernated, true);
      const back = await RawClient.resume(t, "bob", "pw-b", id, 0);
      assert.equal(back.answer.name, "resumed");
      back.client.close();
    } finally {
      await t.stop();
    }
  });

  it("alice sends bob 20 messages while the network drops; bob resumes with his h and gets each exactly once", async () => {
    const t = await startServer({ "sm.resume-seconds": "30" });
    const proxy = await startTcpProxy(t.c2sPort);
    try {
      await users(t);
      const events = recordEvents(t, "bob");
      const a = await RawClient.login(t, "alice", "pw-a", "desk");
      const b = await RawClient.login(t, "bob", "pw-b", "phone", true, proxy.port);
      // Bob does not answer <r/>: only the h in his <resume/> tells what he got.
      const id = (await b.client.enableSm()).attr("id")!;
      const session = t.server.sessions.get("bob", "phone")!;
      for (let i = 1; i <= 10; i++) a.client.send(chat("bob@localhost", `m${i}`));
      await until(() => messageIds(b.client).length >= 5, "bob has read five");
      proxy.cut("reset");
      for (let i = 11; i <= 20; i++) a.client.send(chat("bob@localhost", `m${i}`));
      await until(() => session.hibernated, "the session hibernates");
      assert.deepEqual(events, ["session-hibernated"], "no session-closed at hibernation");

      const before = messageIds(b.client);
      const h = b.client.handled;
      const back = await RawClient.resume(t, "bob", "pw-b", id, h, proxy.port);
      assert.equal(back.answer.name, "resumed");
      assert.equal(back.answer.attr("h"), "0", "bob sent no stanza after enabling");
      const want = Array.from({ length: 20 }, (_, i) => `m${i + 1}`).filter(
        (m) => !before.includes(m),
      );
      for (const m of want) await back.client.expect((e) => e.attr("id") === m, m);
      await pause(200);
      const all = [...before, ...want, ...messageIds(back.client)];
      assert.equal(all.length, 20, `every message exactly once (before: ${before.length})`);
      assert.equal(new Set(all).size, 20);
      assert.equal(t.server.sessions.get("bob", "phone"), session, "the same Session object");
      assert.deepEqual(events, ["session-hibernated", "session-resumed"]);
      // The resumed stream goes on counting from bob's h.
      back.client.send(`<a xmlns='${NS_SM}' h='${back.client.handled}'/>`);
      back.client.send(`<r xmlns='${NS_SM}'/>`);
      await back.client.expect((e) => e.name === "a", "<a/>");
      a.client.close();
      back.client.close();
    } finally {
      await proxy.close();
      await t.stop();
    }
  });

  it("a resume of a session that is still connected takes it over; the old stream gets conflict", async () => {
    const t = await startServer();
    try {
      await users(t);
      const a = await RawClient.login(t, "alice", "pw-a", "desk");
      const b = await RawClient.login(t, "bob", "pw-b", "phone");
      const id = (await b.client.enableSm()).attr("id")!;
      a.client.send(chat("bob@localhost/phone", "u1"));
      await b.client.expect((e) => e.attr("id") === "u1", "u1");
      const back = await RawClient.resume(t, "bob", "pw-b", id, 0);
      assert.equal(back.answer.name, "resumed");
      const err = await b.client.expectStreamError();
      assert.equal(err.condition, "conflict");
      await back.client.expect((e) => e.attr("id") === "u1", "u1 again: h=0 did not ack it");
      a.client.send(chat("bob@localhost/phone", "u2"));
      await back.client.expect((e) => e.attr("id") === "u2", "u2 on the new connection");
      a.client.close();
      back.client.close();
    } finally {
      await t.stop();
    }
  });

  it("while hibernated, presence is held newest-only (as for an inactive client); on resume bob gets it after the queued messages", async () => {
    const t = await startServer();
    try {
      await users(t);
      const a = await RawClient.login(t, "alice", "pw-a", "desk");
      const b = await RawClient.login(t, "bob", "pw-b", "phone");
      const id = (await b.client.enableSm()).attr("id")!;
      const phone = t.server.sessions.get("bob", "phone")!;
      b.client.socket.destroy();
      await until(() => phone.hibernated, "hibernation");
      for (const show of ["away", "xa", "dnd"]) {
        phone.send(
          parseElement(
            `<presence xmlns='jabber:client' from='alice@localhost/desk' to='bob@localhost/phone'><show>${show}</show></presence>`,
          ),
        );
      }
      // Straight into the session, as delivery does, so the order is exactly this.
      phone.send(
        parseElement(
          "<message xmlns='jabber:client' from='alice@localhost/desk' to='bob@localhost/phone' type='chat' id='h1'><body>hi</body></message>",
        ),
      );
      phone.send(
        parseElement(
          "<presence xmlns='jabber:client' from='alice@localhost/desk' to='bob@localhost/phone'><show>chat</show></presence>",
        ),
      );
      const back = await RawClient.resume(t, "bob", "pw-b", id, 0);
      assert.equal(back.answer.name, "resumed");
      await back.client.expect((e) => e.name === "presence" && e.getChildText("show") === "chat");
      const got = back.client.received.map(
        (e) => `${e.name}:${e.getChildText("show") ?? e.attr("id")}`,
      );
      assert.deepEqual(
        got.filter((g) => !g.startsWith("r:")),
        ["presence:dnd", "message:h1"],
        "the held presence went out before the message, then only the newest one",
      );
      a.client.close();
      back.client.close();
    } finally {
      await t.stop();
    }
  });

  it("a client that stops answering <r/> (the network went silent) is dropped; its session hibernates and resumes", async () => {
    const t = await startServer({ "sm.ack-seconds": "1" });
    const proxy = await startTcpProxy(t.c2sPort);
    try {
      await users(t);
      const a = await RawClient.login(t, "alice", "pw-a", "desk");
      const b = await RawClient.login(t, "bob", "pw-b", "phone", true, proxy.port);
      const id = (await b.client.enableSm()).attr("id")!;
      const session = t.server.sessions.get("bob", "phone")!;
      proxy.cut("silent");
      a.client.send(chat("bob@localhost", "s1"));
      await until(() => session.hibernated, "the unanswered request drops the connection");
      const back = await RawClient.resume(t, "bob", "pw-b", id, 0);
      assert.equal(back.answer.name, "resumed");
      await back.client.expect((e) => e.attr("id") === "s1", "s1");
      a.client.close();
      back.client.close();
    } finally {
      await proxy.close();
      await t.stop();
    }
  });

  it("a session that never comes back: its unacknowledged messages reach bob's other resource, with a delay, and only then does the session close", async () => {
    const t = await startServer({ "sm.resume-seconds": "1" });
    try {
      await users(t);
      const events = recordEvents(t, "bob");
      const a = await RawClient.login(t, "alice", "pw-a", "desk");
      const desk = await RawClient.login(t, "bob", "pw-b", "desk");
      const b = await RawClient.login(t, "bob", "pw-b", "phone");
      await b.client.enableSm();
      for (let i = 1; i <= 4; i++) a.client.send(chat("bob@localhost/phone", `n${i}`));
      await b.client.expect((e) => e.attr("id") === "n4", "n4");
      b.client.send(`<a xmlns='${NS_SM}' h='${b.client.handled}'/>`);
      for (let i = 5; i <= 10; i++) a.client.send(chat("bob@localhost/phone", `n${i}`));
      await b.client.expect((e) => e.attr("id") === "n10", "n10");
      b.client.socket.destroy();
      await until(() => events.includes("session-hibernated"), "hibernation");
      const rerouted: Element[] = [];
      for (let i = 5; i <= 10; i++)
        rerouted.push(await desk.client.expect((e) => e.attr("id") === `n${i}`, `n${i}`));
      await pause(200);
      assert.deepEqual(messageIds(desk.client), [], "n1-n4 were acknowledged: not resent");
      for (const m of rerouted) {
        assert.equal(m.attr("from"), "alice@localhost/desk");
        assert.ok(!Number.isNaN(Date.parse(m.getChild("delay", NS_DELAY)?.attr("stamp") ?? "")));
      }
      assert.deepEqual(events, ["session-hibernated", "session-closed"]);
      assert.equal(t.server.sessions.get("bob", "phone"), undefined);
      a.client.close();
      desk.client.close();
    } finally {
      await t.stop();
    }
  });

  it("without resumption, a lost connection ends the session at once and its unacknowledged messages go to offline storage", async () => {
    const t = await startServer();
    try {
      await users(t);
      const a = await RawClient.login(t, "alice", "pw-a", "desk");
      const b = await RawClient.login(t, "bob", "pw-b", "phone");
      await b.client.enableSm(false);
      for (let i = 1; i <= 6; i++) a.client.send(chat("bob@localhost", `o${i}`));
      await b.client.expect((e) => e.attr("id") === "o6", "o6");
      b.client.socket.destroy();
      await until(async () => (await t.storage.offline.count("bob")) === 6, "all six stored");
      const later = await RawClient.login(t, "bob", "pw-b", "phone");
      for (let i = 1; i <= 6; i++) {
        const m = await later.client.expect((e) => e.attr("id") === `o${i}`, `o${i}`);
        assert.ok(m.getChild("delay", NS_DELAY), "stamped with the time it was first sent");
      }
      a.client.close();
      later.client.close();
    } finally {
      await t.stop();
    }
  });

  it("more unacknowledged stanzas than sm.max-queue close the session with policy-violation; none are lost", async () => {
    const t = await startServer({ "sm.max-queue": "5" });
    try {
      await users(t);
      const a = await RawClient.login(t, "alice", "pw-a", "desk");
      const b = await RawClient.login(t, "bob", "pw-b", "phone");
      await b.client.enableSm();
      for (let i = 1; i <= 6; i++) a.client.send(chat("bob@localhost", `q${i}`));
      const err = await b.client.expectStreamError();
      assert.equal(err.condition, "policy-violation");
      assert.match(err.text ?? "", /more than 5 stanzas were not acknowledged/);
      await until(async () => (await t.storage.offline.count("bob")) === 6, "all six stored");
      assert.equal(t.server.sessions.get("bob", "phone"), undefined);
      a.client.close();
    } finally {
      await t.stop();
    }
  });

  it("messages routed again when a session ends unacknowledged keep their one delay and stanza id; offline storage and the archive take each once", async () => {
    const t = await startServer();
    const proxy = await startTcpProxy(t.c2sPort);
    try {
      await users(t);
      const a = await RawClient.login(t, "alice", "pw-a", "desk");
      const b = await RawClient.login(t, "bob", "pw-b", "phone", true, proxy.port);
      await b.client.enableSm(false);
      for (let i = 1; i <= 3; i++) a.client.send(chat("bob@localhost", `s${i}`));
      const live: Element[] = [];
      for (let i = 1; i <= 3; i++)
        live.push(await b.client.expect((e) => e.attr("id") === `s${i}`, `s${i}`));
      // Bob never acknowledges; his network dies.
      proxy.cut("reset");
      await until(async () => (await t.storage.offline.count("bob")) === 3, "all three stored");
      const later = await RawClient.login(t, "bob", "pw-b", "phone");
      for (let i = 1; i <= 3; i++) {
        const m = await later.client.expect((e) => e.attr("id") === `s${i}`, `s${i}`);
        const { delays, ids } = stamps(m);
        assert.equal(delays, 1, `s${i}: one delay`);
        assert.equal(m.getChild("delay", NS_DELAY)?.attr("from"), "localhost");
        assert.deepEqual(ids, stamps(live[i - 1]!).ids, `s${i}: the stanza id it first had`);
        assert.equal(ids.length, 1);
      }
      assert.equal(await archived(later.client), 3, "each message archived once");
      a.client.close();
      later.client.close();
    } finally {
      await proxy.close();
      await t.stop();
    }
  });

  it("messages routed again to bob's other resource come once, with the archive's stanza id; carbons are not sent twice", async () => {
    const t = await startServer();
    const proxy = await startTcpProxy(t.c2sPort);
    try {
      await users(t);
      const a = await RawClient.login(t, "alice", "pw-a", "desk");
      const carbonsOn = async (c: RawClient, priority: number) => {
        c.send(`<presence><priority>${priority}</priority></presence>`);
        c.send("<iq type='set' id='cc'><enable xmlns='urn:xmpp:carbons:2'/></iq>");
        await c.expect((e) => e.attr("id") === "cc", "carbons enabled");
      };
      const desk = (await RawClient.login(t, "bob", "pw-b", "desk", false)).client;
      await carbonsOn(desk, 1);
      const tablet = (await RawClient.login(t, "bob", "pw-b", "tablet", false)).client;
      await carbonsOn(tablet, 0);
      const b = await RawClient.login(t, "bob", "pw-b", "phone", true, proxy.port);
      await b.client.enableSm(false);
      const isCarbon = (c: RawClient) => () =>
        c.received.filter((e) => e.getChild("received", "urn:xmpp:carbons:2")).length;
      const carbonId = (e: Element) =>
        stamps(
          e
            .getChild("received", "urn:xmpp:carbons:2")!
            .getChild("forwarded", "urn:xmpp:forward:0")!
            .getChild("message")!,
        ).ids;
      for (let i = 1; i <= 3; i++) a.client.send(chat("bob@localhost/phone", `t${i}`));
      await b.client.expect((e) => e.attr("id") === "t3", "t3");
      await until(() => isCarbon(desk)() === 3 && isCarbon(tablet)() === 3, "three carbons each");
      const firstIds = desk.received
        .filter((e) => e.getChild("received", "urn:xmpp:carbons:2"))
        .map(carbonId);
      proxy.cut("reset");
      for (let i = 1; i <= 3; i++) {
        const m = await desk.expect((e) => e.attr("id") === `t${i}`, `t${i} at the desk`);
        const { delays, ids } = stamps(m);
        assert.equal(delays, 1, `t${i}: one delay`);
        assert.deepEqual(ids, firstIds[i - 1], `t${i}: the stanza id of its first delivery`);
      }
      await pause(200);
      assert.equal(isCarbon(tablet)(), 3, "no second carbon copies");
      assert.ok(!tablet.received.some((e) => e.attr("id")?.startsWith("t")));
      assert.equal(await archived(desk), 3, "each message archived once");
      a.client.close();
      desk.close();
      tablet.close();
    } finally {
      await proxy.close();
      await t.stop();
    }
  });
});
