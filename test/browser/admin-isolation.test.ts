// What separates the chat page from the admin API in a real browser (docs/admin.md): the chat
// page's CSP lets it connect to its WebSocket and the upload service only, so script in it
// cannot call /admin/api/ even when the same browser holds an admin's console cookie; the
// chat itself keeps working under that policy.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { AdminClient } from "../support/admin.js";
import { messageLog } from "./ui.js";
import { attach, startUploadWorld, type UploadWorld } from "./upload-world.js";

describe("the chat page cannot reach the admin API", () => {
  let w: UploadWorld;
  before(async () => {
    w = await startUploadWorld();
    w.t.server.policy.applyText("roles: { admin: [alice] }\n");
  });
  after(() => w?.close());

  it("fetch and XHR to /admin/api/ are refused by the page's CSP, even with a console cookie", async () => {
    const { t, alice } = w;
    const admin = new AdminClient(t.tlsPort, t.ca);
    assert.equal((await admin.login("alice@localhost", "alice-pw")).status, 200);
    await alice.page.context().addCookies([
      {
        name: "__Host-hato-admin",
        value: admin.cookie!,
        url: `https://localhost:${t.tlsPort}/`,
        secure: true,
        httpOnly: true,
        sameSite: "Strict",
      },
    ]);
    const outcome = (await alice.page.evaluate(`(async () => {
      const violations = [];
      document.addEventListener("securitypolicyviolation", (e) =>
        violations.push(e.violatedDirective + " " + e.blockedURI));
      const tryFetch = (path, init) =>
        fetch(path, init).then((r) => "answered " + r.status, (e) => "refused " + e.name);
      const fetched = await tryFetch("/admin/api/users", { credentials: "include" });
      const posted = await tryFetch("/admin/api/users/bob/lock", {
        method: "POST",
        credentials: "include",
        headers: { "X-Hato-CSRF": "guess" },
      });
      const xhr = await new Promise((resolve) => {
        const x = new XMLHttpRequest();
        x.open("GET", "/admin/api/session");
        x.onload = () => resolve("answered " + x.status);
        x.onerror = () => resolve("refused");
        x.send();
      });
      const upload = await tryFetch("/upload/nosuchslot/name.txt");
      await new Promise((r) => setTimeout(r, 100));
      return { fetched, posted, xhr, upload, violations };
    })()`)) as {
      fetched: string;
      posted: string;
      xhr: string;
      upload: string;
      violations: string[];
    };
    assert.equal(outcome.fetched, "refused TypeError");
    assert.equal(outcome.posted, "refused TypeError");
    assert.equal(outcome.xhr, "refused");
    assert.match(outcome.upload, /^answered 4\d\d$/, "the upload service stays reachable");
    assert.ok(
      outcome.violations.some((v) => v.startsWith("connect-src") && v.includes("/admin/api/")),
      JSON.stringify(outcome.violations),
    );
    assert.equal((await t.storage.accounts.get("bob"))?.disabled, false, "bob was not locked");
    // The console cookie itself still works from the console's side.
    assert.equal((await admin.call("GET", "/admin/api/session")).status, 200);
    alice.assertClean([/Content Security Policy/, /Failed to load resource/, /net::ERR/]);
  });

  it("the chat page still sends messages and shares files under the narrowed policy", async () => {
    const { alice, bob } = w;
    await attach(alice.page, [
      { name: "note.txt", mimeType: "text/plain", buffer: Buffer.from("hello") },
    ]);
    await messageLog(bob.page).getByRole("link", { name: "Download note.txt" }).waitFor();
    alice.assertClean([/Content Security Policy/, /Failed to load resource/, /net::ERR/]);
  });
});
