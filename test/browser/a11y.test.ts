// Every view of the web client passes axe-core (WCAG 2.2 A/AA and best practices) with no
// violation, at desktop width and at 360 px (issue 4), file sharing's states too (issue 5);
// screenshots of each view are written to test-artifacts/screenshots/ for a person to look at.

import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { eicar, pngBytes } from "../sdk/files.js";
import {
  axeCheck,
  DESKTOP,
  describeViolations,
  launchBrowser,
  PHONE,
  screenshot,
  signIn,
  type TestBrowser,
  WEB_FLAGS,
  webUrl,
} from "../support/browser.js";
import { mutualContacts, RawClient, startServer, type TestServer } from "../support/inproc.js";
import { type CuttableProxy, startCuttableProxy } from "./net-cut.js";
import {
  addContactBox,
  allowUnencrypted,
  approveButton,
  contactItem,
  contactList,
  expectMessage,
  messageBox,
  offlineBanner,
  openChat,
  sendMessage,
} from "./ui.js";

describe("accessibility of every view (axe-core)", () => {
  let t: TestServer;
  let b: TestBrowser;
  let proxy: CuttableProxy;
  let bob: RawClient;
  let carol: RawClient;
  let data: string;
  before(async () => {
    data = await mkdtemp(join(tmpdir(), "hato-a11y-"));
    t = await startServer({ ...WEB_FLAGS, data });
    for (const [u, pw] of [
      ["alice", "alice-pw"],
      ["bob", "bob-pw"],
      ["carol", "carol-pw"],
    ])
      await t.addUser(u!, pw!);
    await mutualContacts(t, "alice", "bob", { a: "Alice", b: "Bob Builder" });
    bob = (await RawClient.login(t, "bob", "bob-pw", "bot")).client;
    bob.autoAck = true;
    carol = (await RawClient.login(t, "carol", "carol-pw", "bot")).client;
    // A request alice has not answered: the pending-request view.
    carol.send("<presence to='alice@localhost' type='subscribe'/>");
    bob.send(
      "<message to='alice@localhost' type='chat' id='hi1'><body>Hi Alice, can you see this? https://example.com/</body></message>",
    );
    proxy = await startCuttableProxy(t.tlsPort);
    b = await launchBrowser();
  });
  after(async () => {
    bob?.close();
    carol?.close();
    await b?.close();
    await proxy?.close();
    await t?.stop();
    await rm(data, { recursive: true, force: true });
  });

  for (const [label, viewport] of [
    ["desktop", DESKTOP],
    ["phone", PHONE],
  ] as const) {
    it(`sign-in, contacts, pending request, add contact, chat, editing, offline banner at ${viewport.width} px`, async () => {
      const w = await b.newPage({ viewport });
      const { page } = w;
      const failures: string[] = [];
      const check = async (view: string) => {
        await screenshot(page, `${view}-${label}`);
        const v = await axeCheck(page);
        if (v.length > 0)
          failures.push(`${view} at ${viewport.width} px:\n${describeViolations(v)}`);
      };

      await page.goto(webUrl(proxy.port));
      await page.getByRole("button", { name: "Sign in" }).waitFor();
      await check("sign-in");

      await signIn(page, { jid: "alice@localhost", password: "alice-pw" });
      await contactItem(page, "Bob Builder").waitFor();
      await check("contacts");

      await approveButton(page, "carol@localhost").waitFor();
      await check("pending-request");

      // The add-contact form, with its answer to an address that is not one.
      await addContactBox(page).fill("not an address");
      await page.getByRole("button", { name: "Add contact", exact: true }).click();
      await page.getByText(/name@domain/).waitFor();
      await check("add-contact");
      await addContactBox(page).fill("");

      await openChat(page, "Bob Builder");
      await expectMessage(page, "Hi Alice, can you see this? https://example.com/");
      // Bob's client has no OMEMO: the notice that says so, then the explicit choice.
      await page.getByText(/app cannot receive encrypted messages/).waitFor();
      await check("chat");
      await allowUnencrypted(page);
      await check("chat-unencrypted");

      // Correcting the last own message (XEP-0308): the composer in edit mode.
      await sendMessage(page, `from alice at ${label} width`);
      await expectMessage(page, `from alice at ${label} width`);
      await messageBox(page).press("ArrowUp");
      await page.getByRole("button", { name: "Cancel edit" }).waitFor();
      await check("chat-editing");
      await messageBox(page).press("Escape");
      await page.getByRole("button", { name: "Cancel edit" }).waitFor({ state: "hidden" });

      proxy.cut("reset");
      await offlineBanner(page).first().waitFor({ timeout: 30_000 });
      await check("offline");
      proxy.restore();
      await offlineBanner(page).first().waitFor({ state: "hidden", timeout: 60_000 });
      await contactList(page).or(page.getByRole("log")).first().waitFor();

      assert.deepEqual(failures, [], failures.join("\n\n"));
      w.assertClean([/WebSocket/i, /net::ERR_/i, /Failed to load resource/i]);
    });
  }
  for (const [label, viewport] of [
    ["desktop", DESKTOP],
    ["phone", PHONE],
  ] as const) {
    it(`file sharing: attach, upload progress, blocked, image preview and download links at ${viewport.width} px`, async () => {
      const w = await b.newPage({ viewport });
      const { page } = w;
      const failures: string[] = [];
      const check = async (view: string) => {
        await screenshot(page, `${view}-${label}`);
        const v = await axeCheck(page);
        if (v.length > 0)
          failures.push(`${view} at ${viewport.width} px:\n${describeViolations(v)}`);
      };
      const attach = async (name: string, mimeType: string, buffer: Buffer) => {
        const chooser = page.waitForEvent("filechooser");
        await page.getByRole("button", { name: "Attach file" }).click();
        await (await chooser).setFiles([{ name, mimeType, buffer }]);
      };
      // Uploads go to the server's own origin (CSP connect-src 'self'): no proxy in front here.
      await page.goto(webUrl(t.tlsPort));
      await signIn(page, { jid: "alice@localhost", password: "alice-pw" });
      await openChat(page, "Bob Builder");
      // Bob's client has no OMEMO: files go unencrypted only once alice chose so for the chat
      // (in an encrypted chat they would be XEP-0454 encrypted files, without previews).
      await allowUnencrypted(page);
      await page.getByRole("button", { name: "Attach file" }).waitFor();

      // Slow uploads keep the progress bar on screen while axe looks at it.
      const cdp = await page.context().newCDPSession(page);
      await cdp.send("Network.enable");
      const throttle = (bytesPerSecond: number) =>
        cdp.send("Network.emulateNetworkConditions", {
          offline: false,
          latency: 0,
          downloadThroughput: -1,
          uploadThroughput: bytesPerSecond,
        });
      await throttle(100_000);
      await attach(`photo-${label}.png`, "image/png", pngBytes(400, 400, true));
      await page.getByRole("progressbar", { name: `Uploading photo-${label}.png` }).waitFor();
      await check("upload-progress");
      await throttle(-1);
      await page.getByRole("img", { name: `photo-${label}.png` }).waitFor({ timeout: 30_000 });
      await check("upload-image-preview");

      await attach(`eicar-${label}.txt`, "text/plain", Buffer.from(eicar(), "latin1"));
      await page.getByText(/^Blocked: /).waitFor();
      await attach(
        `notes-${label}.svg`,
        "image/svg+xml",
        Buffer.from("<svg xmlns='http://www.w3.org/2000/svg'/>"),
      );
      await page.getByRole("link", { name: `Download notes-${label}.svg` }).waitFor();
      await check("upload-blocked-and-download");

      assert.deepEqual(failures, [], failures.join("\n\n"));
      w.assertClean([/422/, /Failed to load resource/i]);
    });
  }
});
