// KeyLogWatcher's decisions over fake ports (the real server is in keylog-watch.test.ts): each
// device's verdict, a full answer that may hide keys of our own address, a hostile device
// list, and acknowledged keys kept in the state.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  type KeyLogMemory,
  type KeyLogPorts,
  KeyLogWatcher,
  type LoggedKey,
  type SignedHead,
} from "@hato/sdk";

const NS = "eu.siacs.conversations.axolotl";
const ik = (n: number) => n.toString(16).padStart(64, "0");
const HEAD: SignedHead = { size: 100, root: ik(0), timestamp: 1, signature: "s", key: "k" };
const leaf = (jid: string, index: number, device: number, key: number): LoggedKey => ({
  jid,
  index,
  ns: NS,
  device,
  ik: ik(key),
  at: `2026-11-22T12:00:${String(index % 60).padStart(2, "0")}.000Z`,
});

function ports(over: Partial<KeyLogPorts> & { logged?: LoggedKey[] }): KeyLogPorts {
  const logged = over.logged ?? [];
  return {
    self: "me@x",
    head: async () => HEAD,
    keysOf: async (jid) => logged.filter((k) => k.jid === jid),
    mine: async () => [{ ns: NS, device: 1, ik: ik(1) }],
    devicesOf: async () => [],
    ...over,
  };
}

function state(initial?: unknown) {
  const s = {
    data: initial as unknown,
    load: async () => s.data,
    save: async (m: KeyLogMemory) => {
      s.data = structuredClone(m);
    },
  };
  return s;
}

describe("KeyLogWatcher decisions", () => {
  it("a contact's devices: logged, mismatch, not logged, no bundle", async () => {
    const w = new KeyLogWatcher(
      ports({
        logged: [leaf("bob@x", 3, 10, 10), leaf("bob@x", 4, 11, 11)],
        devicesOf: async () => [
          { ns: NS, device: 10, ik: ik(10) },
          { ns: NS, device: 11, ik: ik(99) },
          { ns: NS, device: 12, ik: ik(12) },
          { ns: NS, device: 13 },
        ],
      }),
      state(),
      { intervalMs: 0 },
    );
    await w.checkContact("bob@x");
    const r = w.contact("bob@x");
    assert.equal(r?.state, "ok");
    assert.deepEqual(r.state === "ok" && r.devices.map((d) => [d.device, d.status, d.at]), [
      [10, "logged", "2026-11-22T12:00:03.000Z"],
      [11, "mismatch", undefined],
      [12, "not-logged", undefined],
      [13, "no-bundle", undefined],
    ]);
    w.stop();
  });

  it("a device missing from a full answer is not shown, not 'not logged'", async () => {
    const logged = [20, 21, 22].map((i) => leaf("bob@x", i, i, i));
    const w = new KeyLogWatcher(
      ports({
        logged,
        devicesOf: async () => [
          { ns: NS, device: 21, ik: ik(21) },
          { ns: NS, device: 5, ik: ik(5) },
        ],
      }),
      state(),
      { intervalMs: 0, leavesPerAnswer: 3 },
    );
    await w.checkContact("bob@x");
    const r = w.contact("bob@x");
    assert.deepEqual(r?.state === "ok" && r.devices.map((d) => [d.device, d.status]), [
      [21, "logged"],
      [5, "not-shown"],
    ]);
    w.stop();
  });

  it("a contact on another server is not looked up in our log", async () => {
    let asked = 0;
    const w = new KeyLogWatcher(
      ports({
        devicesOf: async () => {
          asked++;
          return [{ ns: NS, device: 1, ik: ik(1) }];
        },
      }),
      state(),
      { intervalMs: 0 },
    );
    await w.checkContact("bob@elsewhere.example");
    assert.deepEqual(w.contact("bob@elsewhere.example"), { state: "elsewhere" });
    assert.equal(asked, 0);
    w.stop();
  });

  it("a hostile device list is cut at 100 devices", async () => {
    const many = Array.from({ length: 5000 }, (_, i) => ({ ns: NS, device: i + 1, ik: ik(i) }));
    const w = new KeyLogWatcher(ports({ devicesOf: async () => many }), state(), {
      intervalMs: 0,
    });
    await w.checkContact("bob@x");
    const r = w.contact("bob@x");
    assert.equal(r?.state === "ok" && r.devices.length, 100);
    w.stop();
  });

  it("our own address: a changed key of our device, a new device; acknowledged ones stay quiet", async () => {
    const s = state();
    const logged = [leaf("me@x", 0, 1, 1), leaf("me@x", 5, 1, 7), leaf("me@x", 6, 2, 2)];
    const w = new KeyLogWatcher(ports({ logged }), s, { intervalMs: 0 });
    await w.check();
    assert.deepEqual(
      w.alerts.map((a) => [a.kind, a.key.device, a.text]),
      [
        [
          "changed-key",
          1,
          "The key of this device (1) was replaced on your account at 2026-11-22T12:00:05.000Z.",
        ],
        [
          "new-device",
          2,
          "A device you did not add appeared on your account: device 2, added at 2026-11-22T12:00:06.000Z.",
        ],
      ],
    );
    await w.acknowledge(w.alerts[1]!);
    assert.deepEqual((s.data as KeyLogMemory).acknowledged, [{ ns: NS, device: 2, ik: ik(2) }]);
    w.stop();
    const again = new KeyLogWatcher(ports({ logged }), s, { intervalMs: 0 });
    await again.check();
    assert.deepEqual(
      again.alerts.map((a) => a.key.device),
      [1],
    );
    again.stop();
  });

  it("a full answer newer than our last check may hide keys: a visible failure", async () => {
    const logged = [50, 51, 52].map((i) => leaf("me@x", i, 100 + i, 100 + i));
    const s = state({ v: 1, acknowledged: [], ownChecked: 10 });
    const w = new KeyLogWatcher(ports({ logged }), s, { intervalMs: 0, leavesPerAnswer: 3 });
    await w.check();
    assert.equal(w.status.state === "failed" && w.status.problem, "too-many-keys");
    assert.equal((s.data as KeyLogMemory).ownChecked, 10);
    // The same full answer right after a check that saw everything up to index 60 is fine.
    s.data = { v: 1, acknowledged: [], ownChecked: 60 };
    const w2 = new KeyLogWatcher(ports({ logged }), s, { intervalMs: 0, leavesPerAnswer: 3 });
    await w2.check();
    assert.equal(w2.status.state, "ok");
    assert.equal((s.data as KeyLogMemory).ownChecked, 100);
    w.stop();
    w2.stop();
  });

  it("a state that cannot be saved is a failed check, not an exception", async () => {
    const w = new KeyLogWatcher(
      ports({}),
      {
        load: async () => undefined,
        save: async () => {
          throw new Error("QuotaExceededError");
        },
      },
      { intervalMs: 0 },
    );
    await w.check();
    assert.equal(w.status.state === "failed" && w.status.problem, "unavailable");
    assert.match(w.status.state === "failed" ? w.status.message : "", /QuotaExceededError/);
    w.stop();
  });

  it("checks asked for while one runs are folded into one more round", async () => {
    let heads = 0;
    const w = new KeyLogWatcher(
      ports({
        head: async () => {
          heads++;
          return HEAD;
        },
      }),
      state(),
      { intervalMs: 0 },
    );
    await Promise.all([w.check(), w.check(), w.check(), w.checkContact("a@x")]);
    assert.equal(heads, 2);
    w.stop();
  });
});
