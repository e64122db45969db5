// Debian's Chromium driven by playwright-core for the web client's browser tests: a browser per
// test file, a context per user, role-and-name helpers, screenshots, axe-core, and a page watch
// that fails a test on script errors and Content-Security-Policy violations.

import { mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  type Browser,
  type BrowserContext,
  type BrowserContextOptions,
  chromium,
  type Page,
} from "playwright-core";

/** The only browser the tests may run: Debian's package, never a downloaded one. */
export const CHROMIUM = "/usr/bin/chromium";

/**
 * Chromium as root needs --no-sandbox; the rest keep it from calling home (updates, sync,
 * field trials) and from using QUIC or a GPU the machine does not have. localhost is pinned to
 * 127.0.0.1, where the test servers listen, so that no attempt goes to ::1 first.
 */
export const CHROMIUM_ARGS: readonly string[] = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--host-resolver-rules=MAP localhost 127.0.0.1",
];

/** The repository root (test/dist/support → ../../..). */
export const REPO = fileURLToPath(new URL("../../../", import.meta.url));
/** Screenshots for a person to look at; the folder is git-ignored. */
export const SCREENSHOTS = join(REPO, "test-artifacts", "screenshots");
/** The built web client. */
export const WEB_DIST = join(REPO, "packages", "web", "dist");
/**
 * Server settings for browser tests: the built web client named explicitly (the empty default
 * finds it through the `@hato/web` package, which tests need not rely on).
 */
export const WEB_FLAGS: Readonly<Record<string, string>> = { "web.root": WEB_DIST };
/** The built admin console (issue 6). */
export const ADMIN_DIST = join(REPO, "packages", "admin", "dist");
/** Server settings for admin console tests: both built pages named explicitly. */
export const ADMIN_FLAGS: Readonly<Record<string, string>> = {
  ...WEB_FLAGS,
  "web.admin-root": ADMIN_DIST,
};

/** Desktop and phone widths: every view is checked at both. */
export const DESKTOP = { width: 1280, height: 800 } as const;
export const PHONE = { width: 360, height: 740 } as const;

export interface TestBrowser {
  browser: Browser;
  /** A fresh context (its own cookies and storage: one per user) and a watched page in it. */
  newPage(opts?: BrowserContextOptions): Promise<WatchedPage>;
  /** Closes every context and the browser, and removes the temporary folder. */
  close(): Promise<void>;
}

export interface LaunchOptions {
  /**
   * A Y4M (YUV4MPEG2) video file Chromium's fake camera plays (looped) to getUserMedia, which
   * is granted without asking. The file is opened each time a page starts the camera, so a
   * test may rewrite it between two uses.
   */
  fakeCamera?: string;
}

const fakeCameraArgs = (file: string | undefined): string[] =>
  file === undefined
    ? []
    : [
        "--use-fake-device-for-media-stream",
        "--use-fake-ui-for-media-stream",
        `--use-file-for-fake-video-capture=${file}`,
      ];

/**
 * Launches Chromium with a fresh profile in a temporary folder of ours, removed by `close()`.
 * playwright refuses `--user-data-dir` with `launch()` (that is `launchPersistentContext`, one
 * context only) and makes its profile under `os.tmpdir()`: TMPDIR points into our folder while
 * it launches, so the profile and Chromium's own temporary files land there.
 */
export async function launchBrowser(opts: LaunchOptions = {}): Promise<TestBrowser> {
  const tmp = await mkdtemp(join(tmpdir(), "hato-chromium-"));
  const saved = process.env.TMPDIR;
  process.env.TMPDIR = tmp;
  let browser: Browser;
  try {
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [...CHROMIUM_ARGS, ...fakeCameraArgs(opts.fakeCamera)],
      env: { ...process.env, TMPDIR: tmp },
      timeout: 60_000,
    });
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw err;
  } finally {
    if (saved === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = saved;
  }
  const contexts: BrowserContext[] = [];
  return {
    browser,
    async newPage(opts = {}) {
      // The test CA is not in Chromium's store: HTTPS errors are ignored for the test server.
      const context = await browser.newContext({
        ignoreHTTPSErrors: true,
        viewport: DESKTOP,
        ...opts,
      });
      contexts.push(context);
      context.setDefaultTimeout(20_000);
      return watch(await context.newPage());
    },
    async close() {
      for (const c of contexts) await c.close().catch(() => undefined);
      await browser.close().catch(() => undefined);
      await rm(tmp, { recursive: true, force: true });
    },
  };
}

/** A page with what it said on the console: errors, CSP refusals, uncaught exceptions, dialogs. */
export interface WatchedPage {
  page: Page;
  /** Console errors and warnings, uncaught exceptions, in order. */
  problems: string[];
  /** Dialogs (alert, confirm, prompt) the page opened; each is dismissed. */
  dialogs: string[];
  /**
   * Fails when the page logged an error or a CSP violation, or threw, or opened a dialog;
   * `allow` lists messages expected in this test (a WebSocket the test cut, say).
   */
  assertClean(allow?: readonly RegExp[]): void;
}

function watch(page: Page): WatchedPage {
  const problems: string[] = [];
  const dialogs: string[] = [];
  page.on("console", (m) => {
    // A CSP refusal is a console error ("Refused to execute inline script ..."), and Trusted
    // Types refusals too ("This document requires 'TrustedScript' assignment").
    if (m.type() === "error" || /Content Security Policy|TrustedScript|TrustedHTML/.test(m.text()))
      problems.push(`console.${m.type()}: ${m.text()}`);
  });
  page.on("pageerror", (e) => problems.push(`uncaught: ${e.message}`));
  page.on("dialog", (d) => {
    dialogs.push(`${d.type()}: ${d.message()}`);
    void d.dismiss().catch(() => undefined);
  });
  return {
    page,
    problems,
    dialogs,
    assertClean(allow = []) {
      const unexpected = problems.filter((p) => !allow.some((re) => re.test(p)));
      if (unexpected.length > 0 || dialogs.length > 0)
        throw new Error(
          `the page reported problems:\n${[...unexpected, ...dialogs.map((d) => `dialog ${d}`)].join("\n")}`,
        );
    },
  };
}

/** The web client's address on a server's TLS port (or a proxy in front of it). */
export const webUrl = (port: number): string => `https://localhost:${port}/`;

/**
 * Opens the web client and signs in through the form, as a person would: the fields labelled
 * "Address" and "Password", the button "Sign in"; resolves when the list "Contacts" shows.
 */
export async function newUser(
  page: Page,
  o: { url: string; jid: string; password: string },
): Promise<void> {
  await page.goto(o.url);
  await signIn(page, o);
}

/** Fills the sign-in form of a page already showing it. */
export async function signIn(page: Page, o: { jid: string; password: string }): Promise<void> {
  await page.getByLabel("Address").fill(o.jid);
  await page.getByLabel("Password").fill(o.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  // An empty list has no height: "attached", not "visible".
  await page.getByRole("list", { name: "Contacts" }).waitFor({ state: "attached" });
}

/** Writes a full-page PNG to test-artifacts/screenshots/NAME.png. */
export async function screenshot(page: Page, name: string): Promise<string> {
  await mkdir(SCREENSHOTS, { recursive: true });
  const path = join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: unknown[]; failureSummary?: string }[];
}

let axeSource: Promise<string> | undefined;

/**
 * Runs axe-core (WCAG 2.x A and AA rules plus best practices) on the page as it is and returns
 * the violations. The source is evaluated through the DevTools protocol (`page.evaluate`), not
 * added as a <script>: the page's CSP (`require-trusted-types-for 'script'`, no inline script)
 * rightly refuses `addScriptTag({content})`, and evaluating leaves the real CSP in force, so the
 * check sees the page exactly as users get it (no `bypassCSP` context).
 */
export async function axeCheck(page: Page): Promise<AxeViolation[]> {
  axeSource ??= readFile(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");
  const src = await axeSource;
  const loaded = await page.evaluate("typeof globalThis.axe === 'object'");
  if (!loaded) await page.evaluate(src);
  return (await page.evaluate(`globalThis.axe.run(document, {
    runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"] },
    resultTypes: ["violations"],
  }).then((r) => r.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map((n) => ({ target: n.target, failureSummary: n.failureSummary })),
  })))`)) as AxeViolation[];
}

/** axe violations as readable lines, for an assertion message. */
export function describeViolations(vs: readonly AxeViolation[]): string {
  return vs
    .map(
      (v) =>
        `${v.id} (${v.impact}): ${v.help}\n${v.nodes
          .map((n) => `  ${JSON.stringify(n.target)} ${n.failureSummary ?? ""}`)
          .join("\n")}`,
    )
    .join("\n");
}
