// The key log watcher and vetter over urn:xmpp:omemo:2 (packages/sdk/src/keylog/watch-client.ts,
// vet.ts): our own OMEMO 2 key is one of ours (no "device you did not add" alert), contacts'
// OMEMO 2 devices are checked against the log, and an OMEMO 2 device the server publishes
// without logging it gets no key in our messages, as in the legacy namespace.

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { createKeyLog, type KeyLogFaults } from "@hato/modules";
import {
  HatoClient,
  type KeyLogWatcher,
  MemoryOmemo2Store,
  MemoryOmemoStore,
  OmemoError,
} from "@hato/sdk";
import { startServer, type TestServer } from "../support/inproc.js";
import { MemoryKeyLogState, nextMessageFrom, wsTrusting } from "../support/sdk.js";

const NS2 = "urn:xmpp:omemo:2";

describe("the key log over OMEMO 2 devices", () => {
  let t: TestServer;
  const faults: KeyLogFaults = {};
  const keylog = createKeyLog({ faults });
  const clients: HatoClient[] = [];
  let alice: HatoClient;
  const aliceStore2 = new MemoryOmemo2Store();
  let watcher: KeyLogWatcher;

  /** A client with only OMEMO 2 (as a Converse.js or python-omemo twomemo user), unless `legacy`. */
  function client(
    user: string,
    resource: string,
    store2 = new MemoryOmemo2Store(),
    legacy = false,
  ): HatoClient {
    const c = new HatoClient({
      service: `wss://127.0.0.1:${t.tlsPort}/xmpp-websocket`,
      jid: `${user}@localhost`,
      password: "pw",
      resource,
      WebSocket: wsTrusting(t.ca),
      ...(legacy ? { omemo: new MemoryOmemoStore() } : {}),
      omemo2: store2,
    });
    clients.push(c);
    return c;
  }

  before(async () => {
    t = await startServer({}, undefined, [keylog]);
    for (const u of ["alice", "bob", "carol"]) await t.addUser(u, "pw");
    // alice speaks both namespaces, as the web client does.
    alice = client("alice", "web", aliceStore2, true);
    watcher = alice.watchKeyLog(new MemoryKeyLogState(), { intervalMs: 0 });
    await alice.connect();
    await watcher.check();
  });
  after(async () => {
    watcher.stop();
    for (const c of clients) if (c.status === "online") await c.disconnect();
    await t.stop();
  });

  it("our own OMEMO 2 key is in the log and raises no alert", async () => {
    assert.equal(watcher.status.state, "ok", JSON.stringify(watcher.status));
    assert.deepEqual(watcher.alerts, []);
    // Both of alice's keys are logged: the check above did look at an OMEMO 2 leaf.
    const own2 = (await aliceStore2.loadOwn())!;
    const s = watcher.status;
    assert.ok(s.state === "ok");
    const logged = await alice.keylog().keysOf("alice@localhost", s.head);
    const ik = createHash("sha256").update(own2.identity.pub).digest("hex");
    assert.ok(
      logged.some((k) => k.ns === NS2 && k.device === own2.deviceId && k.ik === ik),
      JSON.stringify(logged),
    );
    assert.deepEqual(logged.map((k) => k.ns).sort(), ["eu.siacs.conversations.axolotl", NS2]);
  });

  it("a contact's OMEMO 2 devices are checked against the log", async () => {
    const bobStore = new MemoryOmemo2Store();
    const bob = client("bob", "phone", bobStore);
    await bob.connect();
    await watcher.checkContact("bob@localhost");
    const r = watcher.contact("bob@localhost");
    assert.equal(r?.state, "ok", JSON.stringify(r));
    const device = (await bobStore.loadOwn())!.deviceId;
    assert.deepEqual(r.state === "ok" && r.devices.map((d) => [d.ns, d.device, d.status]), [
      [NS2, device, "logged"],
    ]);
    const got = nextMessageFrom(bob, "alice@localhost");
    await alice.sendEncrypted("bob@localhost", "to a logged OMEMO 2 device");
    const m = await got;
    assert.equal(m.body, "to a logged OMEMO 2 device");
    assert.equal(m.encryption, "omemo");
  });

  it("an OMEMO 2 device published unlogged gets no message, and says why", async () => {
    const phone = clients.find((c) => c.jid === "bob@localhost")!;
    faults.skipLogging = true;
    const tablet = client("bob", "tablet");
    try {
      await tablet.connect();
    } finally {
      delete faults.skipLogging;
    }
    await watcher.checkContact("bob@localhost");
    const r = watcher.contact("bob@localhost");
    assert.deepEqual(
      r?.state === "ok" && r.devices.map((d) => d.status).sort(),
      ["logged", "not-logged"],
      JSON.stringify(r),
    );
    const onPhone = nextMessageFrom(phone, "alice@localhost");
    const onTablet = nextMessageFrom(tablet, "alice@localhost");
    await alice.sendEncrypted("bob@localhost", "second");
    assert.equal((await onPhone).body, "second");
    const m = await onTablet;
    assert.equal(m.encryption, "failed");
    assert.equal(m.body, "");
    assert.match(m.problem ?? "", /not encrypted for this device/);
  });

  it("a contact whose only OMEMO 2 device is unlogged gets nothing: the error names the log", async () => {
    faults.skipLogging = true;
    const carol = client("carol", "laptop");
    try {
      await carol.connect();
    } finally {
      delete faults.skipLogging;
    }
    await assert.rejects(alice.sendEncrypted("carol@localhost", "secret"), (err: unknown) => {
      assert.ok(err instanceof OmemoError);
      assert.match(err.message, /is not in your organisation's key log: not sent to it/);
      return true;
    });
    // Without the watcher's vetter, the same device would have been trusted blindly.
    watcher.stop();
    const got = nextMessageFrom(carol, "alice@localhost");
    await alice.sendEncrypted("carol@localhost", "unvetted");
    assert.equal((await got).body, "unvetted");
  });
});
