// What the upload browser tests share: alice and bob, mutual contacts, signed in in Chromium
// with each other's chat open, on a server with its own data folder (uploads live there).
// The web client encrypts files in encrypted chats (XEP-0454); the plain upload tests have
// alice choose "Send unencrypted" for Bob, as a user does whose contact's app has no OMEMO
// (Bob has not signed in yet then, so he has no device).

import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Page } from "playwright-core";
import {
  launchBrowser,
  newUser,
  type TestBrowser,
  type WatchedPage,
  WEB_FLAGS,
} from "../support/browser.js";
import { mutualContacts, startServer, type TestServer } from "../support/inproc.js";
import { allowUnencrypted, openChat } from "./ui.js";

export interface UploadWorld {
  t: TestServer;
  b: TestBrowser;
  alice: WatchedPage;
  bob: WatchedPage;
  /** The server's data folder (the upload store is in it). */
  data: string;
  close(): Promise<void>;
}

/** Starts the server (with `flags` on top of the web client's), the browser and both users. */
export async function startUploadWorld(
  flags: Record<string, string> = {},
  { encrypted = false }: { encrypted?: boolean } = {},
): Promise<UploadWorld> {
  const data = await mkdtemp(join(tmpdir(), "hato-web-upload-"));
  const t = await startServer({ ...WEB_FLAGS, data, ...flags });
  await t.addUser("alice", "alice-pw");
  await t.addUser("bob", "bob-pw");
  await mutualContacts(t, "alice", "bob", { a: "Alice", b: "Bob" });
  const b = await launchBrowser();
  const alice = await b.newPage();
  const bob = await b.newPage();
  const url = `https://localhost:${t.tlsPort}/`;
  await newUser(alice.page, { url, jid: "alice@localhost", password: "alice-pw" });
  if (!encrypted) {
    await openChat(alice.page, "Bob");
    await allowUnencrypted(alice.page);
  }
  await newUser(bob.page, { url, jid: "bob@localhost", password: "bob-pw" });
  if (encrypted) await openChat(alice.page, "Bob");
  await openChat(bob.page, "Alice");
  return {
    t,
    b,
    alice,
    bob,
    data,
    async close() {
      await b.close();
      await t.stop();
      await rm(data, { recursive: true, force: true });
    },
  };
}

/** Picks files through the button "Attach file" (its hidden input opens the file chooser). */
export async function attach(
  page: Page,
  files: { name: string; mimeType: string; buffer: Buffer }[],
): Promise<void> {
  const chooser = page.waitForEvent("filechooser");
  await page.getByRole("button", { name: "Attach file" }).click();
  await (await chooser).setFiles(files);
}
