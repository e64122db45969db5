// OMEMO 2 interop (XEP-0384 0.8+, urn:xmpp:omemo:2): an independent implementation, Syndace's
// python-omemo with its twomemo backend (Debian's python3-omemo and python3-twomemo) driven by
// slixmpp (test/interop/py/omemo2-peer.py), and SDK clients exchange encrypted messages both
// ways through a real `hato start`, each side starting a session once.

import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { after, before, describe, it } from "node:test";
import { HatoClient, MemoryOmemo2Store, MemoryOmemoStore } from "@hato/sdk";
import { type Hato, startHato } from "../support/hato.js";
import type { Proc } from "../support/process.js";
import { spawnPython } from "../support/python.js";
import { nextEvent, wsTrusting } from "../support/sdk.js";

interface PeerEvent {
  event: "ready" | "message" | "empty" | "failed" | "sent";
  device?: number;
  from?: string;
  body?: string;
  error?: string;
  errors?: string[];
}

describe("OMEMO 2 with python-omemo (twomemo)", () => {
  let hato: Hato;
  let peer: Proc | undefined;
  const clients: HatoClient[] = [];
  let seen = 0;

  /** The peer's next JSON line of one of `events`; a "failed" line fails the test with its error. */
  async function next(...events: PeerEvent["event"][]): Promise<PeerEvent> {
    const { line, index } = await peer!.waitForLine(
      (l) => /^\{/.test(l) && ["failed", ...events].includes((JSON.parse(l) as PeerEvent).event),
      60_000,
      seen,
    );
    seen = index + 1;
    const e = JSON.parse(line) as PeerEvent;
    assert.notEqual(e.event, "failed", `python-omemo failed: ${e.error}\n${peer!.describe()}`);
    return e;
  }

  async function sdk(user: string): Promise<HatoClient> {
    const c = new HatoClient({
      service: `wss://127.0.0.1:${hato.tlsPort}/xmpp-websocket`,
      jid: `${user}@localhost`,
      password: `${user}-secret`,
      WebSocket: wsTrusting(await readFile(hato.caFile, "utf8")),
      omemo: new MemoryOmemoStore(),
      omemo2: new MemoryOmemo2Store(),
    });
    clients.push(c);
    await c.connect();
    return c;
  }

  before(async () => {
    hato = await startHato({
      users: { alice: "alice-secret", bob: "bob-secret", carol: "carol-secret" },
    });
    peer = spawnPython(
      "omemo2-peer.py",
      [
        "--jid",
        "alice@localhost",
        "--password",
        "alice-secret",
        "--port",
        String(hato.c2sPort),
        "--ca",
        hato.caFile,
      ],
      {},
      300_000,
    );
    await next("ready");
  });
  after(async () => {
    await peer?.stop();
    for (const c of clients) if (c.status !== "disconnected") await c.disconnect();
    await hato?.stop();
  });

  it("the SDK starts the session: python-omemo decrypts, answers, and the SDK decrypts", async () => {
    const bob = await sdk("bob");
    assert.ok(bob.omemo2?.deviceId, "bob has an OMEMO 2 device");
    // python-omemo answers a key exchange with an empty OMEMO message: it must complete the
    // session silently, neither shown as a message nor as a failure.
    const shown: string[] = [];
    const problems: string[] = [];
    bob.on("message", (m) => {
      if (!m.outgoing) shown.push(`${m.encryption}: ${m.body}`);
    });
    bob.on("cannotDecrypt", (_peer, reason) => problems.push(reason));
    // alice publishes OMEMO 2 devices only, so the SDK picks urn:xmpp:omemo:2 for her.
    await bob.sendEncrypted("alice@localhost", "Hello Alice, from the Hato SDK over OMEMO 2");
    const got = await next("message");
    assert.equal(got.from, "bob@localhost");
    assert.equal(got.device, bob.omemo2!.deviceId);
    assert.equal(got.body, "Hello Alice, from the Hato SDK over OMEMO 2");

    for (const body of ["Hi Bob, python-omemo here", "and a second one"]) {
      const back = nextEvent(bob, "message", (m) => !m.outgoing && m.body === body);
      peer!.writeLine(JSON.stringify({ send: "bob@localhost", body }));
      assert.deepEqual((await next("sent")).errors, []);
      const [m] = await back;
      assert.equal(m.encryption, "omemo");
      assert.equal(m.peer, "alice@localhost");
    }
    // The session is confirmed now: the next message goes without a key exchange.
    await bob.sendEncrypted("alice@localhost", "Third from the SDK");
    assert.equal((await next("message")).body, "Third from the SDK");
    assert.deepEqual(shown, ["omemo: Hi Bob, python-omemo here", "omemo: and a second one"]);
    assert.deepEqual(problems, []);
  });

  it("python-omemo starts the session: the SDK decrypts, answers, and python-omemo decrypts", async () => {
    const carol = await sdk("carol");
    const first = nextEvent(
      carol,
      "message",
      (m) => !m.outgoing && m.body !== undefined && m.body !== "",
    );
    peer!.writeLine(
      JSON.stringify({ send: "carol@localhost", body: "Hello Carol, python-omemo first" }),
    );
    assert.deepEqual((await next("sent")).errors, []);
    const [m] = await first;
    assert.equal(m.body, "Hello Carol, python-omemo first");
    assert.equal(m.encryption, "omemo");

    await carol.sendEncrypted("alice@localhost", "Hi Alice, the SDK answers");
    const got = await next("message");
    assert.equal(got.from, "carol@localhost");
    assert.equal(got.body, "Hi Alice, the SDK answers");
  });
});
