// The admin console's files at /admin/ (issue 6): the web client's strict headers plus an opener
// policy that keeps chat pages from scripting it, nothing stored by the browser, no traversal;
// the chat page's CSP does not let it connect to /admin/.

import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import type { IncomingMessage } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { chatPageCsp, SECURITY_HEADERS } from "@hato/core";
import { get, type RawResponse } from "../support/https.js";
import { startServer, type TestServer } from "../support/inproc.js";

/** The security headers, with the admin console's opener policy. */
function assertAdminHeaders(r: RawResponse, what: string): void {
  const expected = {
    ...SECURITY_HEADERS,
    "Cross-Origin-Opener-Policy": "noopener-allow-popups",
  };
  for (const [name, value] of Object.entries(expected))
    assert.equal(r.headers[name.toLowerCase()], value, `${what}: ${name}`);
  assert.match(r.headers["content-security-policy"]!, /frame-ancestors 'none'/);
}

describe("the admin console's pages at /admin/", () => {
  let t: TestServer;
  let web: string;
  let admin: string;
  before(async () => {
    web = await mkdtemp(join(tmpdir(), "hato-web-"));
    admin = await mkdtemp(join(tmpdir(), "hato-admin-"));
    await writeFile(join(web, "index.html"), "<!doctype html><title>Hato</title>");
    await writeFile(join(admin, "index.html"), "<!doctype html><title>Hato admin</title>");
    await mkdir(join(admin, "assets"));
    await writeFile(join(admin, "assets", "index-1a2b.js"), "console.log('admin');\n");
    await writeFile(join(admin, ".env"), "SECRET=1\n");
    t = await startServer({ "web.root": web, "web.admin-root": admin });
  });
  after(async () => {
    await t?.stop();
    await rm(web, { recursive: true, force: true });
    await rm(admin, { recursive: true, force: true });
  });

  it("GET /admin/ is the console's index.html, never stored, with the strict headers", async () => {
    const r = await get(t.tlsPort, t.ca, "/admin/");
    assert.equal(r.status, 200);
    assert.match(r.body, /<title>Hato admin<\/title>/);
    assert.equal(r.headers["content-type"], "text/html; charset=utf-8");
    assert.equal(r.headers["cache-control"], "no-store");
    assertAdminHeaders(r, "index");
  });

  it("/admin redirects to /admin/", async () => {
    const r = await get(t.tlsPort, t.ca, "/admin");
    assert.equal(r.status, 308);
    assert.equal(r.headers.location, "/admin/");
    assert.equal(r.headers["x-frame-options"], "DENY");
  });

  it("hashed assets are cached for good, under the same headers", async () => {
    const r = await get(t.tlsPort, t.ca, "/admin/assets/index-1a2b.js");
    assert.equal(r.status, 200);
    assert.equal(r.headers["cache-control"], "public, max-age=31536000, immutable");
    assertAdminHeaders(r, "asset");
  });

  it("dotfiles, listings, traversal and the chat client's files are not served there", async () => {
    for (const path of ["/admin/.env", "/admin/assets/", "/admin/nothing.js"]) {
      const r = await get(t.tlsPort, t.ca, path);
      assert.equal(r.status, 404, path);
      assert.equal(JSON.parse(r.body).error, "not-found");
    }
    for (const path of ["/admin/../index.html", "/admin/%2e%2e/index.html"]) {
      const r = await get(t.tlsPort, t.ca, path);
      assert.equal(r.status, 400, path);
    }
  });

  it("the chat page's CSP connects only to the WebSocket, uploads and scans, not /admin/", async () => {
    const r = await get(t.tlsPort, t.ca, "/");
    const csp = r.headers["content-security-policy"]!;
    const connect = /connect-src ([^;]*)/.exec(csp)?.[1]?.split(" ");
    const host = `localhost:${t.tlsPort}`;
    assert.deepEqual(connect, [
      `wss://${host}/xmpp-websocket`,
      `https://${host}/upload/`,
      `https://${host}/scan/`,
    ]);
    assert.equal(r.headers["cross-origin-opener-policy"], "same-origin");
  });

  it("a Host header that could add CSP directives connects nowhere", async () => {
    // The server's own Host check refuses it first (400); the CSP builder checks it again.
    const r = await get(t.tlsPort, t.ca, "/", { host: "localhost;script-src *" });
    assert.equal(r.status, 400);
    const req = { headers: { host: "localhost; script-src *" } } as unknown as IncomingMessage;
    assert.match(chatPageCsp(req), /connect-src 'none'/);
    assert.doesNotMatch(chatPageCsp(req), /script-src \*/);
  });

  it("a web.admin-root that is not a folder stops the start with a clear error", async () => {
    await assert.rejects(
      startServer({ "web.admin-root": join(tmpdir(), "hato-no-such-admin-folder") }),
      /web\.admin-root: .* is not a folder/,
    );
  });
});
