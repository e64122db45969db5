// The admin console's charts read /admin/api/metrics/history: the metrics module's points
// become named series with units, other plain shapes are read too, and junk gives no series.

import assert from "node:assert/strict";
import { test } from "node:test";
import { toSeries } from "@hato/admin/views/metrics-data.js";

const point = (t: number, n: number) => ({
  t,
  connections: n,
  sessions: n - 1,
  stanzasPerSecond: { message: n / 2, presence: 0, iq: 1 },
  denialsPerSecond: 0,
  rssBytes: n * 1048576,
  heapBytes: 2 * 1048576,
});

test("the metrics module's history: one series per number, nested kinds flattened, bytes in MiB", () => {
  const s = toSeries({ intervalSeconds: 10, points: [point(2000, 4), point(1000, 3)] });
  const byName = new Map(s.map((x) => [x.name, x]));
  assert.deepEqual(byName.get("Open connections")?.points, [
    [1000, 3],
    [2000, 4],
  ]);
  assert.deepEqual(byName.get("Messages")?.points, [
    [1000, 1.5],
    [2000, 2],
  ]);
  assert.equal(byName.get("Messages")?.unit, "per second");
  assert.deepEqual(byName.get("Memory (resident)")?.points.at(-1), [2000, 4]);
  assert.equal(byName.get("Memory (resident)")?.unit, "MiB");
  assert.equal(s.length, 8);
});

test("named series of [time, value] pairs or {at, value} objects", () => {
  const s = toSeries({
    series: [
      { name: "a", points: [[1, 2]] },
      { name: "b", unit: "ms", points: [{ at: "2026-01-01T00:00:00Z", value: 5 }] },
    ],
  });
  assert.deepEqual(
    s.map((x) => [x.name, x.unit, x.points]),
    [
      ["a", "", [[1, 2]]],
      ["b", "ms", [[Date.parse("2026-01-01T00:00:00Z"), 5]]],
    ],
  );
});

test("junk, empty and non-finite values give no series", () => {
  for (const junk of [
    null,
    3,
    "x",
    {},
    [],
    { points: [{ t: "no" }] },
    { points: [{ t: 1, v: Infinity }] },
  ])
    assert.deepEqual(toSeries(junk), [], JSON.stringify(junk));
});
