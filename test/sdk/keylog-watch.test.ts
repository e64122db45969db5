// The SDK's KeyLogWatcher against a real in-process server (docs/key-transparency.md, "The
// client's checks"): contacts' OMEMO keys are found in the log; a device someone else adds to
// our account raises an alert (acknowledged once, remembered); and a lying log (a head signed
// with another key, history rewritten, tampered proofs, a remembered head that was forged)
// is a visible failure that never replaces the remembered head.

import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { createKeyLog, type KeyLogFaults } from "@hato/modules";
import { HatoClient, type KeyLogWatcher, MemoryOmemoStore, type WatchProblem } from "@hato/sdk";
import { startServer, type TestServer } from "../support/inproc.js";
import { MemoryKeyLogState, wsTrusting } from "../support/sdk.js";

const NS = "eu.siacs.conversations.axolotl";

/** Resolves once `pred` holds, re-checking after each change of `w` (no timing thresholds). */
function whenWatcher(w: KeyLogWatcher, pred: () => boolean): Promise<void> {
  if (pred()) return Promise.resolve();
  return new Promise((resolve) => {
    const off = w.on("change", () => {
      if (!pred()) return;
      off();
      resolve();
    });
  });
}

function failedWith(w: KeyLogWatcher, problem: WatchProblem): string {
  const s = w.status;
  assert.equal(s.state, "failed", `expected a failure, status is ${JSON.stringify(s)}`);
  assert.equal(s.state === "failed" && s.problem, problem, s.state === "failed" ? s.message : "");
  return s.state === "failed" ? s.message : "";
}

describe("KeyLogWatcher over a real server", () => {
  let t: TestServer;
  const faults: KeyLogFaults = {};
  const keylog = createKeyLog({ faults });
  const clients: HatoClient[] = [];
  const stores = { alice: new MemoryOmemoStore(), bob: new MemoryOmemoStore() };
  const aliceState = new MemoryKeyLogState();
  let alice: HatoClient;
  let bob: HatoClient;
  let watcher: KeyLogWatcher;

  function client(user: string, store: MemoryOmemoStore, resource: string): HatoClient {
    const c = new HatoClient({
      service: `wss://127.0.0.1:${t.tlsPort}/xmpp-websocket`,
      jid: `${user}@localhost`,
      password: "pw",
      resource,
      WebSocket: wsTrusting(t.ca),
      omemo: store,
    });
    clients.push(c);
    return c;
  }

  before(async () => {
    t = await startServer({}, undefined, [keylog]);
    for (const u of ["alice", "bob", "carol"]) await t.addUser(u, "pw");
    bob = client("bob", stores.bob, "phone");
    await bob.connect();
    alice = client("alice", stores.alice, "web");
    // Periodic checks off: every check in these tests is asked for or event-driven.
    watcher = alice.watchKeyLog(aliceState, { intervalMs: 0 });
    await alice.connect();
    await whenWatcher(watcher, () => watcher.status.state !== "starting");
  });
  after(async () => {
    watcher.stop();
    for (const c of clients) if (c.status === "online") await c.disconnect();
    await t.stop();
  });

  it("after sign-in the head is verified and remembered; our own key raises no alert", async () => {
    assert.equal(watcher.status.state, "ok", JSON.stringify(watcher.status));
    assert.deepEqual(watcher.alerts, []);
    const head = aliceState.memory.head;
    // bob's and alice's device keys: two leaves.
    assert.equal(head?.size, 2);
    // The pinned key is the server's log key.
    assert.equal(head?.key, keylog.service()?.publicKey);
  });

  it("a contact's OMEMO device keys are found in the log", async () => {
    assert.equal(watcher.contact("bob@localhost"), undefined);
    watcher.watch("bob@localhost");
    await whenWatcher(watcher, () => watcher.contact("bob@localhost") !== undefined);
    const r = watcher.contact("bob@localhost");
    assert.equal(r?.state, "ok", JSON.stringify(r));
    const bobDevice = (await stores.bob.loadOwn())!.deviceId;
    assert.deepEqual(r.state === "ok" && r.devices.map((d) => [d.ns, d.device, d.status]), [
      [NS, bobDevice, "logged"],
    ]);
    // carol has no OMEMO device: nothing to check, nothing wrong.
    await watcher.checkContact("carol@localhost");
    assert.deepEqual(watcher.contact("carol@localhost"), { state: "ok", devices: [], size: 2 });
  });

  it("a device someone else adds to our account raises an alert, until acknowledged", async () => {
    const alerted = new Promise<string>((resolve) => {
      const off = watcher.on("alert", (a) => {
        off();
        resolve(a.text);
      });
    });
    // Someone with alice's password signs in elsewhere and publishes OMEMO keys: alice's own
    // device list changes, her client hears of it and checks the log.
    const intruderStore = new MemoryOmemoStore();
    const intruder = client("alice", intruderStore, "elsewhere");
    await intruder.connect();
    const text = await alerted;
    const device = (await intruderStore.loadOwn())!.deviceId;
    assert.match(
      text,
      new RegExp(
        `^A device you did not add appeared on your account: device ${device}, added at \\d{4}-`,
      ),
    );
    assert.deepEqual(
      watcher.alerts.map((a) => [a.kind, a.key.device]),
      [["new-device", device]],
    );
    await intruder.disconnect();

    // Still there on the next check and for a new watcher over the same state ...
    await watcher.check();
    assert.equal(watcher.alerts.length, 1);
    // ... until the user says it is theirs: then never again, also after a restart.
    await watcher.acknowledge(watcher.alerts[0]!);
    assert.deepEqual(watcher.alerts, []);
    await watcher.check();
    assert.deepEqual(watcher.alerts, []);
    const again = alice.watchKeyLog(aliceState, { intervalMs: 0 });
    await again.check();
    again.stop();
    assert.equal(again.status.state, "ok");
    assert.deepEqual(again.alerts, []);
  });

  it("a head signed with another key is a failure; the remembered head stays", async () => {
    const kept = structuredClone(aliceState.memory.head);
    faults.signWith = generateKeyPairSync("ed25519").privateKey;
    try {
      await watcher.check();
      assert.match(failedWith(watcher, "bad-signature"), /invalid signature/);
      assert.deepEqual(aliceState.memory.head, kept);
    } finally {
      delete faults.signWith;
    }
    await watcher.check();
    assert.equal(watcher.status.state, "ok");
  });

  it("history rewritten and re-signed with the real key is caught by consistency", async () => {
    const kept = structuredClone(aliceState.memory.head);
    const failures: WatchProblem[] = [];
    const off = watcher.on("failure", (p) => failures.push(p));
    faults.swapLeaf = { index: 0, ik: "ee".repeat(32) };
    try {
      await watcher.check();
      assert.match(failedWith(watcher, "inconsistent"), /history was changed/);
      assert.deepEqual(aliceState.memory.head, kept);
      assert.deepEqual(failures, ["inconsistent"]);
    } finally {
      delete faults.swapLeaf;
      off();
    }
    await watcher.check();
    assert.equal(watcher.status.state, "ok");
  });

  it("tampered proofs: a contact's key is not included, a grown log is not consistent", async () => {
    faults.tamperProofs = true;
    try {
      await watcher.checkContact("bob@localhost");
      const r = watcher.contact("bob@localhost");
      assert.equal(r?.state === "failed" && r.problem, "not-included", JSON.stringify(r));
      failedWith(watcher, "not-included");
      // carol's first device key grows the log: the proof from alice's head is tampered too.
      const kept = structuredClone(aliceState.memory.head);
      const carol = client("carol", new MemoryOmemoStore(), "laptop");
      await carol.connect();
      await watcher.check();
      failedWith(watcher, "inconsistent");
      assert.deepEqual(aliceState.memory.head, kept);
      await carol.disconnect();
    } finally {
      delete faults.tamperProofs;
    }
    await watcher.checkContact("bob@localhost");
    assert.equal(watcher.status.state, "ok");
    assert.equal(watcher.contact("bob@localhost")?.state, "ok");
  });

  it("a remembered head that was forged (larger, another root, another key) or damaged fails", async () => {
    const real = structuredClone(aliceState.memory);
    const head = real.head!;
    const otherKey = Buffer.from(
      generateKeyPairSync("ed25519").publicKey.export({ format: "jwk" }).x ?? "",
      "base64url",
    ).toString("base64");
    const cases: [unknown, WatchProblem][] = [
      [{ ...real, head: { ...head, size: head.size + 5 } }, "inconsistent"],
      [{ ...real, head: { ...head, root: "ab".repeat(32) } }, "inconsistent"],
      [{ ...real, head: { ...head, key: otherKey } }, "key-changed"],
      [{ ...real, head: { ...head, size: "many" } }, "state-damaged"],
      ["not json at all", "state-damaged"],
    ];
    for (const [data, problem] of cases) {
      const state = new MemoryKeyLogState();
      state.data = data;
      const w = alice.watchKeyLog(state, { intervalMs: 0 });
      await w.check();
      w.stop();
      failedWith(w, problem);
      assert.deepEqual(state.data, data, "the forged memory is not overwritten");
    }
  });
});
