// Verifying contacts' OMEMO devices in the web client (issue 7), in real Chromium: scanning a
// QR code with Chromium's fake camera fed from a Y4M file we write (a matching code verifies,
// a code of another key warns and verifies nothing), comparing the short code between two web
// clients, a new device after the verification getting no messages (and the UI saying so), the
// warning when a contact's key changes, and axe on all of it.

import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import {
  type ChatMessage,
  formatFingerprint,
  HatoClient,
  MemoryOmemoStore,
  verificationUri,
} from "@hato/sdk";
import { createOwnDevice } from "@hato/sdk/internal";
import type { Page } from "playwright-core";
import {
  axeCheck,
  DESKTOP,
  describeViolations,
  launchBrowser,
  newUser,
  PHONE,
  screenshot,
  type TestBrowser,
  type WatchedPage,
  WEB_FLAGS,
  webUrl,
} from "../support/browser.js";
import { mutualContacts, startServer, type TestServer } from "../support/inproc.js";
import { nextEvent, wsTrusting } from "../support/sdk.js";
import { openChat, sendMessage } from "./ui.js";
import { writeQrVideo } from "./y4m.js";

const panel = (page: Page) => page.getByRole("region", { name: /Security of the chat with/ });
const device = (page: Page, id: number) => panel(page).locator(`li[data-device="${id}"]`);

async function openSecurity(page: Page): Promise<void> {
  const button = page.getByRole("button", { name: "Security", exact: true });
  if ((await button.getAttribute("aria-expanded")) !== "true") await button.click();
  await panel(page).waitFor();
}

async function axeClean(page: Page, what: string): Promise<void> {
  for (const size of [DESKTOP, PHONE]) {
    await page.setViewportSize(size);
    const v = await axeCheck(page);
    assert.deepEqual(v, [], `${what} at ${size.width}px:\n${describeViolations(v)}`);
  }
  await page.setViewportSize(DESKTOP);
}

describe("verifying contacts' devices in the web client", () => {
  let t: TestServer;
  let b: TestBrowser;
  let alice: WatchedPage;
  let carol: WatchedPage;
  let bob: HatoClient;
  const bobStore = new MemoryOmemoStore();
  let bobId = 0;
  let dir = "";
  let camera = "";
  const extra: HatoClient[] = [];
  const sdk = (user: string, store: MemoryOmemoStore, resource: string) => {
    const c = new HatoClient({
      service: `wss://localhost:${t.tlsPort}/xmpp-websocket`,
      jid: `${user}@localhost`,
      password: `${user}-pw`,
      resource,
      WebSocket: wsTrusting(t.ca),
      omemo: store,
    });
    extra.push(c);
    return c;
  };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "hato-verify-"));
    camera = join(dir, "camera.y4m");
    t = await startServer({ ...WEB_FLAGS });
    for (const u of ["alice", "bob", "carol"]) await t.addUser(u, `${u}-pw`);
    await mutualContacts(t, "alice", "bob", { a: "Alice", b: "Bob" });
    await mutualContacts(t, "alice", "carol", { a: "Alice", b: "Carol" });
    bob = sdk("bob", bobStore, "node");
    await bob.connect();
    bobId = bob.omemo!.deviceId!;
    await writeQrVideo(camera, "not yet");
    b = await launchBrowser({ fakeCamera: camera });
    alice = await b.newPage();
    carol = await b.newPage();
    const url = webUrl(t.tlsPort);
    await newUser(alice.page, { url, jid: "alice@localhost", password: "alice-pw" });
    await newUser(carol.page, { url, jid: "carol@localhost", password: "carol-pw" });
  });
  after(async () => {
    for (const c of extra) await c.disconnect().catch(() => undefined);
    await b?.close();
    await t?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("shows the contact's devices with fingerprints, and our own code, from the keyboard", async () => {
    const page = alice.page;
    await openChat(page, "Bob");
    await page.getByRole("button", { name: "Security", exact: true }).focus();
    await page.keyboard.press("Enter");
    await panel(page).waitFor();
    assert.equal(
      await page.evaluate("document.activeElement?.id"),
      "security-h",
      "focus moves to the panel's heading",
    );
    const bobFp = formatFingerprint(bob.omemo!.ownFingerprint().fingerprint);
    await device(page, bobId).getByText(bobFp).waitFor();
    await device(page, bobId)
      .getByText(/Not verified: gets your messages/)
      .waitFor();
    await panel(page).getByRole("img", { name: "Your verification QR code" }).waitFor();
    await axeClean(page, "the Security panel");
    await screenshot(page, "security-panel");
    alice.assertClean();
  });

  it("a scanned code of another key warns and verifies nothing", async () => {
    const page = alice.page;
    const other = await createOwnDevice(new MemoryOmemoStore(), bobId);
    await writeQrVideo(
      camera,
      verificationUri("bob@localhost", [{ device: bobId, key: other.identity.pub }]),
    );
    await panel(page).getByRole("button", { name: "Scan their code" }).click();
    const alert = panel(page).getByRole("alert");
    await alert.getByText(/does not match the key we hold/).waitFor();
    await device(page, bobId)
      .getByText(/Not verified/)
      .waitFor();
    assert.equal(await panel(page).locator("li.device.verified").count(), 0);
    // Codes that are not a verification code of this contact: refused with the reason.
    const fp = bob.omemo!.ownFingerprint().fingerprint;
    for (const [text, why] of [
      [
        `xmpp:carol@localhost?omemo-sid-${bobId}=${fp}`,
        "belongs to carol@localhost, not to bob@localhost",
      ],
      ["https://example.com/<b>hi</b>", "it is not an xmpp: URI"],
    ] as const) {
      await writeQrVideo(camera, text);
      await panel(page).getByRole("button", { name: "Scan their code" }).click();
      await panel(page).getByRole("alert").getByText(why, { exact: false }).waitFor();
    }
    assert.equal(await panel(page).locator("li.device.verified").count(), 0);
    await axeClean(page, "the mismatch warning");
    alice.assertClean();
  });

  it("scanning the contact's code with the camera verifies the device", async () => {
    const page = alice.page;
    await writeQrVideo(camera, bob.omemo!.verificationUri());
    await panel(page).getByRole("button", { name: "Scan their code" }).click();
    await panel(page)
      .getByText(`Verified: the code matches device ${bobId} of bob@localhost.`)
      .waitFor();
    await device(page, bobId).getByText("Verified", { exact: true }).waitFor();
    await screenshot(page, "security-verified");
    alice.assertClean();
  });

  it("after the verification a new device of the contact gets no messages, and the chat says so", async () => {
    const page = alice.page;
    const bob2 = sdk("bob", new MemoryOmemoStore(), "two");
    await bob2.connect();
    const id2 = bob2.omemo!.deviceId!;
    await page
      .getByRole("status")
      .getByText(
        `Bob added a device (${id2}). It gets no messages until you verify it in Security.`,
      )
      .waitFor();
    await device(page, id2)
      .getByText(/Not trusted: gets no messages until you verify it/)
      .waitFor();
    // What goes out proves it: bob's verified device reads the message, the new one cannot.
    const first = nextEvent(
      bob,
      "message",
      (m: ChatMessage) => !m.outgoing && m.body === "for verified eyes",
    );
    const second = nextEvent(
      bob2,
      "message",
      (m: ChatMessage) => !m.outgoing && m.encryption === "failed",
    );
    await sendMessage(page, "for verified eyes");
    assert.equal((await first)[0].encryption, "omemo");
    assert.match((await second)[0].problem ?? "", /not encrypted for this device/);
    await axeClean(page, "the new-device notice");
    alice.assertClean();
  });

  it("warns clearly when a contact's key changes, until the user accepts it", async () => {
    const page = alice.page;
    const forged = new MemoryOmemoStore();
    await createOwnDevice(forged, bobId);
    const mallory = sdk("bob", forged, "mallory");
    await mallory.connect();
    await mallory.sendEncrypted("alice@localhost", "it is me, bob");
    const warning = page
      .getByRole("alert")
      .filter({ hasText: "presented a different security key" });
    await warning.waitFor();
    await warning.getByText(/someone may be impersonating/).waitFor();
    await device(page, bobId)
      .getByText(/now presents another key/)
      .waitFor();
    await axeClean(page, "the key-change warning");
    await screenshot(page, "security-key-changed");
    await device(page, bobId)
      .getByRole("button", { name: /Accept the new key/ })
      .click();
    await device(page, bobId)
      .getByText(/Not trusted: gets no messages/)
      .waitFor();
    await warning.waitFor({ state: "detached" });
    alice.assertClean([/identity key of bob@localhost's device \d+ changed/]);
  });

  it("two web clients show the same short code; confirming it verifies the device", async () => {
    await openChat(alice.page, "Carol");
    await openSecurity(alice.page);
    await openChat(carol.page, "Alice");
    await openSecurity(carol.page);
    const codeOf = async (page: Page) => {
      const item = panel(page).locator("li.device").first();
      await item.getByRole("button", { name: /Compare a code/ }).click();
      return (await item.getByTestId("short-code").textContent()) ?? "";
    };
    const a = await codeOf(alice.page);
    const c = await codeOf(carol.page);
    assert.match(a, /^\d{5}( \d{5}){5}$/);
    assert.equal(a, c);
    await axeClean(alice.page, "the short code");
    const item = panel(alice.page).locator("li.device").first();
    await item.getByRole("button", { name: "They match" }).click();
    await item.getByText("Verified", { exact: true }).waitFor();
    await panel(carol.page)
      .locator("li.device")
      .first()
      .getByRole("button", { name: "They don't match" })
      .click();
    await panel(carol.page)
      .getByRole("alert")
      .getByText(/The codes differ/)
      .waitFor();
    await panel(carol.page)
      .locator("li.device")
      .first()
      .getByText(/Not trusted/)
      .waitFor();
    alice.assertClean();
    carol.assertClean();
  });
});
