// OMEMO interop (XEP-0384 0.3.0, eu.siacs.conversations.axolotl): Debian's Profanity, built
// with OMEMO and driven in tmux, and an SDK client exchange encrypted messages both ways
// through a real `hato start`; the archive (read over MAM) holds neither text.

import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { after, before, describe, it } from "node:test";
import { HatoClient, MemoryOmemoStore } from "@hato/sdk";
import { type Hato, startHato } from "../support/hato.js";
import { Profanity, profanityInstalled } from "../support/profanity.js";
import { nextEvent, until, wsTrusting } from "../support/sdk.js";

describe("OMEMO with Profanity", {
  skip: !profanityInstalled() && "tmux or profanity missing",
}, () => {
  let hato: Hato;
  let prof: Profanity | undefined;
  let bob: HatoClient | undefined;

  before(async () => {
    hato = await startHato({ users: { alice: "alice-secret", bob: "bob-secret" } });
  });
  after(async () => {
    await prof?.stop();
    if (bob !== undefined && bob.status !== "disconnected") await bob.disconnect();
    await hato?.stop();
  });

  it("Profanity reads the SDK's encrypted message and answers encrypted", async () => {
    prof = await Profanity.start(hato, { user: "alice", password: "alice-secret" });
    await prof.online();
    await prof.enableOmemo();

    bob = new HatoClient({
      service: `wss://127.0.0.1:${hato.tlsPort}/xmpp-websocket`,
      jid: "bob@localhost",
      password: "bob-secret",
      WebSocket: wsTrusting(await readFile(hato.caFile, "utf8")),
      omemo: new MemoryOmemoStore(),
    });
    await bob.connect();
    // Mutual subscription, so that presence-based defaults cannot hide a node either way.
    const asked = nextEvent(bob, "subscriptionRequest", (from) => from === "alice@localhost");
    await prof.type("/roster add bob@localhost Bob");
    await prof.type("/sub request bob@localhost");
    await asked;
    bob.approve("alice@localhost");
    await prof.waitFor(/bob@localhost/);
    await prof.type("/sub allow bob@localhost");
    const b = bob;
    await until(b, () =>
      b.contacts().some((c) => c.jid === "alice@localhost" && c.subscription === "both"),
    );

    await b.sendEncrypted("alice@localhost", "Hello Alice, encrypted by the Hato SDK");
    await prof.type("/msg bob@localhost");
    // "~" is Profanity's mark for a message that arrived OMEMO-encrypted.
    await prof.waitFor(/~ Bob\/\S+: Hello Alice, encrypted by the Hato SDK/, 30_000);

    const back = nextEvent(b, "message", (m) => !m.outgoing && m.peer === "alice@localhost");
    await prof.type("/omemo start bob@localhost");
    await prof.waitFor(/OMEMO/);
    await prof.type("Hi Bob, Profanity here, over OMEMO");
    const [m] = await back;
    assert.equal(m.body, "Hi Bob, Profanity here, over OMEMO");
    assert.equal(m.encryption, "omemo");

    // What the server archived, read over XEP-0313 by a fresh client of bob's that has no
    // decrypted copies: both messages are there, as OMEMO elements only (plain text would show).
    const fresh = new HatoClient({
      service: `wss://127.0.0.1:${hato.tlsPort}/xmpp-websocket`,
      jid: "bob@localhost",
      password: "bob-secret",
      resource: "archive",
      WebSocket: wsTrusting(await readFile(hato.caFile, "utf8")),
    });
    await fresh.connect();
    const page = await fresh.history("alice@localhost");
    await fresh.disconnect();
    assert.equal(page.messages.length, 2, "both messages are in bob's archive");
    for (const h of page.messages) {
      assert.equal(h.encryption, "failed");
      assert.equal(h.body, "");
    }
  });
});
