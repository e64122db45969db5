// The admin console as an admin sees it: roles and accessible names, one place for the tests to
// say "sign in", "open the users view", "manage bob".

import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Locator, Page } from "playwright-core";

/** The console's address on a server's TLS port. */
export const adminUrl = (port: number, view = ""): string =>
  `https://localhost:${port}/admin/${view ? `#/${view}` : ""}`;

/** The views, by hash route and navigation link. */
export const VIEWS = [
  ["users", "Users"],
  ["sessions", "Sessions"],
  ["policy", "Policy"],
  ["audit", "Audit log"],
  ["quarantine", "Quarantine"],
  ["metrics", "Metrics"],
  ["tokens", "API tokens"],
] as const;

/** Fills the console's sign-in form (the page shows it). */
export async function fillSignIn(page: Page, jid: string, password: string): Promise<void> {
  await page.getByLabel("Address").fill(jid);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
}

/** Opens the console and signs in; resolves when the navigation shows. */
export async function adminSignIn(
  page: Page,
  o: { port: number; jid: string; password: string },
): Promise<void> {
  await page.goto(adminUrl(o.port));
  await fillSignIn(page, o.jid, o.password);
  await nav(page).waitFor();
}

/** The navigation bar "Console". */
export const nav = (page: Page): Locator => page.getByRole("navigation", { name: "Console" });

/** Opens a view from the navigation; resolves when its heading shows. */
export async function openView(page: Page, title: string): Promise<void> {
  await nav(page).getByRole("link", { name: title, exact: true }).click();
  await page.getByRole("heading", { level: 1, name: title, exact: true }).waitFor();
}

/** The status line of the view (role status) holding `text`. */
export const statusText = (page: Page, text: string | RegExp): Locator =>
  page.getByRole("status").filter({ hasText: text });

/** Opens the panel of one account from the users table. */
export async function manageUser(page: Page, address: string): Promise<void> {
  const button = page.getByRole("button", { name: `Manage ${address}` });
  // The button toggles the panel: open it only when it is closed.
  if ((await button.getAttribute("aria-expanded")) !== "true") await button.click();
  await page.getByRole("heading", { level: 2, name: address, exact: true }).waitFor();
}

/**
 * Waits until `expression` (evaluated in the page) is true. The page's CSP forbids eval, which
 * `page.waitForFunction` needs; `page.evaluate` goes through the DevTools protocol instead.
 */
export async function until(page: Page, expression: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await page.evaluate(expression))) {
    if (Date.now() > deadline) throw new Error(`still false after ${timeoutMs} ms: ${expression}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The policy file of a data folder, as `hato start` reads it when there is no hato.yaml. */
export async function writePolicy(data: string, text: string): Promise<void> {
  await writeFile(join(data, "policy.yaml"), text);
}
