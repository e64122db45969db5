// The browser helpers catch what they are there to catch: a page with an axe violation gets it
// reported, an inline script refused by the server's own CSP fails `assertClean`, and a dialog
// is recorded. Without this, a helper that quietly checked nothing would pass every test.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  axeCheck,
  launchBrowser,
  type TestBrowser,
  WEB_FLAGS,
  webUrl,
} from "../support/browser.js";
import { startServer, type TestServer } from "../support/inproc.js";

describe("browser test helpers", () => {
  let t: TestServer;
  let b: TestBrowser;
  let csp: string;
  before(async () => {
    t = await startServer({ ...WEB_FLAGS });
    b = await launchBrowser();
    // The policy Hato sends with its pages, taken from a real response.
    const probe = await b.newPage();
    const res = await probe.page.goto(webUrl(t.tlsPort));
    csp = (await res!.allHeaders())["content-security-policy"] ?? "";
    assert.match(csp, /require-trusted-types-for 'script'/);
  });
  after(async () => {
    await b?.close();
    await t?.stop();
  });

  it("axeCheck reports a violation (and runs under Hato's CSP), assertClean fails on a CSP refusal", async () => {
    const w = await b.newPage();
    const url = `${webUrl(t.tlsPort)}helpers-fixture.html`;
    await w.page.route(url, (r) =>
      r.fulfill({
        status: 200,
        contentType: "text/html; charset=utf-8",
        headers: { "content-security-policy": csp },
        body: `<!doctype html><html lang="en"><head><title>fixture</title></head><body><main>
<h1>Fixture</h1><img src="/favicon.svg"><script>globalThis.__ran = 1</script></main></body></html>`,
      }),
    );
    await w.page.goto(url);
    const violations = await axeCheck(w.page);
    assert.deepEqual(
      violations.map((v) => v.id),
      ["image-alt"],
    );
    assert.equal(
      await w.page.evaluate("globalThis.__ran"),
      undefined,
      "the inline script was refused",
    );
    assert.throws(() => w.assertClean(), /Content Security Policy/);
  });

  it("a dialog is recorded and fails assertClean", async () => {
    const w = await b.newPage();
    await w.page.goto(webUrl(t.tlsPort));
    const shown = w.page.waitForEvent("dialog");
    await w.page.evaluate("setTimeout(() => alert('hi'), 0)");
    await shown;
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(w.dialogs, ["alert: hi"]);
    assert.throws(() => w.assertClean(), /dialog alert: hi/);
  });
});
