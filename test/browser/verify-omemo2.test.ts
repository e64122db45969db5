// Verifying a contact's OMEMO 2 (urn:xmpp:omemo:2) device in the web client, in real Chromium:
// an SDK peer with only OMEMO 2 appears in the Security panel with its namespace named and
// its Ed25519 fingerprint, is verified by the short code (the peer's side computed from its
// own keys), and a new OMEMO 2 device after that gets no message.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  type ChatMessage,
  comparisonCode,
  fingerprintHex,
  formatFingerprint,
  HatoClient,
  MemoryOmemo2Store,
} from "@hato/sdk";
import type { Page } from "playwright-core";
import {
  launchBrowser,
  newUser,
  type TestBrowser,
  type WatchedPage,
  WEB_FLAGS,
  webUrl,
} from "../support/browser.js";
import { mutualContacts, startServer, type TestServer } from "../support/inproc.js";
import { nextEvent, wsTrusting } from "../support/sdk.js";
import { openChat, sendMessage } from "./ui.js";

const NS2 = "urn:xmpp:omemo:2";
const panel = (page: Page) => page.getByRole("region", { name: /Security of the chat with/ });
const device = (page: Page, id: number) =>
  panel(page).locator(`li[data-device="${id}"][data-namespace="${NS2}"]`);

describe("verifying an OMEMO 2 device in the web client", () => {
  let t: TestServer;
  let b: TestBrowser;
  let alice: WatchedPage;
  let carol: HatoClient;
  const carolStore = new MemoryOmemo2Store();
  let carolId = 0;
  const extra: HatoClient[] = [];
  const sdk = (store: MemoryOmemo2Store, resource: string) => {
    const c = new HatoClient({
      service: `wss://localhost:${t.tlsPort}/xmpp-websocket`,
      jid: "carol@localhost",
      password: "carol-pw",
      resource,
      WebSocket: wsTrusting(t.ca),
      omemo2: store, // OMEMO 2 only
    });
    extra.push(c);
    return c;
  };

  before(async () => {
    t = await startServer({ ...WEB_FLAGS });
    for (const u of ["alice", "carol"]) await t.addUser(u, `${u}-pw`);
    await mutualContacts(t, "alice", "carol", { a: "Alice", b: "Carol" });
    carol = sdk(carolStore, "node");
    await carol.connect();
    carolId = carol.omemo2!.deviceId!;
    b = await launchBrowser();
    alice = await b.newPage();
    await newUser(alice.page, {
      url: webUrl(t.tlsPort),
      jid: "alice@localhost",
      password: "alice-pw",
    });
  });
  after(async () => {
    for (const c of extra) await c.disconnect().catch(() => undefined);
    await b?.close();
    await t?.stop();
  });

  it("lists the OMEMO 2 device, and the short code verifies it", async () => {
    const page = alice.page;
    const got = nextEvent(carol, "message", (m: ChatMessage) => !m.outgoing && m.body === "hi");
    await openChat(page, "Carol");
    await sendMessage(page, "hi");
    assert.equal((await got)[0].encryption, "omemo");
    await page.getByRole("button", { name: "Security", exact: true }).click();
    const own = (await carolStore.loadOwn())!;
    const item = device(page, carolId);
    await item.getByText(`Device ${carolId} (OMEMO 2)`).waitFor();
    await item.getByText(formatFingerprint(fingerprintHex(own.identity.pub))).waitFor();
    await item.getByText(/Not verified: gets your messages/).waitFor();
    // Carol's side of the code: her key and the OMEMO 2 key she holds for alice's device.
    const aliceIds = await carolStore.identities("alice@localhost");
    assert.equal(aliceIds.size, 1);
    const [aliceKey] = [...aliceIds.values()];
    const theirs = await comparisonCode(
      { jid: "carol@localhost", key: own.identity.pub },
      { jid: "alice@localhost", key: aliceKey!.key },
    );
    await item.getByRole("button", { name: /Compare a code/ }).click();
    assert.equal(await item.getByTestId("short-code").textContent(), theirs);
    await item.getByRole("button", { name: "They match" }).click();
    await item.getByText("Verified", { exact: true }).waitFor();
    alice.assertClean();
  });

  it("a new OMEMO 2 device after the verification gets no message", async () => {
    const page = alice.page;
    const carol2 = sdk(new MemoryOmemo2Store(), "two");
    await carol2.connect();
    const id2 = carol2.omemo2!.deviceId!;
    await page
      .getByRole("status")
      .getByText(
        `Carol added a device (${id2}). It gets no messages until you verify it in Security.`,
      )
      .waitFor();
    await device(page, id2)
      .getByText(/Not trusted: gets no messages until you verify it/)
      .waitFor();
    const first = nextEvent(
      carol,
      "message",
      (m: ChatMessage) => !m.outgoing && m.body === "for verified eyes",
    );
    const second = nextEvent(
      carol2,
      "message",
      (m: ChatMessage) => !m.outgoing && m.encryption === "failed",
    );
    await sendMessage(page, "for verified eyes");
    assert.equal((await first)[0].encryption, "omemo");
    assert.match((await second)[0].problem ?? "", /not encrypted for this device/);
    alice.assertClean();
  });
});
