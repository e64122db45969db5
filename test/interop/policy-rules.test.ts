// Every policy rule that is enforced today (docs/policy.md), end to end: real slixmpp clients
// against a real `hato start --config FILE` with a `policy:` section. For each rule, the allowed
// case, the refused case with the exact condition and text as slixmpp parsed them, and the
// entry `hato audit export` prints; then `hato policy reload` after an edit changes the outcome
// for a live session, and an invalid edit keeps the old rule and is audited as refused.

import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { type Agent, agentPool, type MessageEvent, type ResultEvent } from "../support/agents.js";
import { type Hato, startHato } from "../support/hato.js";
import { runPython } from "../support/python.js";

const ENCRYPTION_TEXT = "your organisation requires end-to-end encryption for 1:1 messages";
const VERSION_TEXT = "this user's organisation does not let others ask which client they use";
const SESSIONS_TEXT =
  "your organisation allows at most 1 sessions at once; close one and try again";
const REGISTRATION_TEXT = "your organisation does not allow creating accounts here; ask an admin";
const FILES_OFF_TEXT = "your organisation does not allow sharing files";
const TOO_LARGE_TEXT =
  "The file is too large: your organisation allows files of at most 2000 bytes (0.0 MiB); this one has 5000.";
const TYPE_TEXT = "Your organisation does not allow sharing files of type image/svg+xml.";

// dave is a kiosk account: one session, no files; bob does not let others see his client.
const POLICY = `  groups:
    kiosk: [dave]
    private: [bob]
  registration: off
  files:
    max-bytes: 2000
    blocked-types: [image/svg+xml]
  overrides:
    kiosk:
      max-sessions: 1
      files: { enabled: false }
    private:
      version-queries: false
`;
const config = (encryption: string, registration: string, extra = "") =>
  `register:\n  enabled: true\npolicy:\n  encryption: ${encryption}\n${POLICY.replace(
    "registration: off",
    `registration: ${registration}`,
  )}${extra}`;

const OMEMO = (id: string) =>
  `<message xmlns='jabber:client' to='bob@localhost' type='chat' id='${id}'>` +
  "<encrypted xmlns='eu.siacs.conversations.axolotl'><header sid='1001'>" +
  "<key rid='2002'>a2V5</key><iv>aXZpdml2aXZpdg==</iv></header><payload>Y2lwaGVy</payload></encrypted>" +
  "<body>I sent you an OMEMO encrypted message but your client doesn't seem to support that.</body>" +
  "<store xmlns='urn:xmpp:hints'/></message>";
const CHAT_STATE = (id: string) =>
  `<message xmlns='jabber:client' to='bob@localhost' type='chat' id='${id}'>` +
  "<composing xmlns='http://jabber.org/protocol/chatstates'/></message>";
const slot = (name: string, size: number, type: string) =>
  `<request xmlns='urn:xmpp:http:upload:0' filename='${name}' size='${size}' content-type='${type}'/>`;

interface AuditEntry {
  seq: number;
  kind: string;
  actor?: string;
  details?: Record<string, unknown>;
}

describe("policy rules end to end (slixmpp, hato start --config)", () => {
  let hato: Hato;
  let dir: string;
  let file: string;
  const pool = agentPool();
  let alice: Agent;
  let bob: Agent;
  let bobJid: string;
  let aliceJid: string;

  /** The audit log as `hato audit export` prints it, once an entry `match` accepts is there. */
  async function audited(what: string, match: (e: AuditEntry) => boolean): Promise<AuditEntry> {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const r = await hato.cli(["audit", "export"]);
      assert.equal(r.code, 0, r.stderr);
      const entries = r.stdout
        .split("\n")
        .filter((l) => l !== "")
        .map((l) => JSON.parse(l) as AuditEntry);
      const found = entries.find(match);
      if (found) return found;
      if (Date.now() > deadline)
        throw new Error(`no audit entry for ${what}:\n${r.stdout.slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  const denial = (actor: string, rule: string, text: string) =>
    audited(`${rule} denial of ${actor}`, (e) => {
      return (
        e.kind === "policy-denied" &&
        e.actor === actor &&
        e.details?.rule === rule &&
        e.details?.text === text
      );
    });
  const register = (user: string) =>
    runPython("slixmpp-register.py", [
      "--jid",
      `${user}@localhost`,
      "--password",
      `${user}-secret-pw`,
      "--port",
      String(hato.c2sPort),
      "--ca",
      hato.caFile,
    ]);
  const registerOutcome = async (user: string) => {
    const r = await register(user);
    assert.equal(r.code, 0, r.stderr);
    const line = r.stdout.split("\n").find((l) => l.startsWith("{"));
    assert.ok(line, `no outcome from slixmpp-register.py:\n${r.stdout}\n${r.stderr}`);
    return JSON.parse(line) as { ok?: boolean; error?: string; type?: string; text?: string };
  };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "hato-policy-rules-"));
    file = join(dir, "hato.yaml");
    await writeFile(file, config("required", "off"));
    hato = await startHato({
      flags: { config: file },
      users: { alice: "alice-secret", bob: "bob-secret", dave: "dave-secret" },
    });
    const opts = {
      tls: "starttls" as const,
      channelBinding: "tls-server-end-point" as const,
      timeoutSeconds: 600,
      reportIqErrors: true,
      allMessages: true,
    };
    alice = pool.start("slixmpp", hato, {
      ...opts,
      user: "alice",
      password: "alice-secret",
      answerVersion: "AliceChat",
    });
    bob = pool.start("slixmpp", hato, {
      ...opts,
      user: "bob",
      password: "bob-secret",
      answerVersion: "BobChat",
    });
    aliceJid = (await alice.online()).jid;
    bobJid = (await bob.online()).jid;
  });
  after(async () => {
    await pool.stopAll();
    await hato?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  describe("encryption: required", () => {
    it("refuses a plaintext chat message: policy-violation (modify) with the reason, audited", async () => {
      alice.send("bob@localhost", "a secret in plain text", "plain1");
      const err = await alice.message((m) => m.id === "plain1" && m.type === "error");
      // slixmpp 1.8.3 parses no condition it does not know, and policy-violation (RFC 6120)
      // is one: its `condition` is empty, so the agent also reads the element it received.
      assert.deepEqual(
        { wire: err.wire_condition, type: err.error_type, text: err.error_text },
        { wire: "policy-violation", type: "modify", text: ENCRYPTION_TEXT },
      );
      const entry = await denial("alice", "encryption", ENCRYPTION_TEXT);
      assert.equal(JSON.stringify(entry).includes("a secret in plain text"), false);
    });

    it("passes an OMEMO-shaped message and a bodiless chat state; the plaintext never arrived", async () => {
      await alice.cmd("raw-message", { xml: OMEMO("omemo1") });
      const got = await bob.message((m) => m.id === "omemo1");
      assert.match(String(got.xml), /eu\.siacs\.conversations\.axolotl/);
      await alice.cmd("raw-message", { xml: CHAT_STATE("state1") });
      const state = await bob.next("bodiless", (e) => e.id === "state1");
      assert.match(String(state.xml), /composing/);
      const plain = bob.events().filter((e) => e.event === "message" && e.id === "plain1");
      assert.deepEqual(plain, []);
    });
  });

  describe("version-queries: false", () => {
    // RFC 6121 §4.3 hides a full JID from those without a presence subscription: alice and
    // bob become mutual contacts first, so only the policy can refuse the query.
    before(async () => {
      const both = (a: Agent, peer: string) =>
        a.next("roster", (e) => e.jid === peer && e.subscription === "both");
      await alice.cmd("subscribe", { jid: "bob@localhost" });
      await bob.presence((p) => p.type === "subscribe" && p.from.startsWith("alice@"));
      await bob.cmd("subscribed", { jid: "alice@localhost" });
      await bob.cmd("subscribe", { jid: "alice@localhost" });
      await alice.presence((p) => p.type === "subscribe" && p.from.startsWith("bob@"));
      await alice.cmd("subscribed", { jid: "bob@localhost" });
      await Promise.all([both(alice, "bob@localhost"), both(bob, "alice@localhost")]);
    });

    it("bob may ask alice's client (allowed for her); alice may not ask bob's: forbidden (auth), audited", async () => {
      const ok = await bob.cmd("raw-iq", {
        type: "get",
        to: aliceJid,
        payload: "<query xmlns='jabber:iq:version'/>",
      });
      assert.match(String(ok.xml), /AliceChat/);
      const refused = await alice.cmd(
        "raw-iq",
        { type: "get", to: bobJid, payload: "<query xmlns='jabber:iq:version'/>" },
        { allowError: true },
      );
      assert.deepEqual(
        { ok: refused.ok, condition: refused.condition, text: refused.text },
        { ok: false, condition: "forbidden", text: VERSION_TEXT },
      );
      assert.match(String(refused.xml), /type="auth"/);
      assert.doesNotMatch(String(refused.xml), /BobChat/, "bob's client never answered");
      await denial("alice", "version-queries", VERSION_TEXT);
    });
  });

  describe("max-sessions (1 for the kiosk group)", () => {
    it("dave's first session binds; a second is refused at bind: resource-constraint (cancel), audited", async () => {
      const first = pool.start("slixmpp", hato, {
        tls: "starttls",
        channelBinding: "tls-server-end-point",
        user: "dave",
        password: "dave-secret",
        reportIqErrors: true,
      });
      await first.online();
      const second = pool.start("slixmpp", hato, {
        tls: "starttls",
        channelBinding: "tls-server-end-point",
        user: "dave",
        password: "dave-secret",
        reportIqErrors: true,
      });
      const err = await second.next("iq-error", (e) => String(e.xml).includes("bind"));
      assert.deepEqual(
        { condition: err.condition, type: err.type, text: err.text },
        { condition: "resource-constraint", type: "cancel", text: SESSIONS_TEXT },
      );
      await denial("dave", "max-sessions", SESSIONS_TEXT);
      await second.stop();
      // The first session is untouched: dave can still be asked for his files rule below.
      const r = await first.cmd(
        "raw-iq",
        { type: "get", to: "localhost", payload: slot("a.txt", 10, "text/plain") },
        { allowError: true },
      );
      assert.deepEqual(
        { ok: r.ok, condition: r.condition, text: r.text },
        { ok: false, condition: "not-allowed", text: FILES_OFF_TEXT },
        "files.enabled: false for the kiosk group",
      );
      assert.match(String(r.xml), /type="cancel"/);
      await denial("dave", "files", FILES_OFF_TEXT);
    });
  });

  describe("files at the XEP-0363 slot", () => {
    const ask = (name: string, size: number, type: string) =>
      alice.cmd<ResultEvent>(
        "raw-iq",
        { type: "get", to: "localhost", payload: slot(name, size, type) },
        { allowError: true },
      );

    it("alice gets a slot for a small text file", async () => {
      const r = await ask("notes.txt", 100, "text/plain");
      assert.equal(r.ok, true, JSON.stringify(r));
      assert.match(String(r.xml), /<put url="https:\/\/[^"]+notes\.txt"/);
    });

    it("over max-bytes: not-acceptable with XEP-0363's file-too-large naming the limit, audited", async () => {
      const r = await ask("big.bin", 5000, "application/octet-stream");
      assert.deepEqual(
        { ok: r.ok, condition: r.condition, text: r.text },
        { ok: false, condition: "not-acceptable", text: TOO_LARGE_TEXT },
      );
      assert.match(String(r.xml), /<file-too-large[^>]*><max-file-size>2000<\/max-file-size>/);
      await denial("alice", "files", TOO_LARGE_TEXT);
    });

    it("a blocked type: not-acceptable (modify) naming the type, audited", async () => {
      const r = await ask("logo.svg", 100, "image/svg+xml");
      assert.deepEqual(
        { ok: r.ok, condition: r.condition, text: r.text },
        { ok: false, condition: "not-acceptable", text: TYPE_TEXT },
      );
      assert.match(String(r.xml), /type="modify"/);
      await denial("alice", "files", TYPE_TEXT);
    });
  });

  describe("registration: off", () => {
    it("registration is not offered, and slixmpp's attempt is refused: not-allowed (cancel), audited with the name asked for", async () => {
      const r = await registerOutcome("eve");
      assert.deepEqual(r, {
        error: "not-allowed",
        type: "cancel",
        text: REGISTRATION_TEXT,
        offered: false,
      });
      await denial("eve", "registration", REGISTRATION_TEXT);
    });
  });

  describe("hato policy reload", () => {
    it("an edit applied by reload changes the outcome for alice's live session, and opens registration", async () => {
      await writeFile(file, config("optional", "open"));
      const r = await hato.cli(["policy", "reload", "--config", file]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, "policy reloaded\n");
      alice.send("bob@localhost", "plain text is fine now", "plain2");
      const got = await bob.message((m: MessageEvent) => m.id === "plain2");
      assert.equal(got.body, "plain text is fine now");
      const changed = await audited("the policy change", (e) => {
        const changes = (e.details?.changes ?? []) as { path: string }[];
        return e.kind === "policy-changed" && changes.some((c) => c.path === "encryption");
      });
      assert.deepEqual(
        (changes(changed) as { path: string }[]).find((c) => c.path === "encryption"),
        { path: "encryption", before: "required", after: "optional" },
      );
      assert.deepEqual(await registerOutcome("frank"), { ok: true, offered: true });
    });

    it("an invalid edit is refused whole: the old rule stays for the live session, audited as refused", async () => {
      // Back to required, but with a typo elsewhere: nothing of it may apply.
      await writeFile(file, config("required", "off", "  calls: maybe\n"));
      const r = await hato.cli(["policy", "reload", "--config", file]);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /policy\.calls must be one of off, relay-only, p2p \(got 'maybe'\)/);
      assert.match(r.stderr, /the policy was not reloaded; the old one stays/);
      alice.send("bob@localhost", "still allowed", "plain3");
      assert.equal((await bob.message((m) => m.id === "plain3")).body, "still allowed");
      assert.deepEqual(await registerOutcome("grace"), { ok: true, offered: true });
      const refused = await audited(
        "the refused change",
        (e) => e.kind === "policy-change-refused" && e.details?.how === "command",
      );
      assert.match(JSON.stringify(refused.details?.errors), /policy\.calls must be one of/);
    });
  });
});

function changes(e: AuditEntry): unknown {
  return e.details?.changes;
}
