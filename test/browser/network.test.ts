// The network is cut mid-conversation and restored (issue 4): alice's browser reaches the
// server through a TCP proxy the test controls (the page and its WebSocket both), bob's directly.
// While cut, alice's client says it is offline; messages written both ways meanwhile arrive
// once each after the network is back (stream resumption, XEP-0198). A cut at the proxy, not the
// browser's offline switch: that one leaves open WebSockets open and proves nothing.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Locator, Page } from "playwright-core";
import {
  launchBrowser,
  newUser,
  screenshot,
  type TestBrowser,
  type WatchedPage,
  WEB_FLAGS,
  webUrl,
} from "../support/browser.js";
import { mutualContacts, startServer, type TestServer } from "../support/inproc.js";
import { type CuttableProxy, startCuttableProxy } from "./net-cut.js";
import {
  contactItem,
  expectMessage,
  messageText,
  offlineBanner,
  openChat,
  sendMessage,
} from "./ui.js";

/** What a cut page may log: its WebSocket and requests failing. */
const NETWORK_NOISE = [/WebSocket/i, /net::ERR_/i, /Failed to load resource/i];

describe("network cut and restored mid-conversation", () => {
  let t: TestServer;
  let b: TestBrowser;
  let proxy: CuttableProxy;
  let alice: WatchedPage;
  let bob: WatchedPage;
  before(async () => {
    t = await startServer({ ...WEB_FLAGS });
    await t.addUser("alice", "alice-pw");
    await t.addUser("bob", "bob-pw");
    await mutualContacts(t, "alice", "bob");
    proxy = await startCuttableProxy(t.tlsPort);
    b = await launchBrowser();
    alice = await b.newPage();
    bob = await b.newPage();
    // Alice's timers run on a clock the test can move forward: a dead link without a reset is
    // found by the client's keepalive (silence for two periods of 30 s), and reconnecting waits
    // between attempts; the test skips those waits instead of sitting through them.
    await alice.page.clock.install();
    await newUser(alice.page, {
      url: webUrl(proxy.port),
      jid: "alice@localhost",
      password: "alice-pw",
    });
    await newUser(bob.page, { url: webUrl(t.tlsPort), jid: "bob@localhost", password: "bob-pw" });
    await openChat(alice.page, "bob@localhost");
    await openChat(bob.page, "alice@localhost");
    await sendMessage(alice.page, "before the cut (alice)");
    await sendMessage(bob.page, "before the cut (bob)");
    for (const p of [alice, bob])
      for (const m of ["before the cut (alice)", "before the cut (bob)"])
        await expectMessage(p.page, m);
  });
  after(async () => {
    await b?.close();
    await proxy?.close();
    await t?.stop();
  });

  for (const mode of ["reset", "silent"] as const) {
    it(`cut (${mode}): offline banner, messages both ways during the cut, each delivered once after`, {
      timeout: 240_000,
    }, async () => {
      assert.ok(proxy.open > 0, "alice's client goes through the proxy");
      proxy.cut(mode);
      const during = [
        `alice during ${mode} 1`,
        `alice during ${mode} 2`,
        `bob during ${mode} 1`,
        `bob during ${mode} 2`,
      ];
      await sendMessage(alice.page, during[0]!);
      await sendMessage(bob.page, during[2]!);
      await untilWithClock(alice.page, offlineBanner(alice.page).first(), "visible");
      await sendMessage(alice.page, during[1]!);
      await sendMessage(bob.page, during[3]!);
      await screenshot(alice.page, `offline-banner-${mode}`);
      // Bob's presence is not known while alice is offline, and the page does not pretend.
      const bobEntry = contactItem(alice.page, "bob@localhost");
      await bobEntry.getByText("Unknown while offline").waitFor();
      // Bob's messages cannot reach alice while cut.
      for (const m of during.slice(2)) assert.equal(await messageText(alice.page, m).count(), 0);

      proxy.restore();
      await untilWithClock(alice.page, offlineBanner(alice.page).first(), "hidden");
      await bobEntry.getByText("Online").waitFor();
      for (const p of [alice, bob])
        for (const m of during) {
          await expectMessage(p.page, m, 60_000);
          assert.equal(
            await messageText(p.page, m).count(),
            1,
            `"${m}" once for ${p === alice ? "alice" : "bob"}`,
          );
        }
      // And the conversation goes on.
      await sendMessage(alice.page, `alice after ${mode}`);
      await sendMessage(bob.page, `bob after ${mode}`);
      for (const p of [alice, bob])
        for (const m of [`alice after ${mode}`, `bob after ${mode}`]) {
          await expectMessage(p.page, m);
          assert.equal(await messageText(p.page, m).count(), 1);
        }
      // Nothing said before the cut came twice either.
      for (const p of [alice, bob])
        for (const m of ["before the cut (alice)", "before the cut (bob)"])
          assert.equal(await messageText(p.page, m).count(), 1);
      alice.assertClean(NETWORK_NOISE);
      bob.assertClean();
    });
  }
});

/**
 * Waits for `locator` to reach `state`, moving the page's clock 5 s forward between looks so
 * that keepalive and reconnection timers fire without real waiting.
 */
async function untilWithClock(
  page: Page,
  locator: Locator,
  state: "visible" | "hidden",
): Promise<void> {
  for (let i = 0; i < 120; i++) {
    if ((await locator.isVisible()) === (state === "visible")) return;
    await page.clock.fastForward(5000);
    await locator.waitFor({ state, timeout: 250 }).catch(() => undefined);
  }
  assert.fail(`the offline banner did not become ${state} within 10 minutes of the page's time`);
}
