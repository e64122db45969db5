// A contact's new device gets blind trust only when the organisation's key log holds its key
// (packages/sdk/src/keylog/vet.ts): a device the server publishes without logging it, or any
// new device while the log is caught lying, gets no key in our messages, and says why.

import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { createKeyLog, type KeyLogFaults } from "@hato/modules";
import { HatoClient, type KeyLogWatcher, MemoryOmemoStore, OmemoError } from "@hato/sdk";
import { startServer, type TestServer } from "../support/inproc.js";
import { MemoryKeyLogState, nextMessageFrom, wsTrusting } from "../support/sdk.js";

describe("the key log vets contacts' new devices before they get messages", () => {
  let t: TestServer;
  const faults: KeyLogFaults = {};
  const keylog = createKeyLog({ faults });
  const clients: HatoClient[] = [];
  let alice: HatoClient;
  let watcher: KeyLogWatcher;

  function client(user: string, resource: string, store = new MemoryOmemoStore()): HatoClient {
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
    for (const u of ["alice", "bob", "carol", "dave"]) await t.addUser(u, "pw");
    alice = client("alice", "web");
    watcher = alice.watchKeyLog(new MemoryKeyLogState(), { intervalMs: 0 });
    await alice.connect();
    await watcher.check();
    assert.equal(watcher.status.state, "ok", JSON.stringify(watcher.status));
  });
  after(async () => {
    watcher.stop();
    for (const c of clients) if (c.status === "online") await c.disconnect();
    await t.stop();
  });

  it("a logged device gets the message; one published unlogged gets none, and says why", async () => {
    const phone = client("bob", "phone");
    await phone.connect();
    const got = nextMessageFrom(phone, "alice@localhost");
    await alice.sendEncrypted("bob@localhost", "first, to a logged device");
    assert.equal((await got).body, "first, to a logged device");

    // The server slips a second device of bob's in without logging its key.
    faults.skipLogging = true;
    const tabletStore = new MemoryOmemoStore();
    const tablet = client("bob", "tablet", tabletStore);
    try {
      await tablet.connect();
    } finally {
      delete faults.skipLogging;
    }
    await alice.omemo!.refreshDevices("bob@localhost");
    const onPhone = nextMessageFrom(phone, "alice@localhost");
    const onTablet = nextMessageFrom(tablet, "alice@localhost");
    await alice.sendEncrypted("bob@localhost", "second");
    assert.equal((await onPhone).body, "second");
    const m = await onTablet;
    assert.equal(m.encryption, "failed");
    assert.equal(m.body, "");
    assert.match(m.problem ?? "", /not encrypted for this device/);
    // Refused again on the next message, not trusted later by default.
    const onTablet2 = nextMessageFrom(tablet, "alice@localhost");
    await alice.sendEncrypted("bob@localhost", "third");
    assert.equal((await onTablet2).encryption, "failed");
  });

  it("a contact whose only device is unlogged gets nothing: the error names the log", async () => {
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
    // Once the key is logged (carol's client publishes it again on its next sign-in), it works.
    await carol.disconnect();
    const again = client("carol", "laptop2");
    await again.connect();
    const got = nextMessageFrom(again, "alice@localhost");
    await alice.sendEncrypted("carol@localhost", "now logged");
    assert.equal((await got).body, "now logged");
  });

  it("while the log is caught lying, no new device gets a message", async () => {
    const dave = client("dave", "desk");
    await dave.connect();
    faults.signWith = generateKeyPairSync("ed25519").privateKey;
    try {
      await assert.rejects(alice.sendEncrypted("dave@localhost", "secret"), (err: unknown) => {
        assert.ok(err instanceof OmemoError);
        assert.match(err.message, /key log failed its check .*new devices get no messages/);
        return true;
      });
    } finally {
      delete faults.signWith;
    }
    await watcher.check();
    const got = nextMessageFrom(dave, "alice@localhost");
    await alice.sendEncrypted("dave@localhost", "log honest again");
    assert.equal((await got).body, "log honest again");
  });
});
