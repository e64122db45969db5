// End-to-end encryption in the web client (issue 7), in Chromium: two web clients exchange
// OMEMO messages both ways and the server's archive holds no readable body; a message from a
// client without OMEMO is marked "Not encrypted", and nothing goes to that client unencrypted
// until the user chooses so for that chat; a tampered message and a lost session fail visibly,
// and "Fix session" makes the next messages readable; under `encryption: required` the web
// client sends no plaintext at all and says why.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type ChatMessage, HatoClient, MemoryOmemoStore } from "@hato/sdk";
import { type Element, xml } from "@hato/xml";
import type { Page } from "playwright-core";
import {
  launchBrowser,
  newUser,
  screenshot,
  type TestBrowser,
  type WatchedPage,
  WEB_FLAGS,
  webUrl,
} from "../support/browser.js";
import { mutualContacts, RawClient, startServer, type TestServer } from "../support/inproc.js";
import { nextEvent, wsTrusting } from "../support/sdk.js";
import {
  allowUnencrypted,
  encryptionState,
  expectMessage,
  messageBox,
  messageLog,
  messageText,
  openChat,
  sendMessage,
} from "./ui.js";

const NS_OMEMO = "eu.siacs.conversations.axolotl";

/** The row of the message whose text is `text`. */
const row = (page: Page, text: string) =>
  messageLog(page)
    .getByRole("listitem")
    .filter({ has: page.getByText(text, { exact: true }) });

/** Waits until the message box holds `value` (text that was not sent comes back). */
async function boxHolds(page: Page, value: string): Promise<void> {
  await page.waitForFunction(
    (v) =>
      (
        globalThis as unknown as {
          document: { querySelector(s: string): { value: string } | null };
        }
      ).document.querySelector("#message")?.value === v,
    value,
  );
}

describe("end-to-end encryption in the web client", () => {
  let t: TestServer;
  let b: TestBrowser;
  let alice: WatchedPage;
  let bob: WatchedPage;
  let carol: RawClient;
  let dave: HatoClient;
  const daveSaw: ChatMessage[] = [];

  before(async () => {
    t = await startServer({ ...WEB_FLAGS });
    for (const u of ["alice", "bob", "carol", "dave"]) await t.addUser(u, `${u}-pw`);
    for (const u of ["bob", "carol", "dave"]) await mutualContacts(t, "alice", u);
    carol = (await RawClient.login(t, "carol", "carol-pw", "bot")).client;
    carol.autoAck = true;
    dave = new HatoClient({
      service: `wss://localhost:${t.tlsPort}/xmpp-websocket`,
      jid: "dave@localhost",
      password: "dave-pw",
      resource: "node",
      WebSocket: wsTrusting(t.ca),
      omemo: new MemoryOmemoStore(),
    });
    dave.on("message", (m) => daveSaw.push(m));
    await dave.connect();
    b = await launchBrowser();
    alice = await b.newPage();
    bob = await b.newPage();
    const url = webUrl(t.tlsPort);
    await newUser(alice.page, { url, jid: "alice@localhost", password: "alice-pw" });
    await newUser(bob.page, { url, jid: "bob@localhost", password: "bob-pw" });
  });
  after(async () => {
    carol?.close();
    await dave?.disconnect().catch(() => undefined);
    await b?.close();
    await t?.stop();
  });

  it("two web clients exchange encrypted messages both ways; the archive holds no readable body", async () => {
    await openChat(alice.page, "bob@localhost");
    await encryptionState(alice.page).getByText("End-to-end encrypted").waitFor();
    await sendMessage(alice.page, "The cake is in the oven");
    await openChat(bob.page, "alice@localhost");
    await expectMessage(bob.page, "The cake is in the oven");
    await encryptionState(bob.page).getByText("End-to-end encrypted").waitFor();
    await sendMessage(bob.page, "I will bring the candles");
    await expectMessage(alice.page, "I will bring the candles");
    // Alice corrects her message: the correction is encrypted too.
    await messageBox(alice.page).press("ArrowUp");
    await messageBox(alice.page).fill("The cake is out of the oven");
    await messageBox(alice.page).press("Enter");
    await expectMessage(bob.page, "The cake is out of the oven");
    for (const p of [alice, bob]) {
      assert.equal(await messageLog(p.page).getByText("Not encrypted").count(), 0);
      assert.equal(
        await messageLog(p.page)
          .getByText(/Could not decrypt/)
          .count(),
        0,
      );
    }
    await screenshot(alice.page, "e2ee-chat");

    const secrets = ["The cake is", "I will bring the candles"];
    for (const user of ["alice", "bob"]) {
      const page = await t.storage.archive.query(user, { limit: 1000 });
      const all = JSON.stringify(page);
      assert.ok(all.includes(NS_OMEMO), `${user}'s archive holds the OMEMO messages`);
      for (const s of secrets) assert.ok(!all.includes(s), `${user}'s archive shows "${s}"`);
    }
    alice.assertClean();
    bob.assertClean();
  });

  it("a plaintext message from a client without OMEMO is marked, and nothing goes to it unencrypted until alice chooses", async () => {
    carol.send(
      "<message to='alice@localhost' type='chat' id='c1'><body>Carol in plain text</body></message>",
    );
    await openChat(alice.page, "carol@localhost");
    await expectMessage(alice.page, "Carol in plain text");
    await row(alice.page, "Carol in plain text").getByText("Not encrypted").waitFor();
    await alice.page.getByText("carol@localhost's app cannot receive encrypted messages").waitFor();
    await encryptionState(alice.page).getByText("Cannot encrypt").waitFor();

    // Sending is refused: the text stays in the box, nothing goes out.
    await sendMessage(alice.page, "first try");
    await boxHolds(alice.page, "first try");
    await screenshot(alice.page, "e2ee-cannot-encrypt");
    await allowUnencrypted(alice.page);
    await alice.page.getByRole("button", { name: "Send", exact: true }).click();
    await carol.expect((e) => e.getChildText("body") === "first try", "alice's message");
    // Had the first attempt gone out, it would have arrived before this one.
    const earlier = carol.received.filter((e) => e.getChildText("body") === "first try");
    assert.equal(earlier.length, 0, "the refused attempt was not sent");
    await row(alice.page, "first try").getByText("Not encrypted").waitFor();
    alice.assertClean();
  });

  it("a tampered message and a lost session show why; Fix session makes the next ones readable", async () => {
    await dave.sendEncrypted("alice@localhost", "Dave, encrypted");
    await openChat(alice.page, "dave@localhost");
    await expectMessage(alice.page, "Dave, encrypted");
    await encryptionState(alice.page).getByText("End-to-end encrypted").waitFor();
    // An answer, so that dave's session is past its pre-key stage (his next keys are plain
    // SignalMessages, which only an existing session can read).
    const answered = nextEvent(dave, "message", (m) => m.body === "Alice answers");
    await sendMessage(alice.page, "Alice answers");
    await answered;

    // A message whose key was changed on the way: authentication fails (Bad MAC).
    const els = await dave.omemo!.encrypt("alice@localhost", "tampered words");
    const enc = els[0]!;
    const key = enc.getChild("header")!.getChildren("key")[0]!;
    const bytes = Buffer.from(key.text(), "base64");
    bytes[bytes.length - 3]! ^= 0x01;
    key.children.splice(0, key.children.length, bytes.toString("base64"));
    writeRaw(dave, xml("message", { to: "alice@localhost", type: "chat", id: "t1" }, ...els));
    const failed = messageLog(alice.page).getByText(/^Could not decrypt: .*Bad MAC/);
    await failed.waitFor();
    assert.equal(await messageLog(alice.page).getByText("tampered words").count(), 0);
    assert.equal(
      await messageLog(alice.page)
        .getByText(/OMEMO encrypted message/)
        .count(),
      0,
    );

    // Alice's browser loses its sessions (a cleared site store, say): dave's next message fails.
    await alice.page.evaluate(`new Promise((resolve, reject) => {
      const req = indexedDB.open("hato-omemo:alice@localhost");
      req.onsuccess = () => {
        const tx = req.result.transaction("sessions", "readwrite");
        tx.objectStore("sessions").clear();
        tx.oncomplete = () => { req.result.close(); resolve(); };
        tx.onerror = () => reject(tx.error);
      };
      req.onerror = () => reject(req.error);
    })`);
    await dave.sendEncrypted("alice@localhost", "lost on the way");
    await messageLog(alice.page)
      .getByText(/^Could not decrypt: .*no session/)
      .waitFor();
    await screenshot(alice.page, "e2ee-could-not-decrypt");

    const seenBefore = daveSaw.length;
    const session = await daveSession(dave);
    const fix = messageLog(alice.page).getByRole("button", { name: "Fix session" }).last();
    await fix.click();
    await messageLog(alice.page)
      .getByText(/Session renewed/)
      .first()
      .waitFor();
    // Dave's next message decrypts (his session was replaced by alice's key transport).
    const back = nextEvent(dave, "message", (m) => !m.outgoing && m.body === "Alice after the fix");
    await waitForTransport(dave, session);
    await dave.sendEncrypted("alice@localhost", "Dave after the fix");
    await expectMessage(alice.page, "Dave after the fix");
    await sendMessage(alice.page, "Alice after the fix");
    const [m] = await back;
    assert.equal(m.encryption, "omemo");
    assert.deepEqual(
      daveSaw
        .slice(seenBefore)
        .filter((x) => !x.outgoing)
        .map((x) => x.body),
      ["Alice after the fix"],
      "the key transport showed no message at dave",
    );

    // The other way: dave repairs, and alice's web client shows nothing for the key transport.
    const rows = await messageLog(alice.page).getByRole("listitem").count();
    await dave.repairOmemo("alice@localhost");
    await dave.sendEncrypted("alice@localhost", "Dave after his own repair");
    await expectMessage(alice.page, "Dave after his own repair");
    assert.equal(await messageLog(alice.page).getByRole("listitem").count(), rows + 1);
    alice.assertClean();
  });

  it("under `encryption: required` the web client never sends plaintext and says why", async () => {
    const before = t.server.policy.current.doc;
    assert.ok(t.server.policy.applyText("encryption: required\n").ok);
    // What Server.reloadPolicy fires once the new policy is in place (signed-in users get the
    // new summary pushed).
    await t.server.bus.fire("policy-reloaded", {
      how: "command",
      ok: true,
      before,
      after: t.server.policy.current.doc,
      errors: [],
    });
    await openChat(alice.page, "carol@localhost");
    // The earlier choice of plain text for carol is void now.
    await alice.page.getByText(/organisation requires end-to-end encryption/).waitFor();
    await alice.page.getByText("carol@localhost's app cannot receive encrypted messages").waitFor();
    assert.equal(
      await alice.page.getByRole("button", { name: "Send unencrypted in this chat" }).count(),
      0,
    );
    await screenshot(alice.page, "e2ee-required");
    await sendMessage(alice.page, "secret under policy");
    await boxHolds(alice.page, "secret under policy");
    // Typing sends a chat state after the refused attempt: had it gone out, it came first.
    await messageBox(alice.page).fill("typing after the refusal");
    await carol.expect(
      (e) => e.getChild("composing", "http://jabber.org/protocol/chatstates") !== undefined,
      "alice's chat state",
    );
    assert.ok(
      !carol.received.some((e) => e.getChildText("body") === "secret under policy"),
      "no plaintext went out",
    );
    await messageBox(alice.page).fill("");
    // A file is encrypted too (XEP-0454), and carol's app cannot decrypt it; its link never goes
    // in plain text: refused before any byte is uploaded.
    await alice.page.locator("input[type=file]").setInputFiles({
      name: "plan.txt",
      mimeType: "text/plain",
      buffer: Buffer.from("the plan"),
    });
    await messageLog(alice.page)
      .getByText(/Not sent: your organisation requires end-to-end encryption/)
      .waitFor();

    // With bob, whose app has OMEMO, messages still go out (encrypted, so the server lets them).
    await openChat(alice.page, "bob@localhost");
    await sendMessage(alice.page, "still encrypted under the policy");
    await openChat(bob.page, "alice@localhost");
    await expectMessage(bob.page, "still encrypted under the policy");
    assert.equal(await messageText(bob.page, "still encrypted under the policy").count(), 1);
    alice.assertClean();
    bob.assertClean();
  });
});

/** Writes a raw stanza on an SDK client's stream (for a forged, tampered message only). */
function writeRaw(c: HatoClient, el: Element): void {
  (c as unknown as { conn: { write(el: Element): void } }).conn.write(el);
}

/** Dave's stored session record with alice's device. */
async function daveSession(dave: HatoClient): Promise<string | undefined> {
  const store = dave.omemo!.store;
  const ids = await store.loadDevices("alice@localhost");
  return store.loadSession(`alice@localhost.${ids?.[0]}`);
}

/**
 * Waits until dave's client has handled alice's key transport: it shows no message, so the sign
 * is dave's stored session with alice's device changing from what it was before "Fix session".
 */
async function waitForTransport(dave: HatoClient, before: string | undefined): Promise<void> {
  const deadline = Date.now() + 20_000;
  while ((await daveSession(dave)) === before) {
    if (Date.now() > deadline) throw new Error("dave never got alice's key transport");
    await new Promise((r) => setTimeout(r, 50));
  }
}
