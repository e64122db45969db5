// XEP-0077 transcripts: registration before login (TLS only, off by default), password change
// and account removal after it, and every refusal.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { HatoModule } from "@hato/core";
import { type Element, NS_SASL } from "@hato/xml";
import { RawClient, startServer, type TestServer } from "../support/inproc.js";
import { ask, condition, pause, errorText as text } from "../support/stanzas.js";

const NS = "jabber:iq:register";
const NS_FEATURE = "http://jabber.org/features/iq-register";

/** A TLS stream in the authentication phase, and the features it was offered. */
async function unauthenticated(t: TestServer): Promise<{ c: RawClient; features: Element }> {
  const c = await RawClient.connect(t.c2sPort);
  await c.starttls(t.ca);
  c.open();
  return { c, features: await c.expectName("features") };
}

const registration = (c: RawClient, id: string, user?: string, password?: string) =>
  ask(
    c,
    id,
    `<iq type='set' id='${id}'><query xmlns='${NS}'>` +
      (user === undefined ? "" : `<username>${user}</username>`) +
      (password === undefined ? "" : `<password>${password}</password>`) +
      "</query></iq>",
  );

const events: string[] = [];
const watcher: HatoModule = {
  name: "test-account-watcher",
  load(api) {
    api.hook("user-created", ({ username }) => void events.push(`created ${username}`));
    api.hook("user-deleted", ({ username }) => void events.push(`deleted ${username}`));
  },
};

describe("XEP-0077 when registration is off (the default)", () => {
  let t: TestServer;
  before(async () => {
    t = await startServer();
    await t.addUser("alice", "pw-alice-1");
  });
  after(() => t.stop());

  it("no register feature; a registration request is refused with a reason; the stream stays open", async () => {
    const { c, features } = await unauthenticated(t);
    assert.equal(features.getChild("register", NS_FEATURE), undefined);
    assert.ok(features.getChild("mechanisms", NS_SASL));
    const form = await ask(c, "r1", `<iq type='get' id='r1'><query xmlns='${NS}'/></iq>`);
    assert.equal(condition(form), "service-unavailable");
    assert.match(text(form), /registration is turned off/);
    const res = await registration(c, "r2", "mallory", "long-enough-pw");
    assert.equal(condition(res), "service-unavailable");
    await pause();
    assert.equal(c.closed, false);
    assert.equal(await t.storage.accounts.get("mallory"), undefined);
    c.close();
  });

  it("after login, password change and removal are refused too", async () => {
    const { client } = await RawClient.login(t, "alice", "pw-alice-1");
    const change = await ask(
      client,
      "c1",
      `<iq type='set' id='c1'><query xmlns='${NS}'><username>alice</username><password>new-password</password></query></iq>`,
    );
    assert.equal(condition(change), "service-unavailable");
    assert.match(text(change), /turned off/);
    const remove = await ask(
      client,
      "c2",
      `<iq type='set' id='c2' to='localhost'><query xmlns='${NS}'><remove/></query></iq>`,
    );
    assert.equal(condition(remove), "service-unavailable");
    assert.ok(await t.storage.accounts.get("alice"));
    client.close();
  });
});

describe("XEP-0077 when registration is on", () => {
  let t: TestServer;
  before(async () => {
    t = await startServer(
      {
        "register.enabled": "true",
        "register.per-address-per-hour": "4",
        "register.password-min-length": "8",
        "register.password-max-length": "20",
      },
      undefined,
      [watcher],
    );
    await t.addUser("alice", "pw-alice-1");
  });
  after(() => t.stop());

  it("plain text before STARTTLS: a registration request closes the stream", async () => {
    const c = await RawClient.connect(t.c2sPort);
    c.open();
    const features = await c.expectName("features");
    assert.equal(features.getChild("register", NS_FEATURE), undefined);
    c.send(`<iq type='get' id='p1'><query xmlns='${NS}'/></iq>`);
    assert.equal((await c.expectStreamError()).condition, "policy-violation");
    c.close();
  });

  it("zoe asks for the form, registers, and logs in with SCRAM; only keys are stored", async () => {
    const { c, features } = await unauthenticated(t);
    assert.ok(features.getChild("register", NS_FEATURE), "feature offered before login");
    const form = await ask(c, "f1", `<iq type='get' id='f1'><query xmlns='${NS}'/></iq>`);
    assert.equal(form.attr("type"), "result");
    const query = form.getChild("query", NS)!;
    assert.ok(query.getChildText("instructions"));
    assert.ok(query.getChild("username") && query.getChild("password"));
    const res = await registration(c, "f2", "Zoe", "zoe-secret-1");
    assert.equal(res.attr("type"), "result");
    c.close();

    const account = await t.storage.accounts.get("zoe");
    assert.ok(account, "the name is prepared (case-mapped) like the CLI's");
    assert.ok(account.scram.sha256.storedKey.length > 0);
    assert.ok(!JSON.stringify(account).includes("zoe-secret-1"));
    assert.ok(events.includes("created zoe"));
    const { client, jid } = await RawClient.login(t, "zoe", "zoe-secret-1", "r");
    assert.equal(jid, "zoe@localhost/r");
    client.close();
  });

  it("a taken name gets conflict; bad names and passwords get not-acceptable with the reason", async () => {
    const { c } = await unauthenticated(t);
    const taken = await registration(c, "t1", "alice", "another-pw-1");
    assert.equal(condition(taken), "conflict");
    assert.match(text(taken), /taken/);
    const cases: [string | undefined, string | undefined, RegExp][] = [
      [undefined, "long-enough-1", /username is required/],
      ["", "long-enough-1", /username is required/],
      ["bad@name", "long-enough-1", /cannot be a username/],
      ["newbie", undefined, /at least 8 characters/],
      ["newbie", "short", /at least 8 characters/],
      ["newbie", "x".repeat(21), /at most 20 characters/],
    ];
    let n = 0;
    for (const [user, pw, why] of cases) {
      const res = await registration(c, `b${++n}`, user, pw);
      assert.equal(condition(res), "not-acceptable", `${user}/${pw}`);
      assert.match(text(res), why);
    }
    assert.equal(await t.storage.accounts.get("newbie"), undefined);
    const removal = await ask(
      c,
      "b9",
      `<iq type='set' id='b9'><query xmlns='${NS}'><remove/></query></iq>`,
    );
    assert.equal(condition(removal), "not-authorized");
    c.close();
  });

  it("one address may try only so often an hour", async () => {
    // Counted so far from this address: zoe and the taken name (2 of 4).
    const { c } = await unauthenticated(t);
    assert.equal((await registration(c, "l1", "user3", "password-3")).attr("type"), "result");
    assert.equal((await registration(c, "l2", "user4", "password-4")).attr("type"), "result");
    const refused = await registration(c, "l3", "user5", "password-5");
    assert.equal(condition(refused), "policy-violation");
    assert.equal(refused.getChild("error")?.attr("type"), "wait");
    assert.match(text(refused), /too many registrations/);
    assert.equal(await t.storage.accounts.get("user5"), undefined);
    c.close();
  });

  it("after login: the form says registered; the password changes; only one's own", async () => {
    const { client } = await RawClient.login(t, "user3", "password-3");
    const form = await ask(client, "g1", `<iq type='get' id='g1'><query xmlns='${NS}'/></iq>`);
    assert.ok(form.getChild("query", NS)?.getChild("registered"));
    assert.equal(form.getChild("query", NS)?.getChildText("username"), "user3");
    const change = (id: string, user: string, pw: string) =>
      ask(
        client,
        id,
        `<iq type='set' id='${id}' to='localhost'><query xmlns='${NS}'><username>${user}</username><password>${pw}</password></query></iq>`,
      );
    const other = await change("c1", "alice", "hijacked-pw");
    assert.equal(condition(other), "not-allowed");
    assert.match(text(other), /only your own/);
    assert.equal(condition(await change("c2", "user3", "short")), "not-acceptable");
    const bare = await ask(
      client,
      "c3",
      `<iq type='set' id='c3' to='alice@localhost'><query xmlns='${NS}'><username>alice</username><password>hijacked-pw</password></query></iq>`,
    );
    assert.equal(condition(bare), "service-unavailable");
    assert.equal((await change("c4", "user3", "brand-new-pw")).attr("type"), "result");
    client.close();
    await assert.rejects(RawClient.login(t, "user3", "password-3"), /login failed/);
    const again = await RawClient.login(t, "user3", "brand-new-pw");
    again.client.close();
    const alice = await RawClient.login(t, "alice", "pw-alice-1");
    alice.client.close();
  });

  it("<remove/> deletes the account and closes all its sessions", async () => {
    const one = await RawClient.login(t, "user4", "password-4", "one");
    const two = await RawClient.login(t, "user4", "password-4", "two");
    const res = await ask(
      one.client,
      "d1",
      `<iq type='set' id='d1'><query xmlns='${NS}'><remove/></query></iq>`,
    );
    assert.equal(res.attr("type"), "result");
    for (const s of [one, two]) {
      const err = await s.client.expectStreamError();
      assert.equal(err.condition, "not-authorized");
      assert.match(err.text ?? "", /deleted/);
    }
    assert.equal(await t.storage.accounts.get("user4"), undefined);
    assert.ok(events.includes("deleted user4"));
    await assert.rejects(RawClient.login(t, "user4", "password-4"), /login failed/);
  });
});
