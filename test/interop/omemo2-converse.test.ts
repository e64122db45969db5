// OMEMO 2 interop with a second independent implementation: Converse.js 14 (the npm
// devDependency; its urn:xmpp:omemo:2 code is src/headless/plugins/omemo over its libomemo) in
// Chromium, served from Hato's web root and connected over Hato's WebSocket, against SDK
// clients; each side starts a session once.

import assert from "node:assert/strict";
import { cp, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { MemoryOmemo2Store } from "@hato/sdk";
import { type Browser, chromium, type Page } from "playwright-core";
import { CHROMIUM, CHROMIUM_ARGS, REPO } from "../support/browser.js";
import { nextEvent, type SdkWorld, sdkWorld } from "../support/sdk.js";

const CONVERSE_DIST = join(REPO, "node_modules", "converse.js", "dist");

/** Converse for dave, with a plugin that hands the test its internals and OMEMO's readiness. */
const INIT = `
converse.plugins.add("hato-test", {
  initialize() {
    window.hatoConverse = this._converse;
    this._converse.api.listen.on("OMEMOInitialized", () => {
      window.hatoOmemoReady = true;
    });
  },
});
converse.initialize({
  websocket_url: "wss://" + location.host + "/xmpp-websocket",
  discover_connection_methods: false,
  jid: "dave@localhost",
  password: "pw",
  auto_login: true,
  allow_non_roster_messaging: true,
  omemo_default: true,
  whitelisted_plugins: ["hato-test"],
  loglevel: "debug",
  view_mode: "fullscreen",
});
`;

interface Shown {
  plaintext: string;
  encrypted: boolean;
  error: string;
}

/** What Converse shows for the first message from `peer`, once decrypted or failed. */
async function converseShows(page: Page, peer: string): Promise<Shown> {
  const handle = await page.waitForFunction(
    (jid) => {
      type Msg = { get(k: string): unknown };
      type Converse = {
        state: { chatboxes: { get(jid: string): { messages?: { models: Msg[] } } | undefined } };
      };
      const c = (globalThis as unknown as { hatoConverse: Converse }).hatoConverse;
      const msgs = c.state.chatboxes.get(jid)?.messages?.models ?? [];
      // Converse keeps the wire body (the fallback text) in "body" and the decrypted text in
      // "plaintext"; a failure sets "error_text".
      const done = msgs
        .filter((m) => m.get("sender") === "them")
        .find((m) => m.get("plaintext") || m.get("error_text") || m.get("error"));
      return done === undefined
        ? false
        : {
            plaintext: String(done.get("plaintext") ?? ""),
            encrypted: done.get("is_encrypted") === true,
            error: String(done.get("error_text") ?? done.get("error") ?? ""),
          };
    },
    peer,
    { timeout: 60_000, polling: 200 },
  );
  return (await handle.jsonValue()) as Shown;
}

/** Converse sends `body` to `peer` with OMEMO on. */
async function converseSends(page: Page, peer: string, body: string): Promise<void> {
  await page.evaluate(
    async ([jid, text]) => {
      type Chat = { save(a: object): void; sendMessage(a: object): Promise<unknown> };
      type Converse = { api: { chats: { open(jid: string): Promise<Chat> } } };
      const c = (globalThis as unknown as { hatoConverse: Converse }).hatoConverse;
      const chat = await c.api.chats.open(jid);
      chat.save({ omemo_active: true });
      await chat.sendMessage({ body: text });
    },
    [peer, body] as const,
  );
}

describe("OMEMO 2 with Converse.js in Chromium", { timeout: 180_000 }, () => {
  let www: string;
  let w: SdkWorld;
  let browser: Browser;
  let page: Page;
  const logs: string[] = [];
  let passed = 0;

  before(async () => {
    www = await mkdtemp(join(tmpdir(), "hato-converse-"));
    await cp(CONVERSE_DIST, www, { recursive: true });
    await writeFile(
      join(www, "index.html"),
      '<!doctype html><title>Converse</title><script type="module" src="converse.min.js"></script><script type="module" src="init.js"></script>\n',
    );
    await writeFile(join(www, "init.js"), INIT);
    w = await sdkWorld(["dave", "erin", "frank"], { "web.root": www });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: [...CHROMIUM_ARGS] });
    // Converse renders with Lit (innerHTML) and compiles WebAssembly: the strict CSP Hato sends
    // for its own web client would stop it, so this foreign client's page is let through.
    const context = await browser.newContext({ ignoreHTTPSErrors: true, bypassCSP: true });
    // Converse's welcome page links images on its website: nothing leaves this machine.
    await context.route(
      (url) => url.hostname !== "localhost",
      (route) => route.abort(),
    );
    page = await context.newPage();
    page.on("console", (m) => logs.push(`${m.type()}: ${m.text()}`));
    page.on("pageerror", (e) => logs.push(`pageerror: ${e.stack ?? e.message}`));
    await page.goto(`https://localhost:${w.server.tlsPort}/index.html`);
    await page.waitForFunction(
      () => (globalThis as { hatoOmemoReady?: boolean }).hatoOmemoReady === true,
      null,
      { timeout: 60_000 },
    );
  });
  after(async () => {
    // Converse's console (its XMPP traffic at debug level) says why, when a test failed.
    if (passed < 2) console.log(logs.slice(-300).join("\n"));
    await browser?.close();
    await w?.stop();
    await rm(www, { recursive: true, force: true });
  });

  it("the SDK starts the session: Converse decrypts, answers, and the SDK decrypts", async () => {
    const erin = w.client("erin", { omemo2: new MemoryOmemo2Store() });
    await erin.connect();
    // Converse publishes its OMEMO 2 keys after the legacy ones, and nobody is notified of a
    // non-contact's device list: read it until it is there.
    let devices = await erin.omemo2!.devices("dave@localhost");
    while (devices.length === 0) {
      await new Promise((r) => setTimeout(r, 200));
      devices = await erin.omemo2!.devices("dave@localhost");
    }
    assert.equal(devices.length, 1, "Converse published one urn:xmpp:omemo:2 device");

    await erin.sendEncrypted("dave@localhost", "Hello Converse, from the Hato SDK over OMEMO 2");
    assert.deepEqual(await converseShows(page, "erin@localhost"), {
      plaintext: "Hello Converse, from the Hato SDK over OMEMO 2",
      encrypted: true,
      error: "",
    });
    const back = nextEvent(
      erin,
      "message",
      (m) => !m.outgoing && m.body === "Hi Erin, Converse here",
    );
    await converseSends(page, "erin@localhost", "Hi Erin, Converse here");
    const [m] = await back;
    assert.equal(m.encryption, "omemo");
    assert.equal(m.peer, "dave@localhost");
    passed++;
  });

  it("Converse starts the session: the SDK decrypts, answers, and Converse decrypts", {
    timeout: 60_000,
  }, async () => {
    const frank = w.client("frank", { omemo2: new MemoryOmemo2Store() });
    await frank.connect();
    const first = nextEvent(
      frank,
      "message",
      (m) => !m.outgoing && m.body === "Hello Frank, Converse first",
    );
    await converseSends(page, "frank@localhost", "Hello Frank, Converse first");
    const [m] = await first;
    assert.equal(m.encryption, "omemo");
    await frank.sendEncrypted("dave@localhost", "Hi Dave, the SDK answers");
    assert.deepEqual(await converseShows(page, "frank@localhost"), {
      plaintext: "Hi Dave, the SDK answers",
      encrypted: true,
      error: "",
    });
    passed++;
  });
});
