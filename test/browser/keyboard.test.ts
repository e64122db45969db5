// The web client with the keyboard alone (issue 4: keyboard navigation): sign in, move to a
// contact with Tab, open the chat with Enter, write and send with Enter, edit the last message
// with the Up arrow; no mouse.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Locator, Page } from "playwright-core";
import {
  launchBrowser,
  screenshot,
  type TestBrowser,
  WEB_FLAGS,
  webUrl,
} from "../support/browser.js";
import { mutualContacts, RawClient, startServer, type TestServer } from "../support/inproc.js";
import { contactItem, contactList, expectMessage, messageBox, messageText } from "./ui.js";

/** Whether `locator`'s element has the keyboard focus. */
const focused = (l: Locator): Promise<boolean> =>
  l.evaluate(
    (el) =>
      el === (el as { ownerDocument: { activeElement: unknown } }).ownerDocument.activeElement,
  );

/** Presses Tab until `target` has the focus (at most `max` times). */
async function tabTo(page: Page, target: Locator, max = 40): Promise<number> {
  for (let i = 1; i <= max; i++) {
    await page.keyboard.press("Tab");
    if (await focused(target)) return i;
  }
  assert.fail(`Tab never reached ${target}`);
}

describe("keyboard only", () => {
  let t: TestServer;
  let b: TestBrowser;
  let bob: RawClient;
  before(async () => {
    t = await startServer({ ...WEB_FLAGS });
    await t.addUser("alice", "alice-pw");
    await t.addUser("bob", "bob-pw");
    await mutualContacts(t, "alice", "bob");
    bob = (await RawClient.login(t, "bob", "bob-pw", "bot")).client;
    bob.autoAck = true;
    b = await launchBrowser();
  });
  after(async () => {
    bob?.close();
    await b?.close();
    await t?.stop();
  });

  it("sign in, reach a contact, open the chat, send, and correct the last message without a mouse", async () => {
    const w = await b.newPage();
    const { page } = w;
    await page.goto(webUrl(t.tlsPort));
    await tabTo(page, page.getByLabel("Address"));
    await page.keyboard.type("alice@localhost");
    await page.keyboard.press("Tab");
    assert.ok(await focused(page.getByLabel("Password")), "Tab goes from Address to Password");
    await page.keyboard.type("alice-pw");
    await page.keyboard.press("Enter");
    await contactList(page).waitFor({ state: "attached" });

    const bobItem = contactItem(page, "bob@localhost").getByRole("button");
    await bobItem.waitFor();
    await tabTo(page, bobItem);
    await page.keyboard.press("Enter");
    await messageBox(page).waitFor();
    // Bob's client has no OMEMO: the explicit choice to send unencrypted, by keyboard too.
    const plain = page.getByRole("button", { name: "Send unencrypted in this chat" });
    await plain.waitFor();
    await tabTo(page, plain);
    await page.keyboard.press("Enter");
    await plain.waitFor({ state: "detached" });
    await tabTo(page, messageBox(page));
    await page.keyboard.type("typed, not clicked");
    await page.keyboard.press("Enter");
    await expectMessage(page, "typed, not clicked");
    const got = await bob.expect(
      (e) => e.name === "message" && e.getChildText("body") === "typed, not clicked",
      "alice's message",
    );
    assert.equal(got.attr("type"), "chat");

    // Up in the empty box edits the last message; Enter sends the correction.
    assert.ok(await focused(messageBox(page)), "the box keeps the focus after sending");
    await page.keyboard.press("ArrowUp");
    await page.getByText("Editing your last message").waitFor();
    for (let i = 0; i < 100 && (await messageBox(page).inputValue()) !== "typed, not clicked"; i++)
      await page.waitForTimeout(20);
    assert.equal(
      await messageBox(page).inputValue(),
      "typed, not clicked",
      "the box holds the text to edit",
    );
    await page.keyboard.press("ControlOrMeta+a");
    await page.keyboard.type("typed and corrected");
    await page.keyboard.press("Enter");
    await expectMessage(page, "typed and corrected");
    assert.equal(await messageText(page, "typed, not clicked").count(), 0);
    const fix = await bob.expect(
      (e) => e.name === "message" && e.getChildText("body") === "typed and corrected",
      "the correction",
    );
    assert.ok(
      fix.getChild("replace", "urn:xmpp:message-correct:0"),
      "sent as a XEP-0308 correction",
    );
    await screenshot(page, "keyboard-corrected");
    w.assertClean();
  });
});
