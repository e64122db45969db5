// The web client's own controls (issue 4): unread badges, correcting the last message with the
// Up arrow, archive pages loaded by scrolling up, the Back button at phone width; the peer is an
// SDK client in Node, so what the browser sends is checked on the other side.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type ChatMessage, HatoClient } from "@hato/sdk";
import type { Page } from "playwright-core";
import WebSocket from "ws";
import {
  launchBrowser,
  newUser,
  PHONE,
  screenshot,
  type TestBrowser,
  type WatchedPage,
  webUrl,
} from "../support/browser.js";
import { mutualContacts, startServer, type TestServer } from "../support/inproc.js";
import {
  allowUnencrypted,
  contactItem,
  expectMessage,
  messageBox,
  messageLog,
  openChat,
} from "./ui.js";

/** Waits until the message box holds `value` (Preact renders after the key event). */
async function boxHolds(page: Page, value: string): Promise<void> {
  await page.waitForFunction(
    `document.querySelector("textarea")?.value === ${JSON.stringify(value)}`,
  );
}

/** Waits for the first event `pick` accepts. */
function next<T>(on: (fn: (v: T) => void) => () => void, pick: (v: T) => boolean): Promise<T> {
  return new Promise((resolve) => {
    const off = on((v) => {
      if (!pick(v)) return;
      off();
      resolve(v);
    });
  });
}

describe("web client controls", () => {
  let t: TestServer;
  let b: TestBrowser;
  let alice: WatchedPage;
  let bob: HatoClient;
  let url = "";

  before(async () => {
    t = await startServer();
    await t.addUser("alice", "alice-pw");
    await t.addUser("bob", "bob-pw");
    await t.addUser("carol", "carol-pw");
    await mutualContacts(t, "alice", "bob");
    await mutualContacts(t, "carol", "bob");
    const ca = t.ca;
    class TrustingWebSocket extends WebSocket {
      constructor(url: string, protocols?: string | string[]) {
        super(url, protocols, { ca });
      }
    }
    const sdk = (jid: string, password: string) =>
      new HatoClient({
        service: `wss://localhost:${t.tlsPort}/xmpp-websocket`,
        jid,
        password,
        resource: "node",
        WebSocket: TrustingWebSocket,
      });
    bob = sdk("bob@localhost", "bob-pw");
    await bob.connect();
    // Alice's phone takes the messages (and sends receipts, which the archive keeps too), so
    // the browser finds them only in the archive: more than one page of 100 entries.
    const phone = sdk("alice@localhost", "alice-pw");
    await phone.connect();
    const all = next<ChatMessage>(
      (fn) => phone.on("message", fn),
      (m) => m.body === "old message 120",
    );
    for (let i = 1; i <= 120; i++) bob.send("alice@localhost", `old message ${i}`);
    await all;
    await phone.disconnect();
    b = await launchBrowser();
    alice = await b.newPage();
    url = webUrl(t.tlsPort);
    await newUser(alice.page, {
      url,
      jid: "alice@localhost",
      password: "alice-pw",
    });
  });
  after(async () => {
    await bob?.disconnect().catch(() => undefined);
    await b?.close();
    await t?.stop();
  });

  it("counts unread messages on the contact, with words for screen readers, until the chat opens", async () => {
    bob.send("alice@localhost", "are you there?");
    const badge = contactItem(alice.page, "bob@localhost").locator(".badge");
    await badge.waitFor();
    assert.match((await badge.textContent()) ?? "", /^\d+ unread$/);
    await openChat(alice.page, "bob@localhost");
    await expectMessage(alice.page, "are you there?");
    await badge.waitFor({ state: "detached" });
    alice.assertClean();
  });

  it("loads older pages from the archive when the log is scrolled to the top", async () => {
    const log = messageLog(alice.page);
    await expectMessage(alice.page, "old message 120");
    for (
      let i = 0;
      i < 10 && (await log.getByText("old message 1", { exact: true }).count()) === 0;
      i++
    ) {
      await log.evaluate((el) => {
        el.scrollTop = 0;
      });
      await new Promise((r) => setTimeout(r, 300));
    }
    await expectMessage(alice.page, "old message 1");
    await log.getByText("Start of the conversation").waitFor();
    const text = (await log.textContent()) ?? "";
    assert.ok(text.indexOf("old message 1") < text.indexOf("old message 120"), "in order");
    assert.equal(await log.getByText("old message 60", { exact: true }).count(), 1, "once");
    alice.assertClean();
  });

  it("Enter sends, Up arrow in the empty box edits the last message, the peer gets the correction", async () => {
    // Bob's client has no OMEMO: alice chooses, for this chat, to send unencrypted.
    await allowUnencrypted(alice.page);
    const box = messageBox(alice.page);
    const sent = next<ChatMessage>(
      (fn) => bob.on("message", fn),
      (m) => m.body === "see you at 10",
    );
    await box.fill("see you at 10");
    await box.press("Enter");
    const original = await sent;
    await boxHolds(alice.page, "");

    await box.press("ArrowUp");
    await boxHolds(alice.page, "see you at 10");
    // Escape leaves editing; Up again comes back to it.
    await box.press("Escape");
    await boxHolds(alice.page, "");
    await box.press("ArrowUp");
    await boxHolds(alice.page, "see you at 10");
    const corrected = next<ChatMessage>(
      (fn) => bob.on("updated", fn),
      (m) => m.id === original.id && m.body === "see you at 11",
    );
    await box.fill("see you at 11");
    await box.press("Enter");
    const m = await corrected;
    assert.equal(m.corrected, true);
    await expectMessage(alice.page, "see you at 11");
    assert.equal(
      await messageLog(alice.page).getByText("see you at 10", { exact: true }).count(),
      0,
    );
    assert.equal(await messageLog(alice.page).getByText("(edited)").count(), 1);
    alice.assertClean();
  });

  it("what is typed right after Up replaces the text being corrected (no late reload of the old text)", async () => {
    const box = messageBox(alice.page);
    await box.fill("meet at the station");
    await box.press("Enter");
    await boxHolds(alice.page, "");
    await expectMessage(alice.page, "meet at the station");
    // Up, and the next keystroke in the very next task, as a fast typist or a paste would: the
    // box must keep the new text, however late the page paints.
    const value = await box.evaluate(async (el) => {
      const area = el as unknown as {
        value: string;
        focus(): void;
        dispatchEvent(e: unknown): boolean;
      };
      const g = globalThis as unknown as {
        KeyboardEvent: new (type: string, init: object) => unknown;
        Event: new (type: string, init: object) => unknown;
        setTimeout(fn: () => void, ms: number): void;
      };
      const tick = (ms: number) => new Promise<void>((r) => g.setTimeout(r, ms));
      area.focus();
      area.dispatchEvent(new g.KeyboardEvent("keydown", { key: "ArrowUp", bubbles: true }));
      await tick(0);
      area.value = "meet at the harbour";
      area.dispatchEvent(new g.Event("input", { bubbles: true }));
      await tick(300);
      return area.value;
    });
    assert.equal(value, "meet at the harbour");
    const corrected = next<ChatMessage>(
      (fn) => bob.on("updated", fn),
      (m) => m.body === "meet at the harbour",
    );
    await box.press("Enter");
    assert.equal((await corrected).corrected, true);
    await expectMessage(alice.page, "meet at the harbour");
    alice.assertClean();
  });

  it("Shift+Enter adds a line instead of sending", async () => {
    const box = messageBox(alice.page);
    await box.fill("first line");
    await box.press("Shift+Enter");
    await box.pressSequentially("second line");
    assert.equal(await box.inputValue(), "first line\nsecond line");
    await box.fill("");
  });

  it("at phone width shows one pane at a time, with a Back button to the contacts", async () => {
    await alice.page.setViewportSize(PHONE);
    const back = alice.page.getByRole("button", { name: "Back to contacts" });
    await back.waitFor();
    assert.equal(await contactItem(alice.page, "bob@localhost").isVisible(), false);
    await screenshot(alice.page, "web-client-phone-chat");
    await back.click();
    await contactItem(alice.page, "bob@localhost").waitFor();
    assert.equal(await messageBox(alice.page).isVisible(), false);
    await openChat(alice.page, "bob@localhost");
    assert.equal(await messageBox(alice.page).isVisible(), true);
    alice.assertClean();
  });

  it("while the tab is hidden: a desktop notification, an unread count, no read marker until it shows again", async () => {
    const carol = await b.newPage();
    // The tab's visibility and the Notification API, under the test's control.
    await carol.page.addInitScript(`(() => {
      let hidden = false;
      Object.defineProperty(Document.prototype, "visibilityState", { get: () => (hidden ? "hidden" : "visible") });
      Object.defineProperty(Document.prototype, "hidden", { get: () => hidden });
      globalThis.__setHidden = (h) => { hidden = h; document.dispatchEvent(new Event("visibilitychange")); };
      globalThis.__notes = [];
      globalThis.Notification = class {
        static permission = "granted";
        static requestPermission() { return Promise.resolve("granted"); }
        constructor(title, o) { globalThis.__notes.push({ title, body: o && o.body }); }
        close() {}
      };
    })()`);
    await newUser(carol.page, { url, jid: "carol@localhost", password: "carol-pw" });
    await openChat(carol.page, "bob@localhost");
    await carol.page.evaluate("__setHidden(true)");

    const m = bob.send("carol@localhost", "ping while you look away");
    const shown = next<ChatMessage>(
      (fn) => bob.on("updated", fn),
      (u) => u.id === m.id && u.state === "displayed",
    );
    let displayedEarly = false;
    void shown.then(() => {
      displayedEarly = true;
    });
    await expectMessage(carol.page, "ping while you look away");
    await carol.page.waitForFunction("globalThis.__notes.length === 1");
    assert.deepEqual(await carol.page.evaluate("globalThis.__notes[0]"), {
      title: "bob@localhost",
      body: "ping while you look away",
    });
    await contactItem(carol.page, "bob@localhost").locator(".badge").waitFor();
    // A short wait only to show that no read marker went out while hidden.
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(displayedEarly, false, "a read marker was sent while the tab was hidden");

    await carol.page.evaluate("__setHidden(false)");
    await shown;
    await contactItem(carol.page, "bob@localhost").locator(".badge").waitFor({ state: "detached" });
    carol.assertClean();
  });
});
