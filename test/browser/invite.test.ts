// The invite page (XEP-0401 landing page, XEP-0445 registration over the WebSocket) and the
// "Your organisation" policy summary, in Chromium with axe-core.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  axeCheck,
  DESKTOP,
  describeViolations,
  launchBrowser,
  PHONE,
  screenshot,
  type TestBrowser,
  WEB_FLAGS,
} from "../support/browser.js";
import { auditEntryWhere, startServer, type TestServer } from "../support/inproc.js";
import { contactList, createAccount, policyPanel } from "./ui.js";

describe("web client: invite page and policy summary", () => {
  let t: TestServer;
  let b: TestBrowser;
  before(async () => {
    t = await startServer({ ...WEB_FLAGS, "register.per-address-per-hour": "50" });
    assert.ok(
      t.server.policy.applyText(
        "registration: invite\nencryption: required\nfiles: { scanning-required: true }\n",
      ).ok,
    );
    b = await launchBrowser();
  });
  after(async () => {
    await b?.close();
    await t?.stop();
  });

  for (const [label, viewport] of [
    ["desktop", DESKTOP],
    ["phone", PHONE],
  ] as const) {
    it(`juliet opens her invite, creates her account and is signed in (${label}; axe clean)`, async () => {
      const inv = await t.server.invites.create({ by: "alice" });
      const w = await b.newPage({ viewport });
      const { page } = w;
      await page.goto(inv.url);
      await page.getByRole("heading", { name: "Join localhost" }).waitFor();
      const v1 = await axeCheck(page);
      assert.equal(v1.length, 0, describeViolations(v1));
      await screenshot(page, `invite-${label}`);
      const user = `juliet${label}`;
      await createAccount(page, user, "a-good-password");
      await contactList(page).waitFor({ state: "attached" });
      assert.ok(!page.url().includes(inv.token), "the token left the address bar");
      assert.equal(new URL(page.url()).pathname, "/");
      assert.ok(await t.storage.accounts.get(user));
      const e = await auditEntryWhere(t, (x) => x.kind === "invite-redeemed" && x.actor === user);
      assert.equal(e.subject, inv.id);

      const panel = policyPanel(page);
      await panel.getByText(/must be end-to-end encrypted/).waitFor();
      await panel.getByText(/every file must be scanned/).waitFor();
      const v2 = await axeCheck(page);
      assert.equal(v2.length, 0, describeViolations(v2));
      await screenshot(page, `policy-summary-${label}`);
      w.assertClean();
    });
  }

  it("a used invite is refused with the server's words; no account is made", async () => {
    const inv = await t.server.invites.create({ by: "alice" });
    const first = await b.newPage();
    await first.page.goto(inv.url);
    await createAccount(first.page, "romeo", "a-good-password");
    await contactList(first.page).waitFor({ state: "attached" });

    const w = await b.newPage();
    await w.page.goto(inv.url);
    await createAccount(w.page, "tybalt", "a-good-password");
    const alert = w.page.getByRole("alert").filter({ hasText: /already used/ });
    await alert.waitFor();
    assert.match((await alert.textContent()) ?? "", /This invite cannot be used/);
    assert.equal(await t.storage.accounts.get("tybalt"), undefined);
    const v = await axeCheck(w.page);
    assert.equal(v.length, 0, describeViolations(v));
    await screenshot(w.page, "invite-refused");
  });

  it("the summary follows a policy reload while signed in", async () => {
    const inv = await t.server.invites.create({ by: "alice" });
    const w = await b.newPage();
    await w.page.goto(inv.url);
    await createAccount(w.page, "mercutio", "a-good-password");
    const panel = policyPanel(w.page);
    await panel.getByText(/must be end-to-end encrypted/).waitFor();
    const before = t.server.policy.current.doc;
    assert.ok(t.server.policy.applyText("registration: invite\nencryption: optional\n").ok);
    // What Server.reloadPolicy fires once the new policy is in place.
    await t.server.bus.fire("policy-reloaded", {
      how: "command",
      ok: true,
      before,
      after: t.server.policy.current.doc,
      errors: [],
    });
    await panel.getByText(/end-to-end encryption is optional/).waitFor();
    w.assertClean();
  });
});
