// History survives encryption in the web client (issue 7): the archive holds only OMEMO
// ciphertext, so the browser keeps what it decrypted and sent in IndexedDB
// (hato-history:<jid>). After a reload the encrypted conversation is still readable; a fresh
// browser profile of the same user (a new OMEMO device) says plainly, once, that older
// encrypted messages are not available on it, and reads what comes after. The peer is an SDK
// client in Node with OMEMO.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type ChatMessage, HatoClient, MemoryHistoryStore, MemoryOmemoStore } from "@hato/sdk";
import type { Page } from "playwright-core";
import WebSocket from "ws";
import {
  axeCheck,
  describeViolations,
  launchBrowser,
  newUser,
  screenshot,
  type TestBrowser,
  type WatchedPage,
  WEB_FLAGS,
  webUrl,
} from "../support/browser.js";
import { mutualContacts, startServer, type TestServer } from "../support/inproc.js";
import {
  expectMessage,
  messageLog,
  messageText,
  openChat,
  reloadSignedIn,
  sendMessage,
} from "./ui.js";

const NOTICE = "Older encrypted messages are not available on this device";
const OLD = ["first secret from alice", "bob's encrypted answer", "second secret from alice"];

/** The notices of unavailable history in the open conversation. */
const notices = (page: Page) => messageLog(page).getByRole("note");

/** The message bubbles in the open conversation (the notice is not one). */
const bubbles = (page: Page) => messageLog(page).locator("li.msg");

/**
 * Waits until the page's local history (IndexedDB) holds `text`: it is written right after
 * the message shows, and a reload in between would (rightly) lose it.
 */
async function kept(page: Page, text: string): Promise<void> {
  const read = `(async () => {
    const name = "hato-history:bob@localhost";
    if (!(await indexedDB.databases()).some((d) => d.name === name)) return false;
    return await new Promise((resolve) => {
      const req = indexedDB.open(name);
      req.onerror = () => resolve(false);
      req.onsuccess = () => {
        const db = req.result;
        const all = db.transaction("messages").objectStore("messages").getAll();
        all.onsuccess = () => {
          db.close();
          resolve(all.result.some((r) => r.body === ${JSON.stringify(text)}));
        };
      };
    });
  })()`;
  while (!(await page.evaluate(read))) await new Promise((r) => setTimeout(r, 50));
}

describe("web client: local history of encrypted messages", () => {
  let t: TestServer;
  let b: TestBrowser;
  let bob: WatchedPage;
  let alice: HatoClient;
  let url = "";
  const fromBob: ChatMessage[] = [];

  /** Alice's next message from bob with this text. */
  const atAlice = (body: string) =>
    new Promise<ChatMessage>((resolve) => {
      const seen = fromBob.find((m) => m.body === body);
      if (seen) return resolve(seen);
      const off = alice.on("message", (m) => {
        if (m.outgoing || m.body !== body) return;
        off();
        resolve(m);
      });
    });

  /** Waits until bob has `n` OMEMO devices published (a web client signed in publishes one). */
  async function bobDevices(n: number): Promise<void> {
    while ((await alice.omemo!.devices("bob@localhost")).length < n)
      await new Promise((r) => setTimeout(r, 50));
  }

  before(async () => {
    t = await startServer({ ...WEB_FLAGS });
    await t.addUser("alice", "alice-pw");
    await t.addUser("bob", "bob-pw");
    await mutualContacts(t, "alice", "bob");
    const ca = t.ca;
    class TrustingWebSocket extends WebSocket {
      constructor(url: string, protocols?: string | string[]) {
        super(url, protocols, { ca });
      }
    }
    alice = new HatoClient({
      service: `wss://localhost:${t.tlsPort}/xmpp-websocket`,
      jid: "alice@localhost",
      password: "alice-pw",
      resource: "node",
      WebSocket: TrustingWebSocket,
      omemo: new MemoryOmemoStore(),
      history: new MemoryHistoryStore(),
    });
    alice.on("message", (m) => {
      if (!m.outgoing) fromBob.push(m);
    });
    await alice.connect();
    b = await launchBrowser();
    url = webUrl(t.tlsPort);
    bob = await b.newPage();
    await newUser(bob.page, { url, jid: "bob@localhost", password: "bob-pw" });
  });
  after(async () => {
    await alice?.disconnect().catch(() => undefined);
    await b?.close();
    await t?.stop();
  });

  it("after a reload the encrypted conversation is still readable, in order, once", async () => {
    await bobDevices(1);
    await openChat(bob.page, "alice@localhost");
    await alice.sendEncrypted("bob@localhost", OLD[0]!);
    await expectMessage(bob.page, OLD[0]!);
    await sendMessage(bob.page, OLD[1]!);
    assert.equal((await atAlice(OLD[1]!)).encryption, "omemo", "the browser sent it encrypted");
    await alice.sendEncrypted("bob@localhost", OLD[2]!);
    await expectMessage(bob.page, OLD[2]!);
    const archive = await t.storage.archive.query("bob", { limit: 1000 });
    const stored = archive!.messages.map((m) => m.stanza).join("\n");
    for (const text of OLD) assert.ok(!stored.includes(text), `the archive shows "${text}"`);
    for (const text of OLD) await kept(bob.page, text);

    await reloadSignedIn(bob.page, "bob@localhost", "bob-pw");
    await openChat(bob.page, "alice@localhost");
    for (const text of OLD) {
      await expectMessage(bob.page, text);
      assert.equal(await messageText(bob.page, text).count(), 1, `"${text}" once`);
    }
    const log = (await messageLog(bob.page).textContent()) ?? "";
    assert.ok(
      log.indexOf(OLD[0]!) < log.indexOf(OLD[1]!) && log.indexOf(OLD[1]!) < log.indexOf(OLD[2]!),
      `in order:\n${log}`,
    );
    assert.equal(await notices(bob.page).count(), 0, "nothing is missing on this device");
    assert.ok(!log.includes("conversations.im/omemo"), "no fallback text");
    await screenshot(bob.page, "local-history-reloaded");
    bob.assertClean();
  });

  it("a fresh browser profile of bob shows one notice for the older messages, and reads new ones", async () => {
    const fresh = await b.newPage();
    await newUser(fresh.page, { url, jid: "bob@localhost", password: "bob-pw" });
    await bobDevices(2);
    await openChat(fresh.page, "alice@localhost");
    await notices(fresh.page).filter({ hasText: NOTICE }).waitFor();
    assert.equal(await notices(fresh.page).count(), 1, "one notice for the run of three");
    assert.match(
      (await notices(fresh.page).textContent()) ?? "",
      /3 messages were encrypted before/,
    );
    assert.equal(await bubbles(fresh.page).count(), 0, "no empty bubbles");
    for (const text of OLD) assert.equal(await messageText(fresh.page, text).count(), 0);

    await alice.sendEncrypted("bob@localhost", "hello to the new device");
    await expectMessage(fresh.page, "hello to the new device");
    await kept(fresh.page, "hello to the new device");
    await reloadSignedIn(fresh.page, "bob@localhost", "bob-pw");
    await openChat(fresh.page, "alice@localhost");
    await expectMessage(fresh.page, "hello to the new device");
    await notices(fresh.page).filter({ hasText: NOTICE }).waitFor();
    assert.equal(await notices(fresh.page).count(), 1);
    assert.equal(await bubbles(fresh.page).count(), 1, "only the readable message is a bubble");
    const violations = await axeCheck(fresh.page);
    assert.equal(violations.length, 0, describeViolations(violations));
    await screenshot(fresh.page, "local-history-new-device");
    fresh.assertClean();
  });
});
