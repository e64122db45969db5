// Encrypted files interop (XEP-0454): Debian's Profanity, driven in tmux, sends a file with
// /sendfile in an OMEMO chat; it encrypts it itself (AES-256-GCM), uploads the ciphertext
// through a real `hato start` and sends the aesgcm:// link encrypted. The SDK receives the link,
// downloads the file and decrypts it byte for byte; the upload store holds no plaintext. The
// other way, Profanity's /url save fetches and decrypts a file the SDK sent.

import assert from "node:assert/strict";
import { mkdtemp, readdir, readFile, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { HatoClient, MemoryOmemoStore } from "@hato/sdk";
import { httpsFetch, httpsPut } from "../sdk/files.js";
import { type Hato, startHato } from "../support/hato.js";
import { removeAtExit } from "../support/process.js";
import { Profanity, profanityInstalled } from "../support/profanity.js";
import { nextEvent, until, wsTrusting } from "../support/sdk.js";

const MARKER = "PROFANITY-PLAINTEXT-MARKER-93d0";

describe("encrypted files from Profanity", {
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

  it("Profanity's /sendfile in an OMEMO chat arrives as an aesgcm link the SDK decrypts", async () => {
    prof = await Profanity.start(hato, { user: "alice", password: "alice-secret" });
    await prof.online();
    await prof.enableOmemo();

    const ca = await readFile(hato.caFile, "utf8");
    bob = new HatoClient({
      service: `wss://127.0.0.1:${hato.tlsPort}/xmpp-websocket`,
      jid: "bob@localhost",
      password: "bob-secret",
      WebSocket: wsTrusting(ca),
      omemo: new MemoryOmemoStore(),
    });
    await bob.connect();
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

    // An OMEMO chat with bob in Profanity, then the file.
    const dir = await mkdtemp(join(tmpdir(), "hato-prof-file-"));
    removeAtExit(dir);
    const path = join(dir, "report.txt");
    const plain = Buffer.from(`quarterly figures\n${MARKER}\n`.repeat(30));
    await writeFile(path, plain);
    const got = nextEvent(b, "message", (m) => !m.outgoing && m.encryptedFile !== undefined);
    await prof.type("/msg bob@localhost");
    await prof.type("/omemo start bob@localhost");
    await prof.waitFor(/OMEMO/);
    await prof.type(`/sendfile ${path}`);
    const [m] = await got;
    assert.equal(m.encryption, "omemo");
    assert.match(m.encryptedFile!.link, /^aesgcm:\/\/localhost:\d+\/\S+#[0-9a-f]{88}$/i);

    const file = await b.downloadEncryptedFile(m.encryptedFile!.link, { http: httpsFetch(ca) });
    assert.deepEqual(Buffer.from(file.bytes), plain);
    assert.equal(file.scan, "not-scanned", "Profanity does not hand keys to the scanner");

    // The server stored ciphertext only.
    for (const e of await readdir(hato.dataDir, { withFileTypes: true, recursive: true })) {
      if (!e.isFile()) continue;
      const bytes = await readFile(join(e.parentPath, e.name));
      assert.ok(!bytes.includes(MARKER), `${e.name} holds the plaintext`);
    }
  });

  it("Profanity fetches and decrypts a file the SDK sent (/url save)", async () => {
    assert.ok(prof !== undefined && bob !== undefined, "the first test set up the chat");
    const ca = await readFile(hato.caFile, "utf8");
    const plain = Buffer.from(`from the Hato SDK\n${MARKER}\n`.repeat(10));
    const sent = await bob.sendEncryptedFile(
      "alice@localhost",
      { name: "notes.txt", type: "text/plain", body: new Uint8Array(plain) },
      { put: httpsPut(ca), http: httpsFetch(ca) },
    );
    const link = sent.encryptedFile!.link;
    // "~": Profanity decrypted the OMEMO message; its body is the link.
    await prof.waitFor(/~ Bob\/\S+: aesgcm:\/\//, 30_000);
    const dir = await mkdtemp(join(tmpdir(), "hato-prof-save-"));
    removeAtExit(dir);
    const out = join(dir, "saved.txt");
    await prof.type(`/url save ${link} ${out}`);
    await prof.waitFor(/Downloading '[^']*': done/, 30_000);
    // Profanity decrypts after the download and says nothing more when that works: wait
    // for the whole plaintext (or its error line).
    for (;;) {
      const screen = await prof.screen();
      assert.doesNotMatch(screen, /Failed to decrypt|Download failed/);
      const size = await stat(out).then(
        (s) => s.size,
        () => -1,
      );
      if (size === plain.length) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.deepEqual(await readFile(out), plain, "Profanity decrypted the SDK's file");
  });
});
