// Token buckets of the policy's rate limits, on a clock the test moves by hand.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  BURST_SECONDS,
  type Denial,
  DenialCoalescer,
  LoginLimiter,
  MIN_STANZA_BURST,
  UserRates,
} from "./rates.js";

function clock() {
  let t = 1_000_000;
  return {
    now: () => t,
    advance: (ms: number) => {
      t += ms;
    },
  };
}

describe("UserRates", () => {
  it("lets a burst through, then refuses until tokens come back at the rate", () => {
    const c = clock();
    const rates = new UserRates(() => ({ stanzasPerSecond: 10, bytesPerSecond: undefined }), c.now);
    const burst = 10 * BURST_SECONDS;
    for (let i = 0; i < burst; i++) assert.deepEqual(rates.stanza("alice"), { ok: true });
    assert.deepEqual(rates.stanza("alice"), { ok: false, limit: 10, waitMs: 100 });
    c.advance(100);
    assert.deepEqual(rates.stanza("alice"), { ok: true });
    assert.equal(rates.stanza("alice").ok, false);
    // Another user has a bucket of their own.
    assert.deepEqual(rates.stanza("bob"), { ok: true });
  });

  it("gives a low rate the smallest burst a client needs to log in", () => {
    const c = clock();
    const rates = new UserRates(() => ({ stanzasPerSecond: 1, bytesPerSecond: undefined }), c.now);
    for (let i = 0; i < MIN_STANZA_BURST; i++) assert.ok(rates.stanza("alice").ok);
    assert.equal(rates.stanza("alice").ok, false);
  });

  it("never limits a user whose rules set no rate", () => {
    const rates = new UserRates(() => ({ stanzasPerSecond: undefined, bytesPerSecond: undefined }));
    for (let i = 0; i < 10_000; i++) assert.ok(rates.stanza("alice").ok);
    assert.equal(rates.bytes("alice", 1e9).waitMs, 0);
  });

  it("charges bytes into debt and says how long to stop reading", () => {
    const c = clock();
    const rates = new UserRates(
      () => ({ stanzasPerSecond: undefined, bytesPerSecond: 1000 }),
      c.now,
    );
    assert.deepEqual(rates.bytes("alice", 5000), { waitMs: 0, limit: 1000 });
    assert.deepEqual(rates.bytes("alice", 2000), { waitMs: 2000, limit: 1000 });
    c.advance(2000);
    assert.deepEqual(rates.bytes("alice", 500), { waitMs: 500, limit: 1000 });
    rates.forget("alice");
    assert.equal(rates.size, 0);
  });
});

describe("LoginLimiter", () => {
  it("lets the rule's logins per minute in, then says when to try again", () => {
    const c = clock();
    const logins = new LoginLimiter(() => 6, 100, c.now);
    for (let i = 0; i < 6; i++) assert.deepEqual(logins.take("192.0.2.1"), { ok: true });
    assert.deepEqual(logins.take("192.0.2.1"), { ok: false, retryAfterSeconds: 10 });
    assert.deepEqual(logins.take("192.0.2.2"), { ok: true });
    c.advance(10_000);
    assert.deepEqual(logins.take("192.0.2.1"), { ok: true });
  });

  it("lets everyone in when the policy sets no limit", () => {
    const logins = new LoginLimiter(() => undefined);
    for (let i = 0; i < 1000; i++) assert.deepEqual(logins.take("192.0.2.1"), { ok: true });
    assert.equal(logins.size, 0);
  });

  it("remembers at most its cap of addresses, forgetting the least recently seen", () => {
    const c = clock();
    const logins = new LoginLimiter(() => 1, 3, c.now);
    assert.ok(logins.take("a").ok);
    assert.equal(logins.take("a").ok, false);
    for (const x of ["b", "c", "d"]) logins.take(x);
    assert.equal(logins.size, 3);
    // "a" was forgotten to make room: it starts again with a full bucket.
    assert.ok(logins.take("a").ok);
    assert.equal(logins.size, 3);
  });

  it("sweeps addresses whose bucket is full again", () => {
    const c = clock();
    const logins = new LoginLimiter(() => 60, 100, c.now);
    logins.take("a");
    c.advance(500);
    logins.expire();
    assert.equal(logins.size, 1);
    c.advance(1000);
    logins.expire();
    assert.equal(logins.size, 0);
  });
});

describe("DenialCoalescer", () => {
  it("reports the first denial at once and the repeats as one count per interval", () => {
    const c = clock();
    const out: Denial[] = [];
    const d = new DenialCoalescer((x) => out.push(x), 60_000, 100, c.now);
    const denial = { user: "alice", rule: "rate-limits", text: "slow down" };
    for (let i = 0; i < 500; i++) d.deny("alice/stanzas", denial);
    assert.deepEqual(out, [denial]);
    d.flush();
    assert.equal(out.length, 1);
    c.advance(60_000);
    d.flush();
    assert.deepEqual(out[1], { ...denial, count: 499 });
    c.advance(60_000);
    d.flush(); // a quiet interval: nothing to report, and the kind is forgotten
    assert.equal(out.length, 2);
    d.deny("alice/stanzas", denial);
    assert.deepEqual(out[2], denial);
  });

  it("reports everything counted when flushed at shutdown", () => {
    const out: Denial[] = [];
    const d = new DenialCoalescer((x) => out.push(x));
    const denial = { user: "bob", rule: "rate-limits", text: "slow down" };
    d.deny("k", denial);
    d.deny("k", denial);
    d.flush(true);
    assert.deepEqual(out, [denial, { ...denial, count: 1 }]);
  });

  it("tracks at most its cap of kinds, reporting the oldest early", () => {
    const out: Denial[] = [];
    const d = new DenialCoalescer((x) => out.push(x), 60_000, 2);
    const of = (user: string) => ({ user, rule: "rate-limits", text: "t" });
    d.deny("a", of("a"));
    d.deny("a", of("a"));
    d.deny("b", of("b"));
    d.deny("c", of("c"));
    assert.deepEqual(out, [of("a"), of("b"), { ...of("a"), count: 1 }, of("c")]);
  });
});
