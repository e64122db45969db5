// Prometheus metrics (docs/metrics.md), driven by real traffic: connections by transport,
// sessions, stanzas by kind and direction, the delivery latency histogram, policy denials,
// login failures; the text is checked by a strict exposition parser, and the history stays
// bounded.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { RawClient, startServer, type TestServer } from "../support/inproc.js";
import { type Family, parseExposition, sampleValue } from "../support/prometheus.js";
import { condition } from "../support/stanzas.js";
import { WsClient } from "../support/ws-client.js";

/** Waits (without a time limit of its own beyond the test's) until `ok` holds. */
async function until(ok: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`never happened: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe("metrics", () => {
  let t: TestServer;
  const scrape = async (): Promise<Map<string, Family>> =>
    parseExposition(await t.server.metrics.text());

  before(async () => {
    t = await startServer({ "metrics.history-points": "5" });
    for (const u of ["alice", "bob"]) await t.addUser(u, `pw-${u}`);
  });
  after(() => t.stop());

  it("counts connections by transport and sessions, up and down again", async () => {
    const before = await scrape();
    const tcp = () => sampleValue(before, "hato_connections", { transport: "tcp" });
    assert.equal(sampleValue(before, "hato_sessions"), 0);
    const alice = await RawClient.login(t, "alice", "pw-alice", "desk");
    const bob = await WsClient.login(t.tlsPort, t.ca, "bob", "pw-bob", "phone");
    const during = await scrape();
    assert.equal(sampleValue(during, "hato_connections", { transport: "tcp" }), tcp() + 1);
    assert.equal(sampleValue(during, "hato_connections", { transport: "websocket" }), 1);
    assert.equal(sampleValue(during, "hato_sessions"), 2);
    assert.equal(
      sampleValue(during, "hato_connections_opened_total", { transport: "websocket" }) -
        sampleValue(before, "hato_connections_opened_total", { transport: "websocket" }),
      1,
    );
    alice.client.close();
    bob.client.ws.close();
    await until(
      () => t.server.sessions.size === 0 && t.server.metrics.hot.connections[1] === 0,
      "both connections closed",
    );
    const later = await scrape();
    assert.equal(sampleValue(later, "hato_connections", { transport: "tcp" }), tcp());
    assert.equal(sampleValue(later, "hato_connections", { transport: "websocket" }), 0);
    assert.equal(sampleValue(later, "hato_sessions"), 0);
  });

  it("counts stanzas in and out by kind and times each delivery in the histogram", async () => {
    const { client: alice } = await RawClient.login(t, "alice", "pw-alice", "desk");
    const { client: bob, jid: bobJid } = await WsClient.login(t.tlsPort, t.ca, "bob", "pw-bob");
    // Both initial presences counted before the first reading.
    await until(
      () => [...t.server.sessions.all()].filter((s) => s.available).length === 2,
      "both sessions available",
    );
    const before = await scrape();
    for (let i = 0; i < 5; i++)
      alice.send(
        `<message to='${bobJid}' type='chat' id='m${i}'><body>hello ${i}</body></message>`,
      );
    for (let i = 0; i < 5; i++)
      await bob.expect((e) => e.name === "message" && e.attr("id") === `m${i}`, `m${i}`);
    alice.send("<iq type='get' id='p1'><ping xmlns='urn:xmpp:ping'/></iq>");
    await alice.expect((e) => e.attr("id") === "p1", "ping result");
    const now = await scrape();
    const moved = (name: string, labels: Record<string, string>) =>
      sampleValue(now, name, labels) - sampleValue(before, name, labels);
    assert.equal(moved("hato_stanzas_total", { kind: "message", direction: "in" }), 5);
    assert.equal(moved("hato_stanzas_total", { kind: "message", direction: "out" }), 5);
    assert.equal(moved("hato_stanzas_total", { kind: "iq", direction: "in" }), 1);
    assert.equal(moved("hato_stanzas_total", { kind: "iq", direction: "out" }), 1);
    assert.equal(moved("hato_stanzas_total", { kind: "presence", direction: "in" }), 0);
    // Each of the five messages was timed once, from alice's stream to bob's.
    assert.equal(moved("hato_delivery_seconds_count", { kind: "message" }), 5);
    assert.equal(moved("hato_delivery_seconds_bucket", { kind: "message", le: "+Inf" }), 5);
    const sum = moved("hato_delivery_seconds_sum", { kind: "message" });
    assert.ok(sum > 0, `a delivery takes some time (sum ${sum})`);
    // The ping's answer is the server's reply, not a delivery of the ping: not timed.
    assert.equal(moved("hato_delivery_seconds_count", { kind: "iq" }), 0);
    alice.close();
    bob.ws.close();
    await until(() => t.server.sessions.size === 0, "sessions closed");
  });

  it("counts policy denials by rule and refused logins by condition", async () => {
    const r = t.server.policy.applyText("encryption: required\n");
    assert.ok(r.ok);
    try {
      const { client: alice } = await RawClient.login(t, "alice", "pw-alice", "desk");
      const before = await scrape();
      alice.send("<message to='bob@localhost' type='chat' id='x'><body>plain</body></message>");
      const err = await alice.expect((e) => e.attr("id") === "x", "the refusal");
      assert.equal(condition(err), "policy-violation");
      const wrong = await RawClient.connect(t.c2sPort);
      await wrong.starttls(t.ca);
      const failure = await wrong.authenticate("bob", "not-the-password");
      assert.equal(failure.name, "failure");
      const now = await scrape();
      const moved = (name: string, labels: Record<string, string>) =>
        sampleValue(now, name, labels) - sampleValue(before, name, labels);
      assert.equal(moved("hato_policy_denials_total", { rule: "encryption" }), 1);
      assert.equal(moved("hato_auth_failures_total", { condition: "not-authorized" }), 1);
      wrong.close();
      alice.close();
    } finally {
      t.server.policy.applyText("{}");
    }
  });

  it("exposes prom-client's process metrics with the hato_ prefix", async () => {
    const m = await scrape();
    assert.ok(sampleValue(m, "hato_process_resident_memory_bytes") > 0);
    assert.ok(sampleValue(m, "hato_nodejs_heap_size_used_bytes") > 0);
    assert.equal(m.get("hato_delivery_seconds")?.type, "histogram");
    assert.equal(m.get("hato_stanzas_total")?.type, "counter");
  });

  it("the strict parser used here refuses what Prometheus would", () => {
    const head = "# HELP h x\n# TYPE h histogram\n";
    const bad = [
      "x 1\n", // no TYPE
      "# TYPE x counter\nx -1\n", // a negative counter
      '# TYPE x gauge\nx{a="1"} 1\nx{a="1"} 2\n', // a duplicate series
      "# TYPE x gauge\nx{a=1} 1\n", // an unquoted label value
      "# TYPE x gauge\nx 1e\n", // not a number
      "# TYPE x gauge\nx 1", // no final newline
      `${head}h_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_count 1\nh_sum 1\n`, // not cumulative
      `${head}h_bucket{le="1"} 1\nh_count 1\nh_sum 1\n`, // no +Inf
      `${head}h_bucket{le="+Inf"} 2\nh_count 1\nh_sum 1\n`, // count differs
    ];
    for (const text of bad) assert.throws(() => parseExposition(text), Error, text);
    const ok = `${head}h_bucket{le="1"} 1\nh_bucket{le="+Inf"} 2\nh_count 2\nh_sum 3.5\n`;
    assert.equal(sampleValue(parseExposition(ok), "h_count"), 2);
  });

  it("keeps a bounded history of rates, oldest point first", async () => {
    const metrics = t.server.metrics;
    const start = Date.now();
    for (let i = 1; i <= 12; i++) {
      metrics.hot.stanzas[0]! += 20; // 20 messages in each 10-second step: 2 per second
      metrics.sample(start + i * 10_000);
    }
    const h = metrics.history();
    assert.equal(h.intervalSeconds, 10);
    assert.equal(h.points.length, 5, "history-points is 5");
    assert.deepEqual(
      h.points.map((p) => p.t),
      [8, 9, 10, 11, 12].map((i) => start + i * 10_000),
    );
    for (const p of h.points) {
      assert.equal(p.stanzasPerSecond.message, 2);
      assert.equal(p.denialsPerSecond, 0);
      assert.ok(p.rssBytes > 0 && p.heapBytes > 0);
    }
    metrics.hot.stanzas[0]! -= 240;
  });
});
