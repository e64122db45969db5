// Unit tests of the collectors: the stanza-path counters, the latency buckets, the
// bounded label sets, the history ring and the event observers.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { xml } from "@hato/xml";
import { EventBus } from "../events.js";
import { PointRing } from "./history.js";
import { HotCounters, LATENCY_BUCKETS, LatencyHistogram } from "./hot.js";
import { Metrics } from "./metrics.js";

const WIDTH = LATENCY_BUCKETS.length + 1;

function newMetrics(enabled = true) {
  const bus = new EventBus(() => {});
  const m = new Metrics({
    enabled,
    historyIntervalSeconds: 10,
    historyPoints: 3,
    bus,
    sessions: { size: 7 },
  });
  return { bus, m };
}

/** The value of one sample line in the exposition text. */
function line(text: string, series: string): number | undefined {
  const l = text.split("\n").find((x) => x.startsWith(`${series} `));
  return l === undefined ? undefined : Number(l.slice(series.length + 1));
}

describe("metrics collectors", () => {
  it("puts a latency on the bucket whose upper bound is the first not below it", () => {
    const h = new LatencyHistogram();
    h.observe(0, 0.0001); // exactly a bound: le is inclusive
    h.observe(0, 0.00010001);
    h.observe(2, 99);
    assert.equal(h.counts[0], 1);
    assert.equal(h.counts[1], 1);
    assert.equal(h.counts[2 * WIDTH + LATENCY_BUCKETS.length], 1, "+Inf");
    assert.equal(h.sums[2], 99);
  });

  it("times a stanza delivered during its intake, and not the server's own replies", () => {
    const hot = new HotCounters(true);
    const msg = xml("message", { to: "bob@localhost/phone" });
    hot.accepted(msg);
    hot.written(xml("iq", { type: "result" })); // another element: counted, not timed
    hot.written(msg);
    hot.intakeDone(msg);
    assert.deepEqual([...hot.stanzas], [1, 0, 0, 1, 0, 1]);
    const counts = hot.latency.counts;
    const timed = (k: number) => counts.slice(k * WIDTH, (k + 1) * WIDTH).reduce((a, b) => a + b);
    assert.equal(timed(0), 1);
    assert.equal(timed(2), 0);
  });

  it("times a stanza routed asynchronously when it is written later", () => {
    const hot = new HotCounters(true);
    const msg = xml("message", { to: "bob@localhost" });
    hot.accepted(msg);
    hot.intakeDone(msg);
    hot.written(msg);
    hot.written(msg); // a second session of bob: a second delivery
    assert.equal(
      hot.latency.counts.slice(0, WIDTH).reduce((a, b) => a + b),
      2,
    );
  });

  it("does not time what an inactive session held, nor count anything when off", () => {
    const hot = new HotCounters(true);
    const p = xml("presence", { to: "bob@localhost/phone" });
    hot.accepted(p);
    hot.held(p);
    hot.intakeDone(p);
    hot.written(p); // flushed later
    assert.equal(
      hot.latency.counts.reduce((a, b) => a + b),
      0,
    );
    const off = new HotCounters(false);
    off.connectionOpened("websocket");
    off.accepted(p);
    off.written(p);
    assert.deepEqual([...off.stanzas, ...off.connections], [0, 0, 0, 0, 0, 0, 0, 0]);
  });

  it("counts denials, verdicts and login failures from the server's events", async () => {
    const { bus, m } = newMetrics();
    bus.fire("policy-denied", { user: "a", rule: "files", text: "no" });
    bus.fire("policy-denied", { user: "a", rule: "files", text: "no" });
    const verdict = { user: "a", slot: "s", name: "n", size: 1, sha256: "x", engine: "clamd" };
    bus.fire("upload-verdict", { ...verdict, verdict: "infected" });
    bus.fire("auth-failed", { address: "::1", mechanism: "PLAIN", condition: "not-authorized" });
    const text = await m.text();
    assert.equal(line(text, 'hato_policy_denials_total{rule="files"}'), 2);
    assert.equal(line(text, 'hato_scan_verdicts_total{verdict="infected",engine="clamd"}'), 1);
    assert.equal(line(text, 'hato_auth_failures_total{condition="not-authorized"}'), 1);
    assert.equal(line(text, "hato_sessions"), 7);
    m.stop();
  });

  it("bounds a label's values: past 64 the rest count as other", async () => {
    const { bus, m } = newMetrics();
    for (let i = 0; i < 70; i++) bus.fire("policy-denied", { user: "a", rule: `r${i}`, text: "" });
    const text = await m.text();
    assert.equal(
      text.split("\n").filter((l) => l.startsWith("hato_policy_denials_total")).length,
      65,
    );
    assert.equal(line(text, 'hato_policy_denials_total{rule="other"}'), 6);
    m.stop();
  });

  it("writes the histogram cumulatively with +Inf equal to the count", async () => {
    const { m } = newMetrics();
    m.hot.latency.observe(0, 0.0003);
    m.hot.latency.observe(0, 0.002);
    const text = await m.text();
    assert.equal(line(text, 'hato_delivery_seconds_bucket{kind="message",le="0.00025"}'), 0);
    assert.equal(line(text, 'hato_delivery_seconds_bucket{kind="message",le="0.0005"}'), 1);
    assert.equal(line(text, 'hato_delivery_seconds_bucket{kind="message",le="0.0025"}'), 2);
    assert.equal(line(text, 'hato_delivery_seconds_bucket{kind="message",le="+Inf"}'), 2);
    assert.equal(line(text, 'hato_delivery_seconds_count{kind="message"}'), 2);
    m.stop();
  });

  it("keeps the last N history points, oldest first", () => {
    const ring = new PointRing(3);
    const point = (t: number) => ({
      t,
      connections: 0,
      sessions: 0,
      stanzasPerSecond: { message: 0, presence: 0, iq: 0 },
      denialsPerSecond: 0,
      rssBytes: 0,
      heapBytes: 0,
    });
    assert.deepEqual(ring.toArray(), []);
    for (let t = 1; t <= 7; t++) ring.push(point(t));
    assert.deepEqual(
      ring.toArray().map((p) => p.t),
      [5, 6, 7],
    );
  });

  it("samples rates over the time between points", () => {
    const { bus, m } = newMetrics();
    assert.equal(m.sample(1_000).stanzasPerSecond.iq, 0, "the first point has no rate");
    m.hot.stanzas[2]! += 30;
    bus.fire("policy-denied", { user: "a", rule: "files", text: "" });
    const p = m.sample(11_000);
    assert.equal(p.stanzasPerSecond.iq, 3);
    assert.equal(p.denialsPerSecond, 0.1);
    assert.equal(m.history().points.length, 2);
    m.stop();
  });
});
