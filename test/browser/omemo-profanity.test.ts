// The web client in Chromium and Debian's Profanity (OMEMO build, driven in tmux) exchange
// OMEMO messages both ways through a real `hato start` (XEP-0384 0.3.0,
// eu.siacs.conversations.axolotl); the server's SQLite database file holds neither text.

import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import {
  launchBrowser,
  newUser,
  screenshot,
  type TestBrowser,
  type WatchedPage,
  WEB_DIST,
  webUrl,
} from "../support/browser.js";
import { type Hato, startHato } from "../support/hato.js";
import { Profanity, profanityInstalled } from "../support/profanity.js";
import {
  approveButton,
  approveRequest,
  contactItem,
  encryptionState,
  expectMessage,
  messageLog,
  openChat,
  sendMessage,
} from "./ui.js";

const TO_PROFANITY = "Hello Alice, from the Hato web client";
const TO_WEB = "Hi Bob, Profanity answers over OMEMO";

describe("OMEMO between the web client and Profanity", {
  skip: !profanityInstalled() && "tmux or profanity missing",
}, () => {
  let hato: Hato;
  let prof: Profanity | undefined;
  let b: TestBrowser;
  let bob: WatchedPage;

  before(async () => {
    hato = await startHato({
      users: { alice: "alice-secret", bob: "bob-secret" },
      flags: { "web-root": WEB_DIST },
    });
    b = await launchBrowser();
    bob = await b.newPage();
  });
  after(async () => {
    await prof?.stop();
    await b?.close();
    await hato?.stop();
  });

  it("the web client and Profanity read each other's encrypted messages; the database holds neither text", async () => {
    prof = await Profanity.start(hato, { user: "alice", password: "alice-secret" });
    await prof.online();
    await prof.enableOmemo();

    await newUser(bob.page, {
      url: webUrl(hato.tlsPort),
      jid: "bob@localhost",
      password: "bob-secret",
    });
    // Alice (Profanity) asks; bob approves in the web client, which asks back; alice allows.
    await prof.type("/roster add bob@localhost Bob");
    await prof.type("/sub request bob@localhost");
    await approveButton(bob.page, "alice@localhost").waitFor({ timeout: 30_000 });
    await approveRequest(bob.page, "alice@localhost");
    await contactItem(bob.page, "alice@localhost").waitFor();
    await prof.waitFor(/bob@localhost/);
    await prof.type("/sub allow bob@localhost");

    // Web → Profanity: encrypted by default ("~" is Profanity's mark for an OMEMO message).
    await openChat(bob.page, "alice@localhost");
    await encryptionState(bob.page).getByText("End-to-end encrypted").waitFor({ timeout: 30_000 });
    await sendMessage(bob.page, TO_PROFANITY);
    await prof.type("/msg bob@localhost");
    await prof.waitFor(new RegExp(`~ Bob/\\S+: ${TO_PROFANITY}`), 30_000);

    // Profanity → web.
    await prof.type("/omemo start bob@localhost");
    await prof.waitFor(/OMEMO/);
    await prof.type(TO_WEB);
    await expectMessage(bob.page, TO_WEB, 30_000);
    const log = messageLog(bob.page);
    assert.equal(await log.getByText("Not encrypted").count(), 0, "both arrived encrypted");
    assert.equal(await log.getByText(/Could not decrypt/).count(), 0);
    await encryptionState(bob.page).getByText("End-to-end encrypted").waitFor();
    await screenshot(bob.page, "e2ee-profanity");

    // The server's database (SQLite, with its write-ahead log): the OMEMO messages are
    // there, their text is not.
    const files = ["hato.db", "hato.db-wal"]
      .map((f) => join(hato.dataDir, f))
      .filter((f) => existsSync(f));
    assert.ok(files.length > 0, `a database file in ${hato.dataDir}`);
    const bytes = Buffer.concat(await Promise.all(files.map((f) => readFile(f))));
    assert.ok(bytes.includes("eu.siacs.conversations.axolotl"), "the OMEMO messages are stored");
    for (const text of [TO_PROFANITY, TO_WEB, "from the Hato web client", "Profanity answers"])
      assert.ok(!bytes.includes(text), `the database holds "${text}"`);
    bob.assertClean();
  });
});
