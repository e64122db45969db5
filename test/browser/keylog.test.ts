// The web client's automatic key log checks in Chromium (docs/key-transparency.md): a device
// logged for the user that this browser did not create raises the account banner, "This is
// mine" acknowledges it for good; a contact's logged keys show as checked in the chat header;
// a head signed with another key, and a remembered head tampered with in localStorage, are
// failures the user sees. The banner passes axe-core with an alert and with a failure.

import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { createKeyLog, type KeyLogFaults } from "@hato/modules";
import { HatoClient, MemoryOmemoStore } from "@hato/sdk";
import type { Page } from "playwright-core";
import WebSocket from "ws";
import {
  axeCheck,
  describeViolations,
  launchBrowser,
  newUser,
  screenshot,
  signIn,
  type TestBrowser,
  type WatchedPage,
  WEB_FLAGS,
  webUrl,
} from "../support/browser.js";
import { mutualContacts, startServer, type TestServer } from "../support/inproc.js";
import { openChat } from "./ui.js";

const STORAGE_KEY = "hato-keylog:alice@localhost";

/** The watcher's memory as the page keeps it in localStorage (test code has no DOM types). */
const stored = (page: Page) =>
  page.evaluate<string | null>(`localStorage.getItem(${JSON.stringify(STORAGE_KEY)})`);
const store = (page: Page, value: string) =>
  page.evaluate(`localStorage.setItem(${JSON.stringify(STORAGE_KEY)}, ${JSON.stringify(value)})`);

/** The account banner of the key log (an alert region). */
const banner = (page: Page) => page.locator(".keylog-banner");

describe("key log checks in the web client", () => {
  let t: TestServer;
  let b: TestBrowser;
  let alice: WatchedPage;
  let phoneDevice = 0;
  /** The server's test-only hooks for lying. */
  const faults: KeyLogFaults = {};
  const clients: HatoClient[] = [];

  /** An SDK client with OMEMO: connecting publishes its device key, which the server logs. */
  async function sdkDevice(user: string, resource: string): Promise<MemoryOmemoStore> {
    const ca = t.ca;
    class TrustingWebSocket extends WebSocket {
      constructor(url: string, protocols?: string | string[]) {
        super(url, protocols, { ca });
      }
    }
    const store = new MemoryOmemoStore();
    const c = new HatoClient({
      service: `wss://localhost:${t.tlsPort}/xmpp-websocket`,
      jid: `${user}@localhost`,
      password: `${user}-pw`,
      resource,
      WebSocket: TrustingWebSocket,
      omemo: store,
    });
    clients.push(c);
    await c.connect();
    return store;
  }

  before(async () => {
    t = await startServer(WEB_FLAGS, undefined, [createKeyLog({ faults })]);
    await t.addUser("alice", "alice-pw");
    await t.addUser("bob", "bob-pw");
    await mutualContacts(t, "alice", "bob");
    await sdkDevice("bob", "phone");
    // A second device of alice's that this browser did not create: an SDK client signed in
    // as her publishes its OMEMO keys.
    phoneDevice = (await (await sdkDevice("alice", "phone")).loadOwn())!.deviceId;
    b = await launchBrowser();
    alice = await b.newPage();
    await newUser(alice.page, {
      url: webUrl(t.tlsPort),
      jid: "alice@localhost",
      password: "alice-pw",
    });
  });
  after(async () => {
    for (const c of clients) await c.disconnect().catch(() => undefined);
    await b?.close();
    await t?.stop();
  });

  it("a device of the user's that this browser did not create raises the alert; This is mine ends it", async () => {
    const page = alice.page;
    const alert = banner(page).getByText(
      `A device you did not add appeared on your account: device ${phoneDevice}, added at `,
    );
    await alert.waitFor();
    assert.equal(await banner(page).getAttribute("role"), "alert");
    await screenshot(page, "keylog-own-device-alert");
    const v = await axeCheck(page);
    assert.deepEqual(v, [], describeViolations(v));
    await page.getByRole("button", { name: `This is mine: device ${phoneDevice}` }).click();
    await alert.waitFor({ state: "detached" });
    const saved = JSON.parse((await stored(page))!);
    assert.deepEqual(
      saved.acknowledged.map((k: { device: number }) => k.device),
      [phoneDevice],
    );
    // Signing in again: the log is checked again, the acknowledged device stays quiet.
    await page.getByRole("button", { name: "Sign out" }).click();
    await signIn(page, { jid: "alice@localhost", password: "alice-pw" });
    await openChat(page, "bob@localhost");
    await page.getByText("Keys checked against your organisation's key log").waitFor();
    assert.equal(await banner(page).textContent(), "");
    alice.assertClean();
  });

  it("a device added while the browser is signed in raises the alert at once", async () => {
    // The browser's own OMEMO device hears of the changed device list and checks the log.
    const page = alice.page;
    const laptop = (await (await sdkDevice("alice", "laptop")).loadOwn())!.deviceId;
    await banner(page)
      .getByText(`A device you did not add appeared on your account: device ${laptop}, added at `)
      .waitFor();
    await page.getByRole("button", { name: `This is mine: device ${laptop}` }).click();
    await banner(page).getByText(`device ${laptop}`).waitFor({ state: "detached" });
    alice.assertClean();
  });

  it("a contact's logged keys show as checked in the chat header", async () => {
    const page = alice.page;
    const line = page.locator(".chat-head .keylog-status");
    await line.getByText("Keys checked against your organisation's key log").waitFor();
    assert.equal(await line.getAttribute("class"), "keylog-status");
    alice.assertClean();
  });

  it("a head signed with another key shows the failure; an honest head again clears it", async () => {
    const page = alice.page;
    const before = await stored(page);
    await page.getByRole("button", { name: "Sign out" }).click();
    faults.signWith = generateKeyPairSync("ed25519").privateKey;
    try {
      await signIn(page, { jid: "alice@localhost", password: "alice-pw" });
      await banner(page)
        .getByText("the key log's head carries an invalid signature", { exact: false })
        .waitFor();
      assert.equal(await stored(page), before, "the remembered head is kept");
      await page.getByRole("button", { name: "Sign out" }).click();
    } finally {
      delete faults.signWith;
    }
    await signIn(page, { jid: "alice@localhost", password: "alice-pw" });
    await openChat(page, "bob@localhost");
    await page.getByText("Keys checked against your organisation's key log").waitFor();
    assert.equal(await banner(page).textContent(), "");
    alice.assertClean();
  });

  it("a remembered head tampered with in storage is a visible failure, and is not overwritten", async () => {
    const page = alice.page;
    await page.getByRole("button", { name: "Sign out" }).click();
    const memory = JSON.parse((await stored(page))!);
    assert.notEqual(memory.head.root, "ab".repeat(32));
    memory.head.root = "ab".repeat(32);
    const tampered = JSON.stringify(memory);
    await store(page, tampered);
    await signIn(page, { jid: "alice@localhost", password: "alice-pw" });
    await banner(page)
      .getByText(/^Your organisation's key log failed its check:/)
      .waitFor();
    assert.match((await banner(page).textContent()) ?? "", /its history was changed/);
    await openChat(page, "bob@localhost");
    await page
      .locator(".chat-head .keylog-status.problem")
      .getByText(/^Keys not checked: the key log failed its check/)
      .waitFor();
    await screenshot(page, "keylog-tampered-head");
    const v = await axeCheck(page);
    assert.deepEqual(v, [], describeViolations(v));
    assert.equal(await stored(page), tampered);
    alice.assertClean();
  });
});
