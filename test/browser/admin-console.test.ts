// The admin console in Chromium (issue 6): an admin signs in and does each operation through the
// pages, and the server's state shows it (a locked user's live session is cut off at once, a
// role change is in the policy, an applied policy is in force, a token works for scripts).

import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { Page } from "playwright-core";
import {
  ADMIN_FLAGS,
  launchBrowser,
  SCREENSHOTS,
  screenshot,
  type TestBrowser,
  type WatchedPage,
} from "../support/browser.js";
import { RawClient, startServer, type TestServer } from "../support/inproc.js";
import { adminApi } from "./admin-http.js";
import {
  adminSignIn,
  adminUrl,
  manageUser,
  nav,
  openView,
  statusText,
  until,
  writePolicy,
} from "./admin-ui.js";

const POLICY = "groups:\n  ops: []\nroles:\n  admin: [alice]\n";

/** Whether `user` can log in over XMPP with `password`. */
async function canLogin(t: TestServer, user: string, password: string): Promise<boolean> {
  try {
    (await RawClient.login(t, user, password, "check")).client.close();
    return true;
  } catch {
    return false;
  }
}

describe("the admin console: an admin at work", () => {
  let t: TestServer;
  let b: TestBrowser;
  let w: WatchedPage;
  let page: Page;
  let data: string;
  before(async () => {
    data = await mkdtemp(join(tmpdir(), "hato-admin-console-"));
    await writePolicy(data, POLICY);
    t = await startServer({ ...ADMIN_FLAGS, data });
    await t.addUser("alice", "alice-pw");
    await t.addUser("bob", "bob-pw");
    b = await launchBrowser();
    w = await b.newPage();
    page = w.page;
    await adminSignIn(page, { port: t.tlsPort, jid: "alice@localhost", password: "alice-pw" });
  });
  after(async () => {
    await b?.close();
    await t?.stop();
    await rm(data, { recursive: true, force: true });
  });

  it("adds a user, who can then log in", async () => {
    await openView(page, "Users");
    await page.getByLabel("New address").fill("dave@localhost");
    await page.getByLabel("Initial password").fill("dave-pw-1");
    await page.getByRole("button", { name: "Add user" }).click();
    await statusText(page, "Added dave@localhost.").waitFor();
    await page.getByRole("button", { name: "Manage dave@localhost" }).waitFor();
    assert.ok(await canLogin(t, "dave", "dave-pw-1"));
  });

  it("locks a user: the live session is cut off at once; unlocking lets them in again", async () => {
    const bob = (await RawClient.login(t, "bob", "bob-pw", "desk")).client;
    await openView(page, "Users");
    await manageUser(page, "bob@localhost");
    await page.getByRole("button", { name: "Lock", exact: true }).click();
    await statusText(page, /Locked bob@localhost; 1 live session\(s\) closed/).waitFor();
    const err = await bob.expectStreamError();
    assert.equal(err.condition, "policy-violation");
    assert.match(err.text ?? "", /locked by an administrator/);
    assert.equal(await canLogin(t, "bob", "bob-pw"), false);
    await page.getByRole("cell", { name: "locked" }).waitFor();
    await page.getByRole("button", { name: "Unlock", exact: true }).click();
    await statusText(page, "Unlocked bob@localhost.").waitFor();
    assert.ok(await canLogin(t, "bob", "bob-pw"));
  });

  it("changes a role and groups: the policy says so", async () => {
    await openView(page, "Users");
    await manageUser(page, "bob@localhost");
    await page.getByLabel("Role").selectOption("limited");
    await page.getByRole("button", { name: "Set role" }).click();
    await statusText(page, "Role changed.").waitFor();
    assert.equal(t.server.policy.current.forUser("bob").role, "limited");
    await page.getByLabel("Groups (comma-separated)").fill("ops");
    await page.getByRole("button", { name: "Set groups" }).click();
    await statusText(page, "Groups changed.").waitFor();
    assert.deepEqual(t.server.policy.current.forUser("bob").groups, ["ops"]);
  });

  it("resets a password", async () => {
    await openView(page, "Users");
    await manageUser(page, "dave@localhost");
    await page.getByLabel("New password").fill("dave-pw-2");
    await page.getByRole("button", { name: "Reset password" }).click();
    await statusText(page, "New password set for dave@localhost.").waitFor();
    assert.ok(await canLogin(t, "dave", "dave-pw-2"));
    assert.equal(await canLogin(t, "dave", "dave-pw-1"), false);
  });

  it("creates an invite link with a copy button (or says the server has no invites)", async () => {
    await openView(page, "Users");
    await page.getByRole("button", { name: "Create invite link" }).click();
    if (!("invites" in t.server)) {
      // Until the invites service is part of the server, the console shows the API's 503.
      await page
        .getByRole("alert")
        .filter({ hasText: /invites are not available/ })
        .first()
        .waitFor();
      return;
    }
    const link = page.getByRole("textbox", { name: "Invite link" });
    await link.waitFor();
    assert.match(await link.inputValue(), /^https:\/\//);
    await page.getByRole("button", { name: "Copy" }).click();
    await page
      .getByRole("status")
      .filter({ hasText: /Copied|Copying was refused/ })
      .waitFor();
  });

  it("deletes a user after a confirmation naming the account", async () => {
    await openView(page, "Users");
    await manageUser(page, "dave@localhost");
    await page.getByRole("button", { name: "Delete account" }).click();
    const dialog = page.getByRole("dialog", { name: "Delete dave@localhost?" });
    await dialog.waitFor();
    // Cancel first: nothing happens.
    await dialog.getByRole("button", { name: "Cancel" }).click();
    assert.ok(await canLogin(t, "dave", "dave-pw-2"));
    await page.getByRole("button", { name: "Delete account" }).click();
    await dialog.getByRole("button", { name: "Delete dave@localhost" }).click();
    await statusText(page, "Deleted dave@localhost.").waitFor();
    assert.equal(await canLogin(t, "dave", "dave-pw-2"), false);
    await page
      .getByRole("button", { name: "Manage dave@localhost" })
      .waitFor({ state: "detached" });
  });

  it("shows live sessions with client, address, transport and TLS, and ends one", async () => {
    const carl = (await RawClient.login(t, "bob", "bob-pw", "phone")).client;
    await openView(page, "Sessions");
    const row = page.getByRole("row", { name: /bob@localhost\/phone/ });
    await row.waitFor();
    const text = (await row.textContent()) ?? "";
    assert.match(text, /127\.0\.0\.1/);
    assert.match(text, /tcp, TLSv1\.[23]/);
    await row.getByRole("button", { name: "End session bob@localhost/phone" }).click();
    await statusText(page, "Ended bob@localhost/phone.").waitFor();
    assert.equal((await carl.expectStreamError()).condition, "policy-violation");
  });

  it("edits the policy: errors with line and column, then a diff, then Apply puts it in force", async () => {
    await openView(page, "Policy");
    const editor = page.getByLabel("Policy (YAML)");
    await until(page, `document.getElementById("policy-text")?.value.includes("admin")`);
    const text = await editor.inputValue();
    await editor.fill(`${text}\nencryption: sometimes\n`);
    await page.getByRole("button", { name: "Check" }).click();
    await page.getByRole("heading", { name: "Errors" }).waitFor();
    assert.match((await page.locator("ul.errors").textContent()) ?? "", /line \d+, column \d+/);
    assert.ok(await page.getByRole("button", { name: "Apply" }).isDisabled());
    await editor.fill(`${text}\nencryption: required\n`);
    await page.getByRole("button", { name: "Check" }).click();
    await page.getByRole("heading", { name: "Changes against the policy in force" }).waitFor();
    await page.getByRole("rowheader", { name: /encryption/ }).waitFor();
    assert.equal(t.server.policy.current.forUser("bob").rules.encryption, "optional");
    await page.getByRole("button", { name: "Apply" }).click();
    await statusText(page, /^Applied/).waitFor();
    assert.equal(t.server.policy.current.forUser("bob").rules.encryption, "required");
  });

  it("searches the audit log and shows that it verifies", async () => {
    await openView(page, "Audit log");
    await page.getByText(/Audit log intact: \d+ entries verified/).waitFor();
    await page.getByLabel("Search").fill("dave");
    await page.getByRole("button", { name: "Search" }).click();
    // The table keeps the last page until the search answers: wait for the filtered one.
    const ROWS = `[...document.querySelectorAll("section[aria-label='Audit entries'] tbody tr")]`;
    await until(
      page,
      `${ROWS}.length > 0 && ${ROWS}.every((tr) => tr.textContent.includes("dave"))`,
    );
    const found = Number(await page.evaluate(`${ROWS}.length`));
    await page.getByLabel("Search").fill("");
    await page.getByRole("button", { name: "Search" }).click();
    // Without the search: more entries (the sign-in, bob's sessions...) than with it.
    await until(page, `${ROWS}.length > ${found}`);
    await screenshot(page, "admin-console-audit");
    // The first screen only, for the README (docs/screenshots/admin-console.png is a copy).
    await page.screenshot({ path: join(SCREENSHOTS, "admin-console-readme.png") });
    await page.getByLabel("Kind").fill("admin-login");
    await page.getByRole("button", { name: "Search" }).click();
    await until(
      page,
      `${ROWS}.length > 0 && ${ROWS}.every((tr) => tr.children[2].textContent === "admin-login")`,
    );
  });

  it("pages through the audit log, older and newer", async () => {
    for (let i = 0; i < 60; i++) await t.server.audit.record("test-filler", { details: { i } });
    await openView(page, "Users");
    await openView(page, "Audit log");
    const ROWS = `[...document.querySelectorAll("section[aria-label='Audit entries'] tbody tr")]`;
    const seqs = async () =>
      (await page.evaluate(`${ROWS}.map((tr) => Number(tr.children[0].textContent))`)) as number[];
    await until(page, `${ROWS}.length === 50`);
    const first = await seqs();
    await page.getByRole("button", { name: "Older entries" }).click();
    await until(page, `Number(${ROWS}[0]?.children[0].textContent) < ${Math.min(...first)}`);
    const second = await seqs();
    assert.equal(second[0], Math.min(...first) - 1, "the next page starts where the first ended");
    await page.getByRole("button", { name: "Newer entries" }).click();
    await until(page, `Number(${ROWS}[0]?.children[0].textContent) === ${first[0]}`);
  });

  it("creates an API token shown once, which works for scripts until revoked", async () => {
    await openView(page, "API tokens");
    await page.getByLabel("Token name").fill("prometheus");
    await page.getByRole("button", { name: "Create token" }).click();
    const field = page.getByRole("textbox", { name: "New token" });
    await field.waitFor();
    const token = await field.inputValue();
    assert.match(token, /^hato_[A-Za-z0-9_-]{43}$/);
    await page.getByRole("rowheader", { name: "prometheus" }).waitFor();
    const ok = await adminApi(t.tlsPort, t.ca, "users", { token });
    assert.equal(ok.status, 200, ok.body);
    // Leaving and coming back: the token is not shown again.
    await openView(page, "Users");
    await openView(page, "API tokens");
    assert.equal(await page.getByRole("textbox", { name: "New token" }).count(), 0);
    await page.getByRole("button", { name: "Revoke token prometheus" }).click();
    await statusText(page, "Revoked prometheus.").waitFor();
    const refused = await adminApi(t.tlsPort, t.ca, "users", { token });
    assert.equal(refused.status, 401, refused.body);
  });

  it("shows a quarantined file and deletes it after a confirmation; metrics as charts", async () => {
    // A file the scanner refused, as the upload module leaves it in storage.
    const now = new Date();
    const rec = {
      id: "q1_quarantined",
      owner: "bob",
      name: "evil.exe",
      size: 68,
      type: "",
      secretHash: "0".repeat(64),
      state: "reserved" as const,
      created: now,
      slotExpires: new Date(now.getTime() + 60_000),
    };
    await t.storage.files.reserve(rec, { userBytes: 1e9, totalBytes: 1e9 });
    await t.storage.files.transition(rec.id, "reserved", "uploading");
    await t.storage.files.transition(rec.id, "uploading", "scanning");
    await t.storage.files.transition(rec.id, "scanning", "infected", {
      stored: now,
      sha256: "a".repeat(64),
      reason: "Eicar-Test-Signature",
    });
    await openView(page, "Quarantine");
    const row = page.getByRole("row", { name: /evil\.exe/ });
    await row.waitFor();
    assert.match((await row.textContent()) ?? "", /bob.*68 bytes.*infected: Eicar-Test-Signature/);
    await row.getByRole("button", { name: "Delete evil.exe" }).click();
    const dialog = page.getByRole("dialog", { name: "Delete evil.exe?" });
    await dialog.getByRole("button", { name: "Delete file" }).click();
    await statusText(page, "Deleted evil.exe.").waitFor();
    assert.equal(await t.storage.files.get(rec.id), undefined);
    await openView(page, "Metrics");
    if (!("metrics" in t.server)) {
      await page
        .getByRole("alert")
        .filter({ hasText: /metrics are not available/ })
        .waitFor();
      return;
    }
    await page.getByRole("img").first().waitFor();
    assert.equal(await page.getByRole("alert").filter({ hasText: /\S/ }).count(), 0);
  });

  it("an ended session sends the admin back to the sign-in with a message", async () => {
    await page.context().clearCookies();
    await openView(page, "Users").catch(() => undefined);
    await page
      .getByRole("status")
      .filter({ hasText: /Your admin session has ended/ })
      .waitFor();
    await page.getByLabel("Password").waitFor();
    assert.equal(await nav(page).count(), 0);
    assert.equal(await page.evaluate("sessionStorage.length"), 0);
    // and signing in again works from here
    await page.goto(adminUrl(t.tlsPort));
    // 401: the ended session; 503: the invites or metrics services this server may not have.
    const missing = !("invites" in t.server) || !("metrics" in t.server);
    w.assertClean([/status of 401/, ...(missing ? [/status of 503/] : [])]);
  });

  it("signing out ends the session on the server and forgets the CSRF token", async () => {
    const w2 = await b.newPage();
    await adminSignIn(w2.page, { port: t.tlsPort, jid: "alice@localhost", password: "alice-pw" });
    const cookie = (await w2.page.context().cookies()).find((c) => c.name === "__Host-hato-admin")!;
    await w2.page.getByRole("button", { name: "Sign out" }).click();
    await statusText(w2.page, "You signed out.").waitFor();
    assert.equal(await w2.page.evaluate("sessionStorage.length"), 0);
    const after = await w2.page.context().cookies();
    assert.equal(after.filter((c) => c.name === "__Host-hato-admin").length, 0, "cookie cleared");
    const old = await adminApi(t.tlsPort, t.ca, "session", { cookie: cookie.value });
    assert.equal(old.status, 401, old.body);
    w2.assertClean();
  });
});
