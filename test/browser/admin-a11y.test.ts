// Every view of the admin console passes axe-core (WCAG 2.2 A/AA and best practices) at 1280
// and 360 px, with no sideways scrolling of the page at 360 px, and each is kept as a screenshot
// in test-artifacts/screenshots/ for a person to look at; the keyboard reaches every view.

import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import {
  ADMIN_FLAGS,
  axeCheck,
  DESKTOP,
  describeViolations,
  launchBrowser,
  PHONE,
  screenshot,
  type TestBrowser,
} from "../support/browser.js";
import { RawClient, startServer, type TestServer } from "../support/inproc.js";
import { adminUrl, fillSignIn, nav, openView, until, VIEWS, writePolicy } from "./admin-ui.js";

describe("accessibility of every admin console view (axe-core)", () => {
  let t: TestServer;
  let b: TestBrowser;
  let bob: RawClient;
  let data: string;
  before(async () => {
    data = await mkdtemp(join(tmpdir(), "hato-admin-a11y-"));
    await writePolicy(data, "roles:\n  admin: [alice]\n");
    t = await startServer({ ...ADMIN_FLAGS, data });
    await t.addUser("alice", "alice-pw");
    await t.addUser("bob", "bob-pw");
    bob = (await RawClient.login(t, "bob", "bob-pw", "desk")).client;
    b = await launchBrowser();
  });
  after(async () => {
    bob?.close();
    await b?.close();
    await t?.stop();
    await rm(data, { recursive: true, force: true });
  });

  for (const [label, viewport] of [
    ["desktop", DESKTOP],
    ["phone", PHONE],
  ] as const) {
    it(`sign-in and every view at ${viewport.width} px`, async () => {
      const w = await b.newPage({ viewport });
      const { page } = w;
      const check = async (name: string) => {
        // Wait for the view's data (or its error) before judging it.
        await page.waitForLoadState("networkidle");
        const violations = await axeCheck(page);
        await screenshot(page, `admin-${name}-${label}`);
        assert.deepEqual(violations, [], `${name} at ${label}:\n${describeViolations(violations)}`);
        const wide = await page.evaluate("document.documentElement.scrollWidth");
        assert.ok(
          Number(wide) <= viewport.width,
          `${name} scrolls sideways at ${label}: ${wide}px`,
        );
      };
      await page.goto(adminUrl(t.tlsPort));
      await page.getByLabel("Password").waitFor();
      await check("sign-in");
      await fillSignIn(page, "alice@localhost", "wrong");
      await page
        .getByRole("alert")
        .filter({ hasText: /Sign-in failed/ })
        .waitFor();
      await check("sign-in-failed");
      await fillSignIn(page, "alice@localhost", "alice-pw");
      await nav(page).waitFor();
      for (const [route, title] of VIEWS) {
        await openView(page, title);
        await check(route);
      }
      // States with more on the page: a user's panel, the deletion dialog, a policy diff.
      await openView(page, "Users");
      await page.getByRole("button", { name: "Manage bob@localhost" }).click();
      await page.getByRole("heading", { level: 2, name: "bob@localhost" }).waitFor();
      await check("user-panel");
      await page.getByRole("button", { name: "Delete account" }).click();
      await page.getByRole("dialog").waitFor();
      await check("user-delete-dialog");
      await page.keyboard.press("Escape");
      await openView(page, "Policy");
      await until(page, `document.getElementById("policy-text")?.value.includes("admin")`);
      const editor = page.getByLabel("Policy (YAML)");
      await editor.fill(`${await editor.inputValue()}\ncalls: p2p\n`);
      await page.getByRole("button", { name: "Check" }).click();
      await page.getByRole("heading", { name: "Changes against the policy in force" }).waitFor();
      await check("policy-diff");
      // 401: the wrong password; 503: the invites or metrics services this server may not have.
      const missing = !("invites" in t.server) || !("metrics" in t.server);
      w.assertClean([/status of 401/, ...(missing ? [/status of 503/] : [])]);
    });
  }

  it("the keyboard reaches every view from the navigation", async () => {
    const { page } = await b.newPage();
    await page.goto(adminUrl(t.tlsPort));
    await page.getByLabel("Address").focus();
    await page.keyboard.type("alice@localhost");
    await page.keyboard.press("Tab");
    await page.keyboard.type("alice-pw");
    await page.keyboard.press("Enter");
    await nav(page).waitFor();
    for (const [route, title] of VIEWS) {
      await nav(page).getByRole("link", { name: title, exact: true }).focus();
      await page.keyboard.press("Enter");
      await page.getByRole("heading", { level: 1, name: title, exact: true }).waitFor();
      assert.ok(page.url().endsWith(`#/${route}`), page.url());
    }
  });
});
