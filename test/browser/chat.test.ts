// Two people in two browsers (issue 4): alice adds bob by address, bob approves, they chat, see
// each other typing and the read marker, reload and find the conversation in the archive.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  launchBrowser,
  newUser,
  screenshot,
  type TestBrowser,
  type WatchedPage,
  WEB_FLAGS,
  webUrl,
} from "../support/browser.js";
import { startServer, type TestServer } from "../support/inproc.js";
import {
  addContact,
  approveButton,
  approveRequest,
  contactItem,
  encryptionState,
  expectMessage,
  messageBox,
  messageLog,
  messageText,
  openChat,
  readMarker,
  reloadSignedIn,
  sendMessage,
} from "./ui.js";

describe("two browser users", () => {
  let t: TestServer;
  let b: TestBrowser;
  let alice: WatchedPage;
  let bob: WatchedPage;
  before(async () => {
    t = await startServer({ ...WEB_FLAGS });
    await t.addUser("alice", "alice-pw");
    await t.addUser("bob", "bob-pw");
    b = await launchBrowser();
    alice = await b.newPage();
    bob = await b.newPage();
  });
  after(async () => {
    await b?.close();
    await t?.stop();
  });

  it("sign in, add each other (request, approval), chat both ways, typing, read marker, reload and history", async () => {
    const url = webUrl(t.tlsPort);
    await newUser(alice.page, { url, jid: "alice@localhost", password: "alice-pw" });
    await newUser(bob.page, { url, jid: "bob@localhost", password: "bob-pw" });

    // Alice adds bob by address; bob sees the request and approves it (and asks back).
    await addContact(alice.page, "bob@localhost");
    await contactItem(alice.page, "bob@localhost").waitFor();
    await approveButton(bob.page, "alice@localhost").waitFor();
    await screenshot(bob.page, "pending-request");
    await approveRequest(bob.page, "alice@localhost");
    await contactItem(bob.page, "alice@localhost").waitFor();
    // Bob's approval subscribes back to alice.
    await settleMutual(t, alice);

    // Chat both ways.
    await openChat(alice.page, "bob@localhost");
    await sendMessage(alice.page, "Hello Bob, this is Alice.");
    await expectMessage(alice.page, "Hello Bob, this is Alice.");
    await openChat(bob.page, "alice@localhost");
    await expectMessage(bob.page, "Hello Bob, this is Alice.");
    await sendMessage(bob.page, "Hi Alice! Bob here.");
    await expectMessage(alice.page, "Hi Alice! Bob here.");

    // Typing: bob types without sending; alice sees it.
    await messageBox(bob.page).pressSequentially("I am writing some");
    await alice.page
      .getByText(/is typing/i)
      .first()
      .waitFor();
    await screenshot(alice.page, "chat-typing");
    // Bob empties the box: he is no longer typing, and alice sees that too.
    await messageBox(bob.page).fill("");
    await alice.page
      .getByText(/is typing/i)
      .first()
      .waitFor({ state: "hidden" });

    // Read marker: bob has the chat open, so alice's next message is shown as read to her.
    await sendMessage(alice.page, "Did you read this?");
    await expectMessage(bob.page, "Did you read this?");
    await readMarker(alice.page, "Did you read this?").waitFor();
    await screenshot(alice.page, "chat-read");

    // The chat was end-to-end encrypted (both web clients have OMEMO on by default).
    await encryptionState(alice.page).getByText("End-to-end encrypted").waitFor();
    await encryptionState(bob.page).getByText("End-to-end encrypted").waitFor();

    // Reload: the archive holds only ciphertext; each browser's own decrypted history (issue 7,
    // docs/e2ee.md) brings the conversation back, in order, once, never the fallback text.
    for (const [page, jid, pw, peer] of [
      [alice, "alice@localhost", "alice-pw", "bob@localhost"],
      [bob, "bob@localhost", "bob-pw", "alice@localhost"],
    ] as const) {
      await reloadSignedIn(page.page, jid, pw);
      await openChat(page.page, peer);
      for (const text of [
        "Hello Bob, this is Alice.",
        "Hi Alice! Bob here.",
        "Did you read this?",
      ]) {
        await expectMessage(page.page, text);
        assert.equal(await messageText(page.page, text).count(), 1, `${jid} sees "${text}" once`);
      }
      const log = (await messageLog(page.page).textContent()) ?? "";
      assert.ok(
        log.indexOf("Hello Bob") < log.indexOf("Hi Alice!") &&
          log.indexOf("Hi Alice!") < log.indexOf("Did you read"),
        `history in order for ${jid}:\n${log}`,
      );
      assert.ok(!/OMEMO encrypted message/.test(log), `no fallback text for ${jid}:\n${log}`);
      assert.ok(!/not available on this device/.test(log), `all readable for ${jid}:\n${log}`);
    }
    await screenshot(bob.page, "chat-history");
    alice.assertClean();
    bob.assertClean();
  });
});

/**
 * Waits until alice and bob both have a mutual subscription; on the way, approves bob's request
 * back to alice if her client shows one (a client may also approve it by itself, since she
 * asked first).
 */
async function settleMutual(t: TestServer, alice: WatchedPage): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const [a, b] = [
      await t.storage.roster.item("alice", "bob@localhost"),
      await t.storage.roster.item("bob", "alice@localhost"),
    ];
    if (a?.subscription === "both" && b?.subscription === "both") return;
    if (await approveButton(alice.page, "bob@localhost").isVisible())
      await approveButton(alice.page, "bob@localhost").click();
    if (Date.now() > deadline)
      assert.fail(
        `no mutual subscription: alice has ${JSON.stringify(a)}, bob ${JSON.stringify(b)}`,
      );
    await new Promise((r) => setTimeout(r, 100));
  }
}
