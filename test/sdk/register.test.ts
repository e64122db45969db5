// The SDK's registration (XEP-0077 with a XEP-0445 invite token) and policy summary
// (urn:hato:policy:0) against the in-process server.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { inviteToken, type PolicyLine, RegistrationError, registerAccount } from "@hato/sdk";
import { type SdkWorld, sdkWorld, wsTrusting } from "../support/sdk.js";

describe("SDK: registerAccount with an invite, and the policy summary", () => {
  let w: SdkWorld;
  let service: string;
  before(async () => {
    w = await sdkWorld(["alice"]);
    assert.ok(w.server.server.policy.applyText("registration: invite\nencryption: required\n").ok);
    service = `wss://127.0.0.1:${w.server.tlsPort}/xmpp-websocket`;
  });
  after(() => w.stop());

  const reg = (username: string, preauth?: string) =>
    registerAccount({
      service,
      domain: "localhost",
      username,
      password: "pw-long-enough",
      WebSocket: wsTrusting(w.server.ca),
      ...(preauth === undefined ? {} : { preauth }),
    });

  it("inviteToken reads both link forms", async () => {
    const inv = await w.server.server.invites.create({ by: "alice" });
    assert.equal(inviteToken(inv.url), inv.token);
    assert.equal(inviteToken(inv.uri), inv.token);
    assert.equal(inviteToken("https://example.org/"), undefined);
  });

  it("registers with a token, then logs in; the token a second time is refused", async () => {
    const inv = await w.server.server.invites.create({ by: "alice" });
    assert.equal(await reg("juliet", inv.token), "juliet@localhost");
    const c = w.client("juliet", { password: "pw-long-enough" });
    await c.connect();
    assert.equal(c.status, "online");
    await assert.rejects(reg("romeo", inv.token), (e: unknown) => {
      assert.ok(e instanceof RegistrationError);
      assert.equal(e.condition, "item-not-found");
      assert.match(e.text ?? "", /already used/);
      return true;
    });
    await assert.rejects(reg("romeo"), (e: unknown) => {
      assert.ok(e instanceof RegistrationError);
      assert.equal(e.condition, "not-allowed");
      assert.match(e.text ?? "", /by invitation only/);
      return true;
    });
  });

  it("policySummary lists the user's rules; a reload pushes the new ones", async () => {
    const c = w.client("alice");
    await c.connect();
    const lines = await c.policySummary();
    const enc = lines.find((l) => l.rule === "encryption");
    assert.match(enc?.text ?? "", /must be end-to-end encrypted/);
    assert.match(
      lines.find((l) => l.rule === "federation")?.text ?? "",
      /enforced once federation exists/,
    );
    const pushed = new Promise<PolicyLine[]>((resolve) => c.on("policy", resolve));
    assert.ok(w.server.server.policy.applyText("registration: invite\n").ok);
    // What Server.reloadPolicy fires once the new policy is in place (applyText does not).
    await w.server.server.bus.fire("policy-reloaded", {
      how: "command",
      ok: true,
      before: {},
      after: {},
      errors: [],
    });
    const next = await pushed;
    assert.match(next.find((l) => l.rule === "encryption")?.text ?? "", /optional/);
  });
});
