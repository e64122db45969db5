// The policy's rate limits, allowed clients and locked accounts with a real client (Debian's
// slixmpp): for each rule the allowed case, the refused case and the audit entry.

import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { RawClient, startServer, type TestServer } from "../support/inproc.js";
import { runPython } from "../support/python.js";

type Result = {
  online: boolean;
  sasl?: { condition: string; text: string };
  stream_error?: { condition: string; text: string };
  echo?: boolean;
  answered?: number;
  refused?: { condition: string; type?: string; text?: string }[];
};
type Entry = { kind: string; actor?: string | null; address?: string | null; details: string };

describe("slixmpp and the policy's limits", () => {
  let t: TestServer;
  let dir: string;
  let caFile: string;
  const apply = (text: string) => {
    const r = t.server.policy.applyText(text);
    assert.ok(r.ok, r.ok ? "" : r.errors.join("\n"));
  };
  const audit = async (kind: string, actor?: string) =>
    ((await t.storage.audit.list({ limit: 10_000 })) as Entry[]).filter(
      (e) => e.kind === kind && (actor === undefined || e.actor === actor),
    );
  const slixmpp = async (user: string, action: string, extra: string[] = [], password?: string) => {
    const r = await runPython("slixmpp-limits.py", [
      "--jid",
      `${user}@localhost`,
      "--password",
      password ?? `pw-${user}`,
      "--port",
      String(t.c2sPort),
      "--ca",
      caFile,
      "--action",
      action,
      ...extra,
    ]);
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout.trim().split("\n").at(-1)!) as Result;
  };

  before(async () => {
    // The server asks every session which client it is, as it does by default outside tests.
    t = await startServer({ "sessions.ask-client-version": "true" });
    for (const u of ["alice", "bob", "carol", "locked"]) await t.addUser(u, `pw-${u}`);
    dir = await mkdtemp(join(tmpdir(), "hato-limits-"));
    caFile = join(dir, "ca.pem");
    await writeFile(caFile, t.ca);
  });
  after(async () => {
    await t.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("session client software: slixmpp's XEP-0092 answer and caps node are recorded", async () => {
    apply("{}");
    const r = await slixmpp("carol", "identity", [
      "--software",
      "Slixmpp",
      "--caps-node",
      "http://slixmpp.com/ver/test",
      "--to",
      "carol@localhost",
    ]);
    assert.equal(r.online, true);
    assert.equal(r.echo, true);
    const entry = (await audit("session-client", "carol")).at(-1)!;
    const d = JSON.parse(entry.details);
    assert.equal(d.name, "Slixmpp");
    assert.equal(d.version, "1.8-test");
    assert.equal(d.node, "http://slixmpp.com/ver/test");
  });

  it("clients.allowed: an allowed slixmpp gets its message through; another name is disconnected and recorded", async () => {
    apply('clients: { allowed: ["Slixmpp"] }\n');
    const ok = await slixmpp("alice", "identity", [
      "--software",
      "Slixmpp",
      "--to",
      "alice@localhost",
    ]);
    assert.equal(ok.online, true);
    assert.equal(ok.echo, true, "the held message was routed once the client was known");
    assert.equal(ok.stream_error, undefined);
    const bad = await slixmpp("alice", "identity", [
      "--software",
      "NotAllowed",
      "--caps-node",
      "https://not-allowed.example",
      "--to",
      "alice@localhost",
    ]);
    const text =
      'your organisation allows only these clients: "Slixmpp"; this client says it is "NotAllowed 1.8-test", caps node "https://not-allowed.example"';
    assert.deepEqual(bad.stream_error, { condition: "policy-violation", text });
    assert.equal(bad.echo, undefined, "nothing it sent was routed");
    const denied = (await audit("policy-denied", "alice")).at(-1)!;
    assert.deepEqual(JSON.parse(denied.details), { rule: "clients", text });
  });

  it("clients.allowed by caps node: without XEP-0092 the caps node of the first presence decides", async () => {
    apply('clients: { allowed: ["https://allowed.example/slixmpp"] }\n');
    const ok = await slixmpp("alice", "identity", [
      "--caps-node",
      "https://allowed.example/slixmpp",
      "--to",
      "alice@localhost",
    ]);
    assert.equal(ok.echo, true);
    assert.equal(ok.stream_error, undefined);
  });

  it("stanzas per second: slixmpp's pings within the burst are answered; past it policy-violation (wait) with the text; recorded", async () => {
    apply("rate-limits: { stanzas-per-second: 1 }\n");
    const within = await slixmpp("bob", "flood", ["--count", "10"]);
    assert.deepEqual([within.answered, within.refused], [10, []]);
    const r = await slixmpp("bob", "flood", ["--count", "80"]);
    assert.ok((r.answered ?? 0) >= 1);
    assert.ok((r.refused ?? []).length > 0);
    for (const e of r.refused!)
      assert.deepEqual(e, {
        condition: "policy-violation",
        type: "wait",
        text: "your organisation allows 1 stanzas per second; slow down",
      });
    const denied = await audit("policy-denied", "bob");
    assert.equal(denied.length, 1, "coalesced: one entry now, the count at the end of the minute");
    assert.equal(JSON.parse(denied[0]!.details).rule, "rate-limits");
  });

  it("logins per minute per address: slixmpp logs in within the budget, then gets temporary-auth-failure with when to retry", async () => {
    apply("rate-limits: { logins-per-minute-per-address: 2 }\n");
    // The bucket of 127.0.0.1 starts full when the rule appears: two logins pass.
    assert.equal((await slixmpp("bob", "login")).online, true);
    assert.equal((await slixmpp("bob", "login")).online, true);
    const r = await slixmpp("bob", "login");
    assert.equal(r.online, false);
    assert.equal(r.sasl?.condition, "temporary-auth-failure");
    assert.match(
      r.sasl?.text ?? "",
      /^too many logins from your address; try again in \d+ seconds$/,
    );
    const denied = (await audit("policy-denied")).at(-1)!;
    assert.equal(denied.address, "127.0.0.1");
    assert.equal(JSON.parse(denied.details).rule, "rate-limits");
    apply("{}");
  });

  it("a locked account: the right password gets account-disabled with a text; recorded as a failed login", async () => {
    apply("{}");
    const open = await slixmpp("carol", "login");
    assert.equal(open.online, true);
    await t.storage.accounts.update("locked", { disabled: true });
    const r = await slixmpp("locked", "login");
    assert.equal(r.online, false);
    assert.deepEqual(r.sasl, {
      condition: "account-disabled",
      text: "this account is locked by an administrator; ask them to unlock it",
    });
    const failed = (await audit("auth-failed", "locked")).at(-1)!;
    assert.equal(JSON.parse(failed.details).condition, "account-disabled");
  });

  it("bytes per second: a big message from slixmpp's peer arrives whole, reading was slowed (recorded)", async () => {
    apply("rate-limits: { bytes-per-second: 20000 }\n");
    const { client: sender } = await RawClient.login(t, "bob", "pw-bob", "bytes", false);
    const { client: receiver } = await RawClient.login(t, "carol", "pw-carol", "bytes", false);
    const body = "z".repeat(130_000);
    sender.send(
      `<message type='chat' id='b1' to='carol@localhost/bytes'><body>${body}</body></message>`,
    );
    const got = await receiver.expect((e) => e.attr("id") === "b1", "the big message");
    assert.equal(got.getChildText("body"), body);
    assert.ok(
      (await audit("policy-denied", "bob")).some((e) =>
        JSON.parse(e.details).text.startsWith("reading slowed down"),
      ),
    );
    sender.close();
    receiver.close();
  });
});
