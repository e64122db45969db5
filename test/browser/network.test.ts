// The network is cut mid-conversation and restored (issue 4): alice's browser reaches the
// server through a TCP proxy the test controls (the page and its WebSocket both), bob's directly.
// While cut, alice's client says it is offline; messages written both ways meanwhile arrive
// once each after the network is back (stream resumption, XEP-0198). A cut at the proxy, not the
// browser's offline switch: that one leaves open WebSockets open and proves nothing.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  launchBrowser,
  newUser,
  screenshot,
  type TestBrowser,
  type WatchedPage,
  webUrl,
} from "../support/browser.js";
import { startServer, type TestServer } from "../support/inproc.js";
import { type CuttableProxy, startCuttableProxy } from "./net-cut.js";
import { expectMessage, messageText, offlineBanner, openChat, sendMessage } from "./ui.js";

/** What a cut page may log: its WebSocket and requests failing. */
const NETWORK_NOISE = [/WebSocket/i, /net::ERR_/i, /Failed to load resource/i];

describe("network cut and restored mid-conversation", () => {
  let t: TestServer;
  let b: TestBrowser;
  let proxy: CuttableProxy;
  let alice: WatchedPage;
  let bob: WatchedPage;
  before(async () => {
    t = await startServer();
    await t.addUser("alice", "alice-pw");
    await t.addUser("bob", "bob-pw");
    for (const [u, peer] of [
      ["alice", "bob"],
      ["bob", "alice"],
    ])
      await t.storage.roster.set(u!, `${peer}@localhost`, {
        jid: `${peer}@localhost`,
        subscription: "both",
        groups: [],
      });
    proxy = await startCuttableProxy(t.tlsPort);
    b = await launchBrowser();
    alice = await b.newPage();
    bob = await b.newPage();
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
      // A dead link without a reset is found by the client's keepalive: that may take a while.
      await offlineBanner(alice.page)
        .first()
        .waitFor({ timeout: mode === "silent" ? 150_000 : 30_000 });
      await sendMessage(alice.page, during[1]!);
      await sendMessage(bob.page, during[3]!);
      await screenshot(alice.page, `offline-banner-${mode}`);
      // Bob's messages cannot reach alice while cut.
      for (const m of during.slice(2)) assert.equal(await messageText(alice.page, m).count(), 0);

      proxy.restore();
      await offlineBanner(alice.page).first().waitFor({ state: "hidden", timeout: 90_000 });
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
