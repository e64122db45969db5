// The web client and an OMEMO-2-only peer, in Chromium: Syndace's python-omemo with only its
// twomemo backend (urn:xmpp:omemo:2, test/interop/py/omemo2-peer.py over slixmpp) and the web
// client exchange encrypted messages both ways through a real `hato start`. The peer publishes
// no legacy device, so the web client must count its OMEMO 2 devices as encryptable and the SDK
// must pick urn:xmpp:omemo:2; the peer reads nothing else.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  launchBrowser,
  newUser,
  screenshot,
  type TestBrowser,
  type WatchedPage,
  webUrl,
} from "../support/browser.js";
import { type Hato, startHato } from "../support/hato.js";
import type { Proc } from "../support/process.js";
import { spawnPython } from "../support/python.js";
import {
  addContact,
  contactItem,
  encryptionState,
  expectMessage,
  messageLog,
  openChat,
  sendMessage,
} from "./ui.js";

interface PeerEvent {
  event: "ready" | "message" | "empty" | "failed" | "sent";
  device?: number;
  from?: string;
  body?: string;
  error?: string;
  errors?: string[];
}

describe("the web client and an OMEMO 2 only peer (python-omemo twomemo)", () => {
  let hato: Hato;
  let peer: Proc | undefined;
  let b: TestBrowser;
  let alice: WatchedPage;
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

  before(async () => {
    hato = await startHato({ users: { alice: "alice-pw", erin: "erin-pw" } });
    peer = spawnPython(
      "omemo2-peer.py",
      [
        "--jid",
        "erin@localhost",
        "--password",
        "erin-pw",
        "--port",
        String(hato.c2sPort),
        "--ca",
        hato.caFile,
      ],
      {},
      300_000,
    );
    await next("ready");
    b = await launchBrowser();
    alice = await b.newPage();
  });
  after(async () => {
    await peer?.stop();
    await b?.close();
    await hato?.stop();
  });

  it("the web client encrypts to the OMEMO 2 peer, and reads its answers", async () => {
    await newUser(alice.page, {
      url: webUrl(hato.tlsPort),
      jid: "alice@localhost",
      password: "alice-pw",
    });
    await addContact(alice.page, "erin@localhost");
    await contactItem(alice.page, "erin@localhost").waitFor();
    await openChat(alice.page, "erin@localhost");
    // Only OMEMO 2 devices: encryptable, not "Cannot encrypt".
    await encryptionState(alice.page).getByText("End-to-end encrypted").waitFor();

    await sendMessage(alice.page, "Hello Erin, from the web client over OMEMO 2");
    const got = await next("message");
    assert.equal(got.from, "alice@localhost");
    assert.equal(got.body, "Hello Erin, from the web client over OMEMO 2");

    for (const body of ["Hi Alice, python-omemo here", "and a second one"]) {
      peer!.writeLine(JSON.stringify({ send: "alice@localhost", body }));
      assert.deepEqual((await next("sent")).errors, []);
      await expectMessage(alice.page, body);
    }
    // The session is confirmed now: the next message needs no key exchange, and still reads.
    await sendMessage(alice.page, "Third from the browser");
    assert.equal((await next("message")).body, "Third from the browser");

    assert.equal(await messageLog(alice.page).getByText("Not encrypted").count(), 0);
    assert.equal(
      await messageLog(alice.page)
        .getByText(/Could not decrypt/)
        .count(),
      0,
    );
    await encryptionState(alice.page).getByText("End-to-end encrypted").waitFor();
    await screenshot(alice.page, "omemo2-python");
    alice.assertClean();
  });
});
