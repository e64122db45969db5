// The organisation's rate limits (docs/policy.md `rate-limits`): stanzas per second per user
// (refused with policy-violation, type wait, naming the limit; errors and IQ results wait
// instead), bytes per second per user (reading slows down, nothing is lost), logins per minute
// per address (temporary-auth-failure saying when to try again), each recorded in the audit
// log without flooding it. Also SASL's <account-disabled/> for a locked account.

import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import { type Element, NS_SASL } from "@hato/xml";
import { RawClient, startServer, type TestServer } from "../support/inproc.js";
import { condition, errorText, pause } from "../support/stanzas.js";
import { WsClient } from "../support/ws-client.js";

const NS_PING = "urn:xmpp:ping";
const STANZA_TEXT = "your organisation allows 1 stanzas per second; slow down";
const ping = (id: string) =>
  `<iq type='get' id='${id}' to='localhost'><ping xmlns='${NS_PING}'/></iq>`;

/** Sends `n` pings in one write and waits for every answer; returns results and refusals. */
async function pings(c: RawClient, prefix: string, n: number) {
  c.send(Array.from({ length: n }, (_, i) => ping(`${prefix}${i}`)).join(""));
  const answers: Element[] = [];
  for (let i = 0; i < n; i++)
    answers.push(await c.expect((e) => e.attr("id") === `${prefix}${i}`, `${prefix}${i}`));
  return {
    ok: answers.filter((a) => a.attr("type") === "result").length,
    refused: answers.filter((a) => a.attr("type") === "error"),
  };
}

type Entry = { kind: string; actor?: string | null; address?: string | null; details: string };

async function entries(t: TestServer, kind: string): Promise<Entry[]> {
  return ((await t.storage.audit.list({ limit: 10_000 })) as Entry[]).filter(
    (e) => e.kind === kind,
  );
}

describe("rate limits: stanzas and bytes per second per user", () => {
  let t: TestServer;
  const apply = (text: string) => {
    const r = t.server.policy.applyText(text);
    assert.ok(r.ok, r.ok ? "" : r.errors.join("\n"));
  };
  before(async () => {
    t = await startServer();
    for (const u of ["alice", "bob", "carol", "dave"]) await t.addUser(u, `pw-${u}`);
  });
  after(() => t.stop());
  beforeEach(() => apply("{}"));

  it("a burst passes; past it each stanza gets policy-violation (wait) naming the limit; the audit hears it once", async () => {
    apply("rate-limits: { stanzas-per-second: 1 }\n");
    const { client: alice } = await RawClient.login(t, "alice", "pw-alice", "desk", false);
    // The burst is 30 stanzas for a rate of 1 (docs/policy.md); 60 pings go past it.
    const r = await pings(alice, "p", 60);
    assert.ok(r.ok >= 30, `the burst passed (${r.ok} answered)`);
    assert.ok(r.refused.length > 0 && r.ok + r.refused.length === 60);
    for (const e of r.refused) {
      assert.equal(condition(e), "policy-violation");
      assert.equal(e.getChild("error")?.attr("type"), "wait");
      assert.equal(errorText(e), STANZA_TEXT);
      assert.equal(e.attr("to"), "alice@localhost/desk");
    }
    await pause();
    const denied = (await entries(t, "policy-denied")).filter((e) => e.actor === "alice");
    assert.equal(denied.length, 1, "one entry, however many were refused");
    assert.deepEqual(JSON.parse(denied[0]!.details), { rule: "rate-limits", text: STANZA_TEXT });
    alice.close();
  });

  it("all sessions of a user share one budget; another user has their own", async () => {
    apply("rate-limits: { stanzas-per-second: 1 }\n");
    const desk = (await RawClient.login(t, "bob", "pw-bob", "desk", false)).client;
    const phone = (await RawClient.login(t, "bob", "pw-bob", "phone", false)).client;
    const carol = (await RawClient.login(t, "carol", "pw-carol", "desk", false)).client;
    const first = await pings(desk, "d", 30);
    assert.equal(first.refused.length, 0);
    // The phone's budget is the one the desk just spent.
    const second = await pings(phone, "f", 10);
    assert.ok(second.refused.length > 0, "the second session is over the shared rate");
    const other = await pings(carol, "c", 30);
    assert.equal(other.refused.length, 0, "carol is not slowed down by bob");
    for (const c of [desk, phone, carol]) c.close();
  });

  it("errors and IQ results over the rate are not refused (that is forbidden) nor dropped: they wait", async () => {
    apply("rate-limits: { stanzas-per-second: 1 }\n");
    const { client: dave } = await RawClient.login(t, "dave", "pw-dave", "desk", false);
    const { client: bob } = await RawClient.login(t, "bob", "pw-bob", "tab", false);
    const spent = await pings(dave, "s", 40);
    assert.ok(spent.refused.length > 0, "dave is over the rate");
    dave.send(
      "<message type='error' id='e1' to='bob@localhost/tab'><error type='cancel'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></message>" +
        "<iq type='result' id='r1' to='bob@localhost/tab'/>",
    );
    // Both arrive (once the rate allows them), in order, and dave hears no error about them.
    const err = await bob.expect((e) => e.attr("id") === "e1", "the error message");
    assert.equal(err.attr("type"), "error");
    const res = await bob.expect((e) => e.attr("id") === "r1", "the iq result");
    assert.equal(res.attr("type"), "result");
    assert.ok(!dave.received.some((e) => e.attr("id") === "e1" || e.attr("id") === "r1"));
    dave.close();
    bob.close();
  });

  it("bytes over the rate slow reading down: the big message and what follows all arrive", async () => {
    apply("rate-limits: { bytes-per-second: 10000 }\n");
    const { client: carol } = await RawClient.login(t, "carol", "pw-carol", "big", false);
    const { client: bob } = await RawClient.login(t, "bob", "pw-bob", "big", false);
    // 5 seconds of burst (50 000 bytes), then 70 000 bytes in one go: in debt, reading stops.
    const body = "x".repeat(70_000);
    carol.send(
      `<message type='chat' id='big' to='bob@localhost/big'><body>${body}</body></message>`,
    );
    carol.send(ping("after"));
    const got = await bob.expect((e) => e.attr("id") === "big", "the big message");
    assert.equal(got.getChildText("body"), body);
    const answer = await carol.expect((e) => e.attr("id") === "after", "the ping after it");
    assert.equal(answer.attr("type"), "result");
    const slowed = (await entries(t, "policy-denied")).filter((e) => e.actor === "carol");
    assert.equal(slowed.length, 1);
    assert.deepEqual(JSON.parse(slowed[0]!.details), {
      rule: "rate-limits",
      text: "reading slowed down: your organisation allows 10000 bytes per second",
    });
    carol.close();
    bob.close();
  });

  it("over WebSocket too: bytes over the rate slow reading, nothing is lost", async () => {
    apply("rate-limits: { bytes-per-second: 10000 }\n");
    const { client: ws } = await WsClient.login(t.tlsPort, t.ca, "dave", "pw-dave", "ws");
    const { client: bob } = await RawClient.login(t, "bob", "pw-bob", "ws", false);
    for (let i = 0; i < 3; i++)
      ws.send(
        `<message xmlns='jabber:client' type='chat' id='w${i}' to='bob@localhost/ws'><body>${"y".repeat(30_000)}</body></message>`,
      );
    for (let i = 0; i < 3; i++) await bob.expect((e) => e.attr("id") === `w${i}`, `w${i}`);
    const slowed = (await entries(t, "policy-denied")).filter((e) => e.actor === "dave");
    assert.ok(slowed.some((e) => JSON.parse(e.details).text.startsWith("reading slowed down")));
    ws.kill();
    bob.close();
  });

  it("a reload applies at once: no rate, no refusal", async () => {
    apply("rate-limits: { stanzas-per-second: 1 }\n");
    const { client: alice } = await RawClient.login(t, "alice", "pw-alice", "reload", false);
    assert.ok((await pings(alice, "a", 40)).refused.length > 0);
    apply("{}");
    assert.equal((await pings(alice, "b", 40)).refused.length, 0);
    alice.close();
  });
});

describe("rate limits: the coalesced audit entry counts the refusals", () => {
  it("the first refusal at once, the rest as one entry with their count (written at the latest at shutdown)", async () => {
    const t = await startServer();
    await t.addUser("alice", "pw-alice");
    assert.ok(t.server.policy.applyText("rate-limits: { stanzas-per-second: 1 }\n").ok);
    const { client } = await RawClient.login(t, "alice", "pw-alice", "desk", false);
    const r = await pings(client, "p", 80);
    client.close();
    await t.stop();
    const denied = (await entries(t, "policy-denied")).map((e) => JSON.parse(e.details));
    assert.deepEqual(denied, [
      { rule: "rate-limits", text: STANZA_TEXT },
      { rule: "rate-limits", text: STANZA_TEXT, count: r.refused.length - 1 },
    ]);
  });
});

describe("rate limits: logins per minute per address", () => {
  let t: TestServer;
  before(async () => {
    t = await startServer();
    await t.addUser("alice", "pw-alice");
    assert.ok(t.server.policy.applyText("rate-limits: { logins-per-minute-per-address: 2 }\n").ok);
  });
  after(() => t.stop());

  async function login(password = "pw-alice"): Promise<Element> {
    const c = await RawClient.connect(t.c2sPort);
    await c.starttls(t.ca);
    const outcome = await c.authenticate("alice", password);
    c.close();
    return outcome;
  }

  it("the budget's logins pass; the next gets temporary-auth-failure saying when to try again; recorded", async () => {
    assert.equal((await login()).name, "success");
    assert.equal((await login("wrong")).name, "failure"); // a failed login is a login too
    const refused = await login();
    assert.equal(refused.name, "failure");
    assert.ok(refused.getChild("temporary-auth-failure", NS_SASL));
    const text = refused.getChildText("text") ?? "";
    assert.match(text, /^too many logins from your address; try again in \d+ seconds$/);
    const seconds = Number(/in (\d+) seconds/.exec(text)![1]);
    assert.ok(
      seconds >= 1 && seconds <= 30,
      `2 per minute: one comes back within 30 s (${seconds})`,
    );
    await pause();
    const denied = await entries(t, "policy-denied");
    assert.equal(denied.length, 1);
    assert.equal(denied[0]!.address, "127.0.0.1");
    assert.deepEqual(JSON.parse(denied[0]!.details), { rule: "rate-limits", text });
  });

  it("server.logins is the same limiter (the admin console's login takes from it)", () => {
    const r = t.server.logins.take("127.0.0.1");
    assert.equal(r.ok, false);
    assert.ok(!r.ok && r.retryAfterSeconds >= 1);
    assert.deepEqual(t.server.logins.take("192.0.2.7"), { ok: true });
  });

  it("without the rule nobody is limited", async () => {
    assert.ok(t.server.policy.applyText("{}").ok);
    for (let i = 0; i < 4; i++) assert.equal((await login()).name, "success");
  });
});

describe("SASL and locked accounts", () => {
  let t: TestServer;
  before(async () => {
    t = await startServer();
    await t.addUser("mallory", "pw-mallory");
    await t.storage.accounts.update("mallory", { disabled: true });
  });
  after(() => t.stop());

  const login = async (password: string) => {
    const c = await RawClient.connect(t.c2sPort);
    await c.starttls(t.ca);
    const outcome = await c.authenticate("mallory", password);
    c.close();
    return outcome;
  };

  it("the right password gets <account-disabled/> with a text; the audit records the refusal", async () => {
    const f = await login("pw-mallory");
    assert.equal(f.name, "failure");
    assert.ok(f.getChild("account-disabled", NS_SASL));
    assert.equal(
      f.getChildText("text"),
      "this account is locked by an administrator; ask them to unlock it",
    );
    await pause();
    const failed = (await entries(t, "auth-failed")).at(-1)!;
    assert.equal(failed.actor, "mallory");
    assert.equal(JSON.parse(failed.details).condition, "account-disabled");
  });

  it("a wrong password gets not-authorized, as for any account: the lock is not revealed", async () => {
    const f = await login("guess");
    assert.ok(f.getChild("not-authorized", NS_SASL));
  });
});
