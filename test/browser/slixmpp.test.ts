// A slixmpp user and a browser user chat (issue 4), against a real `hato start` with the
// STARTTLS port off and the web client found by default: slixmpp connects with direct TLS
// (ALPN xmpp-client) and the browser loads the web client and its WebSocket from that port.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type Agent, agentPool, type PresenceEvent } from "../support/agents.js";
import {
  launchBrowser,
  newUser,
  screenshot,
  type TestBrowser,
  type WatchedPage,
  webUrl,
} from "../support/browser.js";
import { type Hato, startHato } from "../support/hato.js";
import {
  allowUnencrypted,
  approveRequest,
  contactItem,
  expectMessage,
  openChat,
  sendMessage,
} from "./ui.js";

describe("slixmpp and the web client", () => {
  let hato: Hato;
  let b: TestBrowser;
  let alice: WatchedPage;
  let sam: Agent;
  const pool = agentPool();
  before(async () => {
    hato = await startHato({
      // No web.root: `hato start` finds the built web client by itself, as the README's start
      // command does.
      flags: { "c2s-port": "0" },
      users: { alice: "alice-pw", sam: "sam-pw" },
    });
    b = await launchBrowser();
    alice = await b.newPage();
  });
  after(async () => {
    await pool.stopAll();
    await b?.close();
    await hato?.stop();
  });

  it("sam (slixmpp, direct TLS on the one port) and alice (browser) become contacts and chat both ways", async () => {
    assert.equal(hato.c2sPort, 0, "the STARTTLS port is off");
    await newUser(alice.page, {
      url: webUrl(hato.tlsPort),
      jid: "alice@localhost",
      password: "alice-pw",
    });
    sam = pool.start("slixmpp", hato, { user: "sam", password: "sam-pw", tls: "direct" });
    const online = await sam.online();
    assert.equal(online.alpn, "xmpp-client");

    // Sam asks; alice approves in the browser (and asks back); sam approves.
    await sam.cmd("roster-add", { jid: "alice@localhost" });
    await sam.cmd("subscribe", { jid: "alice@localhost" });
    await approveRequest(alice.page, "sam@localhost");
    await sam.presence(
      (p: PresenceEvent) => p.from === "alice@localhost" && p.type === "subscribe",
    );
    await sam.cmd("subscribed", { jid: "alice@localhost" });
    await contactItem(alice.page, "sam@localhost").waitFor();

    await openChat(alice.page, "sam@localhost");
    sam.send("alice@localhost", "Hello from slixmpp <b>not bold</b>");
    await expectMessage(alice.page, "Hello from slixmpp <b>not bold</b>");
    // slixmpp has no OMEMO here: alice chooses to send unencrypted in this chat.
    await allowUnencrypted(alice.page);
    await sendMessage(alice.page, "Hello from the browser ✓ ünïcödé");
    const got = await sam.message((m) => m.body === "Hello from the browser ✓ ünïcödé");
    assert.match(got.from, /^alice@localhost\/.+/);
    assert.equal(got.type, "chat");
    sam.send("alice@localhost", "second from slixmpp");
    await expectMessage(alice.page, "second from slixmpp");
    await screenshot(alice.page, "chat-with-slixmpp");
    alice.assertClean();
  });
});
