// The admin console's defences in Chromium (issue 6): a non-admin gets 403 from every admin API
// route and sees no console; CSRF is refused (a request without the header, a cross-origin page
// posting); a cookie planted before sign-in is not the session after it; the chat page cannot
// reach /admin/api/ (its CSP's connect-src does not name it).

import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { ADMIN_ROUTES } from "@hato/core";
import { ADMIN_FLAGS, launchBrowser, type TestBrowser, webUrl } from "../support/browser.js";
import { startServer, type TestServer } from "../support/inproc.js";
import { adminApi, errorCode } from "./admin-http.js";
import { adminSignIn, adminUrl, fillSignIn, nav, VIEWS, writePolicy } from "./admin-ui.js";

const COOKIE = "__Host-hato-admin";

const ADMINS = "roles:\n  admin: [alice, bob]\n";
const ONLY_ALICE = "roles:\n  admin: [alice]\n";

describe("the admin console's defences", () => {
  let t: TestServer;
  let b: TestBrowser;
  let data: string;
  before(async () => {
    data = await mkdtemp(join(tmpdir(), "hato-admin-sec-"));
    await writePolicy(data, ONLY_ALICE);
    t = await startServer({ ...ADMIN_FLAGS, data });
    await t.addUser("alice", "alice-pw");
    await t.addUser("bob", "bob-pw");
    b = await launchBrowser();
  });
  after(async () => {
    await b?.close();
    await t?.stop();
    await rm(data, { recursive: true, force: true });
  });

  it("a non-admin cannot sign in, and every console URL shows only the sign-in", async () => {
    const w = await b.newPage();
    const { page } = w;
    await page.goto(adminUrl(t.tlsPort));
    await fillSignIn(page, "bob@localhost", "bob-pw");
    await page
      .getByRole("alert")
      .filter({ hasText: /Sign-in refused: this needs the admin role/ })
      .waitFor();
    const cookies = await page.context().cookies();
    assert.equal(cookies.filter((c) => c.name === COOKIE).length, 0, "no session cookie");
    for (const [route] of VIEWS) {
      await page.goto(adminUrl(t.tlsPort, route));
      await page.getByLabel("Password").waitFor();
      assert.equal(await nav(page).count(), 0, route);
      assert.equal(await page.getByRole("table").count(), 0, route);
    }
  });

  it("a non-admin (a demoted admin's session and token) gets 403 from every admin API route", async () => {
    assert.ok(t.server.policy.applyText(ADMINS).ok);
    const w = await b.newPage();
    await adminSignIn(w.page, { port: t.tlsPort, jid: "bob@localhost", password: "bob-pw" });
    const cookie = (await w.page.context().cookies()).find((c) => c.name === COOKIE)!.value;
    const csrf = String(await w.page.evaluate(`sessionStorage.getItem("hato.admin.csrf")`));
    const made = await adminApi(t.tlsPort, t.ca, "tokens", {
      method: "POST",
      body: { name: "bob's" },
      cookie,
      csrf,
    });
    assert.equal(made.status, 201, made.body);
    const token = JSON.parse(made.body).token as string;
    assert.ok(t.server.policy.applyText(ONLY_ALICE).ok);
    assert.ok(ADMIN_ROUTES.length >= 20, "the route table lists the API");
    const cookieStatuses: number[] = [];
    for (const r of ADMIN_ROUTES) {
      if (r.auth === "public") continue; // the sign-in itself is open to all
      const { path, body } = r.example;
      const byToken = await adminApi(t.tlsPort, t.ca, path, { method: r.method, token, body });
      assert.equal(byToken.status, 403, `${r.method} ${path} by token: ${byToken.body}`);
      assert.equal(errorCode(byToken), "forbidden");
      const byCookie = await adminApi(t.tlsPort, t.ca, path, {
        method: r.method,
        cookie,
        csrf,
        body,
      });
      if (r.auth === "token") continue; // /metrics takes no cookie at all
      // The first request of the demoted admin's console session is refused as forbidden and
      // ends that session; later ones are refused as unauthenticated.
      const expected = cookieStatuses.length === 0 ? 403 : 401;
      cookieStatuses.push(byCookie.status);
      assert.equal(byCookie.status, expected, `${r.method} ${path} by cookie: ${byCookie.body}`);
    }
    // And in the browser: the demoted admin's open console goes back to the sign-in.
    await w.page.getByRole("link", { name: "Sessions" }).click();
    await w.page.getByLabel("Password").waitFor();
  });

  it("CSRF: a change without the header, or from another origin, is refused", async () => {
    const w = await b.newPage();
    const { page } = w;
    await adminSignIn(page, { port: t.tlsPort, jid: "alice@localhost", password: "alice-pw" });
    // From the console's own page, without X-Hato-CSRF.
    const status = await page.evaluate(`fetch("/admin/api/users", {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ address: "mallory@localhost", password: "x" }),
    }).then(async (r) => [r.status, (await r.json()).error])`);
    assert.deepEqual(status, [403, "csrf"]);
    // With the header but from another origin (what a stolen token would need).
    const cookie = (await page.context().cookies()).find((c) => c.name === COOKIE)!.value;
    const csrf = String(await page.evaluate(`sessionStorage.getItem("hato.admin.csrf")`));
    const foreign = await adminApi(t.tlsPort, t.ca, "users", {
      method: "POST",
      body: { address: "mallory@localhost", password: "x" },
      cookie,
      csrf,
      origin: "https://evil.example",
    });
    assert.equal(foreign.status, 403, foreign.body);
    assert.equal(errorCode(foreign), "csrf");
    // A cross-origin page in the same browser posting a form and a fetch at the API.
    const target = `https://localhost:${t.tlsPort}/admin/api/users`;
    await page.context().route("https://evil.example/**", (route) =>
      route.fulfill({
        contentType: "text/html",
        body: `<!doctype html><title>evil</title>
<form method="post" enctype="text/plain" action="${target}">
<input name='{"address":"mallory@localhost","password":"x","p":"' value='"}'></form>`,
      }),
    );
    const evil = await page.context().newPage();
    await evil.goto("https://evil.example/");
    const [posted] = await Promise.all([
      evil.waitForResponse(target),
      evil.evaluate(`document.forms[0].submit()`),
    ]);
    // The SameSite=Strict cookie is not even sent: the server sees no session.
    assert.equal(posted.status(), 401, "form post");
    // A fetch from there gets nothing it can read (Chromium may not even send it: a public
    // page reaching a loopback server); whatever happened, nothing was created.
    const evil2 = await page.context().newPage();
    await evil2.goto("https://evil.example/");
    const fetched = await evil2.evaluate(`fetch(${JSON.stringify(target)}, { method: "POST",
      mode: "no-cors", credentials: "include",
      body: '{"address":"mallory@localhost","password":"x"}' })
      .then((r) => "status " + r.status + " " + r.type, (e) => "refused")`);
    assert.match(String(fetched), /^(refused|status 0 opaque)$/);
    const list = await adminApi(t.tlsPort, t.ca, "users", { cookie });
    assert.equal(list.status, 200, list.body);
    assert.doesNotMatch(list.body, /mallory/);
  });

  it("session fixation: a cookie planted before sign-in is not the session after it", async () => {
    const w = await b.newPage();
    const { page } = w;
    const planted = "A".repeat(43);
    await page.context().addCookies([
      {
        name: COOKIE,
        value: planted,
        url: `https://localhost:${t.tlsPort}/`,
        secure: true,
        sameSite: "Strict",
      },
    ]);
    await adminSignIn(page, { port: t.tlsPort, jid: "alice@localhost", password: "alice-pw" });
    const now = (await page.context().cookies()).find((c) => c.name === COOKIE)!;
    assert.notEqual(now.value, planted);
    assert.match(now.value, /^[A-Za-z0-9_-]{43}$/, "256 random bits, base64url");
    assert.equal(now.httpOnly, true);
    assert.equal(now.secure, true);
    assert.equal(now.sameSite, "Strict");
    assert.equal(now.path, "/");
    const withPlanted = await adminApi(t.tlsPort, t.ca, "session", { cookie: planted });
    assert.equal(withPlanted.status, 401, withPlanted.body);
    const withReal = await adminApi(t.tlsPort, t.ca, "session", { cookie: now.value });
    assert.equal(withReal.status, 200, withReal.body);
  });

  it("the chat page cannot fetch /admin/api/ (its CSP connect-src does not allow it)", async () => {
    const w = await b.newPage();
    const { page } = w;
    await adminSignIn(page, { port: t.tlsPort, jid: "alice@localhost", password: "alice-pw" });
    await page.goto(webUrl(t.tlsPort));
    await page.getByLabel("Password").waitFor();
    const outcome = await page.evaluate(`fetch("/admin/api/users", { credentials: "include" })
      .then((r) => "fetched " + r.status, (e) => "refused: " + e.message)`);
    assert.match(String(outcome), /^refused/);
    assert.ok(
      w.problems.some((p) => /Content Security Policy/.test(p) && /connect-src/.test(p)),
      w.problems.join("\n"),
    );
  });
});
