// Invite links (XEP-0401) redeemed with XEP-0445 pre-authenticated registration, as
// transcripts: the invitee sends the token, registers, and every way a token can be refused.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { inviteKey } from "@hato/core";
import { type Element, NS_STANZAS_ERR } from "@hato/xml";
import { auditEntryWhere, RawClient, startServer, type TestServer } from "../support/inproc.js";
import { ask, condition, errorText, pause } from "../support/stanzas.js";

const NS = "jabber:iq:register";
const NS_PARS = "urn:xmpp:pars:0";
const NS_IBR_TOKEN = "urn:xmpp:ibr-token:0";

async function stream(t: TestServer): Promise<{ c: RawClient; features: Element }> {
  const c = await RawClient.connect(t.c2sPort);
  await c.starttls(t.ca);
  c.open();
  return { c, features: await c.expectName("features") };
}

const preauth = (c: RawClient, id: string, token: string) =>
  ask(
    c,
    id,
    `<iq type='set' id='${id}' to='localhost'><preauth xmlns='${NS_PARS}' token='${token}'/></iq>`,
  );

const registration = (c: RawClient, id: string, user: string, password = "a-long-password") =>
  ask(
    c,
    id,
    `<iq type='set' id='${id}'><query xmlns='${NS}'><username>${user}</username><password>${password}</password></query></iq>`,
  );

/** Preauth then registration on one fresh stream; both answers. */
async function redeem(t: TestServer, token: string, user: string) {
  const { c } = await stream(t);
  const pre = await preauth(c, "p", token);
  const reg = pre.attr("type") === "result" ? await registration(c, "r", user) : undefined;
  c.close();
  return { pre, reg };
}

describe("invites: registration: invite (register.enabled stays off)", () => {
  let t: TestServer;
  before(async () => {
    t = await startServer({ "register.per-address-per-hour": "100" });
    assert.ok(t.server.policy.applyText("registration: invite\n").ok);
    await t.addUser("alice", "pw-alice-1");
  });
  after(() => t.stop());

  it("the server offers XEP-0445's feature and XEP-0077's; without a token: not-allowed", async () => {
    const { c, features } = await stream(t);
    assert.ok(features.getChild("register", NS_IBR_TOKEN), "urn:xmpp:ibr-token:0 offered");
    assert.ok(features.getChild("register", "http://jabber.org/features/iq-register"));
    const r = await registration(c, "n1", "mallory");
    assert.equal(condition(r), "not-allowed");
    assert.match(errorText(r), /by invitation only/);
    assert.equal(await t.storage.accounts.get("mallory"), undefined);
    c.close();
  });

  it("juliet redeems a token: preauth result, registration result, login; the invite is used", async () => {
    const inv = await t.server.invites.create({ by: "alice", note: "for Juliet" });
    assert.match(inv.token, /^[A-Za-z0-9]{43}$/);
    assert.equal(inv.uri, `xmpp:localhost?register;preauth=${inv.token}`);
    assert.match(inv.url, new RegExp(`^https://localhost:\\d+/invite#${inv.token}$`));
    const { pre, reg } = await redeem(t, inv.token, "Juliet");
    assert.equal(pre.attr("type"), "result");
    assert.equal(reg?.attr("type"), "result");
    const { client, jid } = await RawClient.login(t, "juliet", "a-long-password", "r");
    assert.equal(jid, "juliet@localhost/r");
    client.close();
    const [listed] = (await t.server.invites.list()).filter((i) => i.id === inv.id);
    assert.equal(listed?.state, "used");
    assert.equal(listed?.usedBy, "juliet");
    assert.ok(!JSON.stringify(await t.server.invites.list()).includes(inv.token));
    // Only the hash is stored.
    assert.ok(await t.storage.kv.get("invites", "", inviteKey(inv.token)));
    const entry = await auditEntryWhere(
      t,
      (e) => e.kind === "invite-redeemed" && e.subject === inv.id,
    );
    assert.equal(entry.actor, "juliet");
    assert.equal(entry.address, "127.0.0.1");
    const created = await auditEntryWhere(
      t,
      (e) => e.kind === "invite-created" && e.subject === inv.id,
    );
    assert.equal(created.actor, "alice");
    assert.deepEqual(JSON.parse(String(created.details)), {
      expiresAt: inv.expiresAt,
      note: "for Juliet",
    });
    const all = JSON.stringify(await t.storage.audit.list({ limit: 10_000 }));
    assert.ok(!all.includes(inv.token), "no token in the audit log");
  });

  it("single use: the same token again gets item-not-found 'already used', and is recorded", async () => {
    const inv = await t.server.invites.create({ by: "alice" });
    assert.equal((await redeem(t, inv.token, "romeo")).reg?.attr("type"), "result");
    const { pre, reg } = await redeem(t, inv.token, "tybalt");
    assert.equal(reg, undefined);
    assert.equal(condition(pre), "item-not-found");
    assert.equal(pre.getChild("error")?.attr("type"), "cancel");
    assert.match(errorText(pre), /already used/);
    assert.equal(await t.storage.accounts.get("tybalt"), undefined);
    const e = await auditEntryWhere(
      t,
      (x) => x.kind === "registration-refused" && /already used/.test(String(x.details)),
    );
    assert.equal(e.address, "127.0.0.1");
  });

  it("expiry counts at preauth (refused once expired), not after it (XEP-0445 §4)", async () => {
    const inv = await t.server.invites.create({ by: "alice", expiresInHours: 1 });
    const { c } = await stream(t);
    assert.equal((await preauth(c, "p1", inv.token)).attr("type"), "result");
    await expire(t, inv.token);
    assert.equal((await registration(c, "r1", "mercutio")).attr("type"), "result");
    c.close();

    const late = await t.server.invites.create({ by: "alice" });
    await expire(t, late.token);
    const { pre } = await redeem(t, late.token, "benvolio");
    assert.equal(condition(pre), "item-not-found");
    assert.match(errorText(pre), /expired/);
    assert.equal((await t.server.invites.list()).find((i) => i.id === late.id)?.state, "expired");
  });

  it("revoked: refused at preauth, and at registration when revoked in between", async () => {
    const inv = await t.server.invites.create({ by: "alice" });
    assert.equal(await t.server.invites.revoke(inv.id, "alice"), true);
    assert.equal(await t.server.invites.revoke(inv.id, "alice"), false, "only once");
    assert.equal(await t.server.invites.revoke("no-such-id"), false);
    const { pre } = await redeem(t, inv.token, "paris");
    assert.equal(condition(pre), "item-not-found");
    assert.match(errorText(pre), /withdrawn/);

    const second = await t.server.invites.create({ by: "alice" });
    const { c } = await stream(t);
    assert.equal((await preauth(c, "p2", second.token)).attr("type"), "result");
    await t.server.invites.revoke(second.id);
    const r = await registration(c, "r2", "paris");
    assert.equal(condition(r), "not-allowed");
    assert.match(errorText(r), /withdrawn/);
    c.close();
    assert.equal(await t.storage.accounts.get("paris"), undefined);
    await auditEntryWhere(t, (e) => e.kind === "invite-revoked" && e.subject === inv.id);
  });

  it("race: two streams with one token register at once; exactly one account is made", async () => {
    const inv = await t.server.invites.create({ by: "alice" });
    const a = await stream(t);
    const b = await stream(t);
    assert.equal((await preauth(a.c, "pa", inv.token)).attr("type"), "result");
    assert.equal((await preauth(b.c, "pb", inv.token)).attr("type"), "result");
    const [ra, rb] = await Promise.all([
      registration(a.c, "ra", "cain"),
      registration(b.c, "rb", "abel"),
    ]);
    const types = [ra.attr("type"), rb.attr("type")].sort();
    assert.deepEqual(types, ["error", "result"]);
    const loser = ra.attr("type") === "error" ? ra : rb;
    assert.equal(condition(loser), "not-allowed");
    assert.match(errorText(loser), /already used/);
    const made = [await t.storage.accounts.get("cain"), await t.storage.accounts.get("abel")];
    assert.equal(made.filter(Boolean).length, 1);
    a.c.close();
    b.c.close();
  });

  it("race in the service: ten redeemers of one invite, one wins", async () => {
    const inv = await t.server.invites.create({ by: "alice" });
    const check = await t.server.invites.check(inv.token);
    assert.ok(check.ok);
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        t.server.invites.redeem(check.key, `racer${i}`, "192.0.2.1", async () => {}),
      ),
    );
    assert.equal(results.filter((r) => r.ok).length, 1);
    assert.ok(results.filter((r) => !r.ok).every((r) => !r.ok && r.reason === "used"));
  });

  it("a name that is taken gives the invite back (not used until registration succeeded)", async () => {
    const inv = await t.server.invites.create({ by: "alice" });
    const { c } = await stream(t);
    assert.equal((await preauth(c, "p3", inv.token)).attr("type"), "result");
    const taken = await registration(c, "r3", "alice");
    assert.equal(condition(taken), "conflict");
    assert.equal((await t.server.invites.list()).find((i) => i.id === inv.id)?.state, "open");
    assert.equal((await registration(c, "r4", "rosaline")).attr("type"), "result");
    c.close();
  });

  it("bad tokens: unknown, malformed, oversized, missing, wrong IQ type; the stream stays open", async () => {
    const { c } = await stream(t);
    const unknown = await preauth(c, "b1", "A".repeat(43));
    assert.equal(condition(unknown), "item-not-found");
    assert.match(errorText(unknown), /does not exist/);
    const malformed = await preauth(c, "b2", "not a token&amp;");
    assert.equal(condition(malformed), "item-not-found");
    assert.match(errorText(malformed), /not an invite token/);
    const huge = await preauth(c, "b3", "x".repeat(20_000));
    assert.equal(condition(huge), "item-not-found");
    const missing = await ask(c, "b4", `<iq type='set' id='b4'><preauth xmlns='${NS_PARS}'/></iq>`);
    assert.equal(condition(missing), "bad-request");
    const get = await ask(
      c,
      "b5",
      `<iq type='get' id='b5'><preauth xmlns='${NS_PARS}' token='x'/></iq>`,
    );
    assert.equal(condition(get), "bad-request");
    assert.equal(
      get.getChild("error")?.getChild("bad-request", NS_STANZAS_ERR)?.name,
      "bad-request",
    );
    await pause();
    assert.equal(c.closed, false);
    c.close();
  });

  it("oversize input with a valid token: a huge username or password is refused, the invite stays open", async () => {
    const inv = await t.server.invites.create({ by: "alice" });
    const { c } = await stream(t);
    assert.equal((await preauth(c, "o1", inv.token)).attr("type"), "result");
    const name = await registration(c, "o2", "n".repeat(20_000));
    assert.equal(condition(name), "not-acceptable");
    assert.ok(errorText(name).length < 200, "the refusal does not echo the whole name");
    const pw = await registration(c, "o3", "longpass", "p".repeat(5000));
    assert.equal(condition(pw), "not-acceptable");
    assert.match(errorText(pw), /at most 1024 characters/);
    assert.equal((await t.server.invites.list()).find((i) => i.id === inv.id)?.state, "open");
    c.close();
  });

  it("create refuses an expiry or a note out of range", async () => {
    await assert.rejects(
      t.server.invites.create({ by: "x", expiresInHours: 0 }),
      /1 to 8760 hours/,
    );
    await assert.rejects(
      t.server.invites.create({ by: "x", expiresInHours: 1e6 }),
      /1 to 8760 hours/,
    );
    await assert.rejects(
      t.server.invites.create({ by: "x", note: "n".repeat(201) }),
      /at most 200/,
    );
    await assert.rejects(t.server.invites.create({ by: "x", note: "two\nlines" }), /one line/);
  });
});

describe("invites: other registration rules", () => {
  let t: TestServer;
  before(async () => {
    t = await startServer({ "register.per-address-per-hour": "3" });
  });
  after(() => t.stop());

  it("off: a token is refused with not-allowed, and the features are not offered", async () => {
    assert.ok(t.server.policy.applyText("registration: off\n").ok);
    const inv = await t.server.invites.create({ by: "cli" });
    const { c, features } = await stream(t);
    assert.equal(features.getChild("register", NS_IBR_TOKEN), undefined);
    const pre = await preauth(c, "o1", inv.token);
    assert.equal(condition(pre), "not-allowed");
    assert.match(errorText(pre), /does not allow creating accounts/);
    c.close();
  });

  it("open with register.enabled off (the default): in-band registration stays off, tokens too", async () => {
    assert.ok(t.server.policy.applyText("registration: open\n").ok);
    const inv = await t.server.invites.create({ by: "cli" });
    const { pre } = await redeem(t, inv.token, "nobody");
    assert.equal(condition(pre), "service-unavailable");
    assert.match(errorText(pre), /turned off/);
  });

  it("guessing tokens is limited per address and hour", async () => {
    assert.ok(t.server.policy.applyText("registration: invite\n").ok);
    const { c } = await stream(t);
    for (const id of ["g1", "g2", "g3"]) {
      assert.equal(condition(await preauth(c, id, "B".repeat(43))), "item-not-found");
    }
    const limited = await preauth(c, "g4", "B".repeat(43));
    assert.equal(condition(limited), "policy-violation");
    assert.match(errorText(limited), /too many invalid invite tokens/);
    // Past the limit a valid token gets the same answer: no oracle for guessers.
    const valid = await t.server.invites.create({ by: "cli" });
    assert.equal(condition(await preauth(c, "g5", valid.token)), "policy-violation");
    c.close();
  });
});

/** Moves an invite's expiry into the past, as time passing would. */
async function expire(t: TestServer, token: string): Promise<void> {
  const key = inviteKey(token);
  const stored = JSON.parse((await t.storage.kv.get("invites", "", key))!) as { expiresAt: string };
  stored.expiresAt = new Date(Date.now() - 1000).toISOString();
  await t.storage.kv.set("invites", "", key, JSON.stringify(stored));
}
