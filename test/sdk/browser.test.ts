// The SDK in a real browser (Debian's Chromium): bundled by Vite with no Node shims, served
// by Hato from the one TLS port, it logs in over WebSocket (WebCrypto SCRAM) and chats with
// a Node SDK client, in plain text and with OMEMO (the Signal library loaded as its own chunk);
// its key log checks (WebCrypto SHA-256 and Ed25519) run there too.

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { keylog } from "@hato/modules";
import { type HatoClient, MemoryOmemo2Store, MemoryOmemoStore } from "@hato/sdk";
import { type Browser, chromium } from "playwright-core";
import { CHROMIUM_ARGS } from "../support/browser.js";
import { bundleForPage, type PageBundle } from "../support/page-bundle.js";
import { nextEvent, type SdkWorld, sdkWorld } from "../support/sdk.js";

describe("SDK in Chromium", () => {
  let page: PageBundle;
  let w: SdkWorld;
  let browser: Browser;
  let bob: HatoClient;
  before(async () => {
    const sdk = fileURLToPath(import.meta.resolve("@hato/sdk"));
    page = await bundleForPage(
      `export { HatoClient, MemoryOmemo2Store, MemoryOmemoStore, merkle } from ${JSON.stringify(sdk)};\n`,
      "sdk.js",
    );
    w = await sdkWorld(["alice", "bob"], { "web.root": page.root });
    bob = w.client("bob");
    await bob.connect();
    await bob.addContact("alice@localhost");
    browser = await chromium.launch({
      executablePath: "/usr/bin/chromium",
      args: [...CHROMIUM_ARGS], // playwright gives each launch a fresh user data dir
    });
  });
  after(async () => {
    await browser?.close();
    await w?.stop();
    await page?.remove();
  });

  it("logs in with WebCrypto SCRAM over a same-origin WebSocket and chats with a Node client", async () => {
    const context = await browser.newContext({ ignoreHTTPSErrors: true });
    const page = await context.newPage();
    await page.goto(`https://localhost:${w.server.tlsPort}/`);
    const got = nextEvent(bob, "message", (m) => m.body === "hello from the browser");
    const result = page.evaluate(async () => {
      const { location } = globalThis as unknown as { location: { origin: string; host: string } };
      const { HatoClient } = await import(`${location.origin}/sdk.js`);
      const c = new HatoClient({
        service: `wss://${location.host}/xmpp-websocket`,
        jid: "alice@localhost",
        password: "pw",
      });
      c.on("subscriptionRequest", (from: string) => c.approve(from));
      await c.connect();
      const reply = new Promise<string>((resolve) => {
        c.on("message", (m: { outgoing: boolean; body: string }) => {
          if (!m.outgoing) resolve(m.body);
        });
      });
      c.send("bob@localhost", "hello from the browser");
      const body = await reply;
      await c.disconnect();
      return { status: c.status, body };
    });
    const [m] = await got;
    bob.send(m.peer, "hello from node");
    assert.deepEqual(await result, { status: "disconnected", body: "hello from node" });
    await context.close();
  });

  it("OMEMO in the browser: encrypts to and decrypts from a Node client", async () => {
    const bob2 = w.client("bob", { omemo: new MemoryOmemoStore(), resource: "omemo" });
    await bob2.connect();
    const context = await browser.newContext({ ignoreHTTPSErrors: true });
    const page = await context.newPage();
    await page.goto(`https://localhost:${w.server.tlsPort}/`);
    const got = nextEvent(bob2, "message", (m) => m.body === "sealed in Chromium");
    const result = page.evaluate(async () => {
      const { location } = globalThis as unknown as { location: { origin: string; host: string } };
      const { HatoClient, MemoryOmemoStore } = await import(`${location.origin}/sdk.js`);
      const c = new HatoClient({
        service: `wss://${location.host}/xmpp-websocket`,
        jid: "alice@localhost",
        password: "pw",
        omemo: new MemoryOmemoStore(),
      });
      const errors: string[] = [];
      c.on("error", (e: string) => errors.push(e));
      await c.connect();
      const reply = new Promise<{ body: string; encryption: string }>((resolve) => {
        c.on("message", (m: { outgoing: boolean; body: string; encryption: string }) => {
          if (!m.outgoing && m.encryption !== "none") resolve(m);
        });
      });
      await c.sendEncrypted("bob@localhost", "sealed in Chromium");
      const m = await reply;
      await c.disconnect();
      return { body: m.body, encryption: m.encryption, errors };
    });
    const [m] = await got;
    assert.equal(m.encryption, "omemo");
    await bob2.sendEncrypted("alice@localhost", "sealed in Node");
    assert.deepEqual(await result, { body: "sealed in Node", encryption: "omemo", errors: [] });
    await context.close();
  });

  it("OMEMO 2 in the browser (WebCrypto X25519, Ed25519, HKDF, AES-CBC): both ways with Node", async () => {
    const bob3 = w.client("bob", { omemo2: new MemoryOmemo2Store(), resource: "omemo2" });
    await bob3.connect();
    const context = await browser.newContext({ ignoreHTTPSErrors: true });
    const page = await context.newPage();
    await page.goto(`https://localhost:${w.server.tlsPort}/`);
    const got = nextEvent(bob3, "message", (m) => m.body === "OMEMO 2 from Chromium");
    const result = page.evaluate(async () => {
      const { location } = globalThis as unknown as { location: { origin: string; host: string } };
      const { HatoClient, MemoryOmemo2Store } = await import(`${location.origin}/sdk.js`);
      const c = new HatoClient({
        service: `wss://${location.host}/xmpp-websocket`,
        jid: "alice@localhost",
        password: "pw",
        resource: "omemo2",
        omemo2: new MemoryOmemo2Store(),
      });
      const errors: string[] = [];
      c.on("error", (e: string) => errors.push(e));
      await c.connect();
      const reply = new Promise<{ body: string; encryption: string }>((resolve) => {
        c.on("message", (m: { outgoing: boolean; body: string; encryption: string }) => {
          if (!m.outgoing && m.body === "OMEMO 2 from Node") resolve(m);
        });
      });
      await c.sendEncrypted("bob@localhost", "OMEMO 2 from Chromium");
      const m = await reply;
      await c.disconnect();
      return { body: m.body, encryption: m.encryption, errors };
    });
    const [m] = await got;
    assert.equal(m.encryption, "omemo");
    await bob3.sendEncrypted("alice@localhost", "OMEMO 2 from Node");
    assert.deepEqual(await result, { body: "OMEMO 2 from Node", encryption: "omemo", errors: [] });
    await context.close();
  });

  it("verifies the key log in the browser: a signed head, bob's key's inclusion, a CT vector", async () => {
    // The one server of this file loaded the default key log module: plant bob's device key.
    const ik = createHash("sha256").update("bob's identity key").digest("hex");
    const service = keylog.service();
    assert.ok(service);
    await service.append("bob@localhost", { ns: "urn:xmpp:omemo:2", device: 7, ik });
    const context = await browser.newContext({ ignoreHTTPSErrors: true });
    const page = await context.newPage();
    await page.goto(`https://localhost:${w.server.tlsPort}/`);
    const result = await page.evaluate(async () => {
      const { location } = globalThis as unknown as { location: { origin: string; host: string } };
      const { HatoClient, merkle } = await import(`${location.origin}/sdk.js`);
      const c = new HatoClient({
        service: `wss://${location.host}/xmpp-websocket`,
        jid: "alice@localhost",
        password: "pw",
      });
      await c.connect();
      const log = c.keylog();
      const head = await log.head();
      const keys = await log.keysOf("bob@localhost", head);
      // Certificate Transparency's reference vector: leaf 5 ("\x40\x41\x42\x43") of 8.
      const unhex = (h: string) =>
        new Uint8Array(h.match(/../g)!.map((b) => Number.parseInt(b, 16)));
      const leaf = await merkle.hashLeaf(new Uint8Array([0x40, 0x41, 0x42, 0x43]));
      const proof = [
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
      ].map(unhex);
      const root = unhex("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328");
      const vector = await merkle.verifyInclusion(5, 8, leaf, proof, root);
      const tampered = await merkle.verifyInclusion(4, 8, leaf, proof, root);
      await c.disconnect();
      return {
        size: head.size,
        keys: keys.map((k: { device: number; ik: string }) => [k.device, k.ik]),
        vector,
        tampered,
      };
    });
    // The OMEMO test before this one published real device keys, logged as well.
    assert.ok(
      result.keys.some(([device, key]: [number, string]) => device === 7 && key === ik),
      JSON.stringify(result.keys),
    );
    assert.ok(result.size >= result.keys.length);
    assert.equal(result.vector, true);
    assert.equal(result.tampered, false);
    await context.close();
  });
});
