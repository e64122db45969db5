// HTTPS on the one TLS port: security headers on every answer, XEP-0156 host-meta, health,
// the static web client (no traversal, no listing), limits with JSON errors, module routes.

import assert from "node:assert/strict";
import { once } from "node:events";
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { connect } from "node:tls";
import { type HatoModule, SECURITY_HEADERS, sendJson } from "@hato/core";
import { parseElement } from "@hato/xml";
import { get, type RawResponse } from "../support/https.js";
import { startServer, type TestServer } from "../support/inproc.js";

/**
 * Every security header, exactly as the server's single table has it, but for `changed` (the
 * chat page's narrowed CSP, the admin console's opener policy).
 */
function assertSecure(r: RawResponse, what: string, changed: Record<string, string> = {}): void {
  for (const [name, value] of Object.entries({ ...SECURITY_HEADERS, ...changed }))
    assert.equal(r.headers[name.toLowerCase()], value, `${what}: ${name}`);
  assert.match(
    r.headers["content-security-policy"]!,
    /require-trusted-types-for 'script'/,
    `${what}: Trusted Types required`,
  );
}

/** A JSON error body: `{"error": code, "reason": text}`. */
function assertJsonError(r: RawResponse, status: number, code: string): void {
  assert.equal(r.status, status, r.body);
  assert.equal(r.headers["content-type"], "application/json; charset=utf-8");
  const body = JSON.parse(r.body);
  assert.equal(body.error, code);
  assert.equal(typeof body.reason, "string");
  assert.ok(body.reason.length > 0);
}

/** The chat page's CSP as the server should write it for Host localhost:PORT. */
function chatCsp(port: number): string {
  const host = `localhost:${port}`;
  return SECURITY_HEADERS["Content-Security-Policy"]!.replace(
    "connect-src 'self'",
    `connect-src wss://${host}/xmpp-websocket https://${host}/upload/ https://${host}/scan/`,
  );
}

/** The chat page's own headers: its CSP, and the camera for the page itself (scanning QR codes). */
const chatPage = (port: number) => ({
  "Content-Security-Policy": chatCsp(port),
  "Permissions-Policy": "camera=(self), microphone=(), geolocation=()",
});

const echoModule: HatoModule = {
  name: "echo-test",
  load(api) {
    api.handleHttp("/echo-test/", (_req, res, path) => sendJson(res, 200, { path }));
  },
};

describe("HTTPS on the one port", () => {
  let t: TestServer;
  let root: string;
  let outside: string;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), "hato-web-"));
    outside = await mkdtemp(join(tmpdir(), "hato-outside-"));
    await writeFile(
      join(root, "index.html"),
      "<!doctype html><title>Hato</title><script src='/assets/app-1a2b.js'></script>",
    );
    await mkdir(join(root, "assets"));
    await writeFile(join(root, "assets", "app-1a2b.js"), "console.log('hato');\n");
    await writeFile(join(root, "assets", "style-9f8e.css"), "body{}\n");
    await writeFile(join(root, ".env"), "SECRET=1\n");
    await writeFile(join(outside, "secret.txt"), "top secret\n");
    await symlink(join(outside, "secret.txt"), join(root, "escape.txt"));
    await symlink(outside, join(root, "escape-dir"));
    t = await startServer({ "web.root": root }, undefined, [echoModule]);
  });
  after(async () => {
    await t.stop();
    await rm(root, { recursive: true, force: true });
    await rm(outside, { recursive: true, force: true });
  });

  it("GET / serves index.html with no-cache, a charset, validators and every security header", async () => {
    const r = await get(t.tlsPort, t.ca, "/");
    assert.equal(r.status, 200);
    assertSecure(r, "200", chatPage(t.tlsPort));
    assert.equal(r.headers["content-type"], "text/html; charset=utf-8");
    assert.equal(r.headers["cache-control"], "no-cache");
    assert.match(r.body, /<title>Hato<\/title>/);
    assert.ok(r.headers.etag);
    assert.ok(r.headers["last-modified"]);
    // the same resource again with its ETag: 304, still with the headers
    const again = await get(t.tlsPort, t.ca, "/index.html", {
      headers: [`If-None-Match: ${r.headers.etag}`],
    });
    assert.equal(again.status, 304);
    assert.equal(again.body, "");
    assertSecure(again, "304", chatPage(t.tlsPort));
  });

  it("hashed /assets/ files are cached for good, with the right types", async () => {
    const js = await get(t.tlsPort, t.ca, "/assets/app-1a2b.js");
    assert.equal(js.status, 200);
    assert.equal(js.headers["content-type"], "text/javascript; charset=utf-8");
    assert.equal(js.headers["cache-control"], "public, max-age=31536000, immutable");
    assertSecure(js, "asset");
    const css = await get(t.tlsPort, t.ca, "/assets/style-9f8e.css");
    assert.equal(css.headers["content-type"], "text/css; charset=utf-8");
  });

  it("HEAD answers the headers of GET without a body", async () => {
    const r = await get(t.tlsPort, t.ca, "/assets/app-1a2b.js", { method: "HEAD" });
    assert.equal(r.status, 200);
    assert.equal(r.body, "");
    assert.equal(r.headers["content-length"], String("console.log('hato');\n".length));
    assertSecure(r, "HEAD");
    const health = await get(t.tlsPort, t.ca, "/health", { method: "HEAD" });
    assert.equal(health.status, 200);
    assert.equal(health.body, "");
  });

  it("GET /health answers {status: ok}", async () => {
    const r = await get(t.tlsPort, t.ca, "/health");
    assert.equal(r.status, 200);
    assert.deepEqual(JSON.parse(r.body), { status: "ok" });
    assertSecure(r, "health");
  });

  it("host-meta (XRD, XEP-0156) advertises the WebSocket of this host, readable cross-origin", async () => {
    const r = await get(t.tlsPort, t.ca, "/.well-known/host-meta");
    assert.equal(r.status, 200);
    assertSecure(r, "host-meta");
    assert.equal(r.headers["access-control-allow-origin"], "*");
    assert.equal(r.headers["content-type"], "application/xrd+xml; charset=utf-8");
    const xrd = parseElement(r.body.replace(/^<\?xml[^>]*\?>/, ""));
    assert.equal(xrd.name, "XRD");
    assert.equal(xrd.xmlns, "http://docs.oasis-open.org/ns/xri/xrd-1.0");
    const link = xrd.getChild("Link")!;
    assert.equal(link.attr("rel"), "urn:xmpp:alt-connections:websocket");
    assert.equal(link.attr("href"), `wss://localhost:${t.tlsPort}/xmpp-websocket`);
  });

  it("host-meta.json (JRD) says the same", async () => {
    const r = await get(t.tlsPort, t.ca, "/.well-known/host-meta.json", {
      host: "Chat.Example.org",
    });
    assert.equal(r.status, 200);
    assertSecure(r, "host-meta.json");
    assert.equal(r.headers["access-control-allow-origin"], "*");
    assert.deepEqual(JSON.parse(r.body), {
      links: [
        {
          rel: "urn:xmpp:alt-connections:websocket",
          href: "wss://chat.example.org/xmpp-websocket",
        },
      ],
    });
    const v6 = await get(t.tlsPort, t.ca, "/.well-known/host-meta.json", { host: "[::1]:8443" });
    assert.equal(JSON.parse(v6.body).links[0].href, "wss://[::1]:8443/xmpp-websocket");
  });

  it("unknown paths get 404 JSON with the headers, and no CORS", async () => {
    const r = await get(t.tlsPort, t.ca, "/no/such/page");
    assertJsonError(r, 404, "not-found");
    assertSecure(r, "404");
    assert.equal(r.headers["access-control-allow-origin"], undefined, "CORS on host-meta only");
  });

  it("Host headers are checked strictly: missing, user info, spaces, bad ports, two hosts → 400 JSON", async () => {
    for (const host of [
      null,
      "user@localhost",
      "local host",
      "localhost:99999",
      "localhost:80:80",
      "a..b",
      "[zz::1]",
      "-bad.example",
    ]) {
      const r = await get(t.tlsPort, t.ca, "/.well-known/host-meta", { host });
      assertJsonError(r, 400, "bad-host");
      assertSecure(r, `Host ${host}`);
    }
  });

  it("path traversal in every spelling is refused with 400 JSON; symlinks and dotfiles with 404", async () => {
    for (const path of [
      "/../../etc/passwd",
      "/assets/../../etc/passwd",
      "/%2e%2e/%2e%2e/etc/passwd",
      "/assets/%2E%2E/%2e%2e/secret",
      "/assets/..%2f..%2fsecret",
      "/index.html%00.js",
      "/..\\..\\etc\\passwd",
      "/assets\\..\\..\\x",
      "/%5c..%5c..%5cx",
      "/%zz",
      "http://localhost/index.html",
      "//evil.example/x",
    ]) {
      const r = await get(t.tlsPort, t.ca, path);
      assertJsonError(r, 400, "bad-path");
      assertSecure(r, path);
    }
    for (const path of ["/escape.txt", "/escape-dir/secret.txt", "/.env", "/assets/.hidden"]) {
      const r = await get(t.tlsPort, t.ca, path);
      assertJsonError(r, 404, "not-found");
      assert.doesNotMatch(r.body, /top secret|SECRET=1/);
    }
  });

  it("no directory listings", async () => {
    for (const path of ["/assets/", "/assets", "/escape-dir/"]) {
      const r = await get(t.tlsPort, t.ca, path);
      assertJsonError(r, 404, "not-found");
      assertSecure(r, path);
    }
  });

  it("other methods get 405 JSON with Allow", async () => {
    for (const path of ["/health", "/.well-known/host-meta", "/", "/assets/app-1a2b.js"]) {
      const r = await get(t.tlsPort, t.ca, path, {
        method: "POST",
        headers: ["Content-Length: 0"],
      });
      assertJsonError(r, 405, "method-not-allowed");
      assert.equal(r.headers.allow, "GET, HEAD");
      assertSecure(r, `POST ${path}`);
    }
  });

  it("a body over http.max-body-bytes gets 413 JSON", async () => {
    const r = await get(t.tlsPort, t.ca, "/health", {
      method: "POST",
      headers: [`Content-Length: ${t.config.http.maxBodyBytes + 1}`],
    });
    assertJsonError(r, 413, "body-too-large");
    assertSecure(r, "413");
  });

  it("headers over http.max-header-bytes get 431 JSON", async () => {
    const r = await get(t.tlsPort, t.ca, "/health", {
      headers: [`X-Filler: ${"a".repeat(t.config.http.maxHeaderBytes + 10)}`],
    });
    assertJsonError(r, 431, "headers-too-large");
    assertSecure(r, "431");
  });

  it("malformed HTTP gets 400 JSON with the headers", async () => {
    const r = await get(t.tlsPort, t.ca, "/health", { headers: ["Bad Header Line"] });
    assertJsonError(r, 400, "bad-request");
    assertSecure(r, "malformed");
  });

  it("without ALPN the first byte decides: HTTP still works", async () => {
    const r = await get(t.tlsPort, t.ca, "/health", { alpn: [] });
    assert.equal(r.status, 200);
    assert.deepEqual(JSON.parse(r.body), { status: "ok" });
  });

  it("modules add routes with api.handleHttp, under the same headers and checks", async () => {
    const r = await get(t.tlsPort, t.ca, "/echo-test/a%20b");
    assert.equal(r.status, 200);
    assert.deepEqual(JSON.parse(r.body), { path: "/echo-test/a b" });
    assertSecure(r, "module route");
  });
});

describe("HTTPS limits in time and rate", () => {
  let t: TestServer;
  before(async () => {
    t = await startServer({
      "http.requests-per-minute": "3",
      "http.header-seconds": "1",
      "http.public-host": "chat.example.org",
      "limits.tls-handshake-seconds": "1",
    });
  });
  after(() => t.stop());

  it("http.public-host is what host-meta advertises", async () => {
    const r = await get(t.tlsPort, t.ca, "/.well-known/host-meta.json");
    assert.equal(JSON.parse(r.body).links[0].href, "wss://chat.example.org/xmpp-websocket");
  });

  it("more than http.requests-per-minute from one address gets 429 JSON with Retry-After", async () => {
    // the host-meta request above was the first of three
    assert.equal((await get(t.tlsPort, t.ca, "/health")).status, 200);
    assert.equal((await get(t.tlsPort, t.ca, "/health")).status, 200);
    const r = await get(t.tlsPort, t.ca, "/health");
    assertJsonError(r, 429, "rate-limited");
    assertSecure(r, "429");
    const retry = Number(r.headers["retry-after"]);
    assert.ok(Number.isInteger(retry) && retry >= 1 && retry <= 60, r.headers["retry-after"]);
  });

  it("a client without ALPN that never sends its first byte is dropped at the handshake deadline", async () => {
    const socket = connect({
      host: "127.0.0.1",
      port: t.tlsPort,
      ca: t.ca,
      servername: "localhost",
    });
    socket.on("error", () => {});
    await once(socket, "secureConnect");
    assert.equal(socket.alpnProtocol, false);
    let data = "";
    socket.on("data", (d: Buffer) => {
      data += d.toString();
    });
    await once(socket, "close");
    assert.equal(data, "", "neither XMPP nor HTTP answered: the protocol was never known");
  });

  it("headers that do not arrive within http.header-seconds get 408 JSON", async () => {
    const socket = connect({
      host: "127.0.0.1",
      port: t.tlsPort,
      ca: t.ca,
      servername: "localhost",
      ALPNProtocols: ["http/1.1"],
    });
    await once(socket, "secureConnect");
    let text = "";
    socket.on("data", (d: Buffer) => {
      text += d.toString();
    });
    socket.write("GET /health HTTP/1.1\r\nHost: localhost\r\n"); // never finished
    await once(socket, "close");
    assert.match(text, /^HTTP\/1\.1 408 /);
    assert.match(text, /Strict-Transport-Security: max-age=63072000; includeSubDomains/);
    assert.match(text, /"error":"timeout"/);
  });
});

describe("HTTPS connections per address", () => {
  let t: TestServer;
  before(async () => {
    t = await startServer({ "http.connections-per-address": "2" });
  });
  after(() => t.stop());

  it("connections beyond http.connections-per-address are closed at once; freed slots are reused", async () => {
    const open = async () => {
      const s = connect({
        host: "127.0.0.1",
        port: t.tlsPort,
        ca: t.ca,
        servername: "localhost",
        ALPNProtocols: ["http/1.1"],
      });
      s.on("error", () => {});
      await once(s, "secureConnect");
      return s;
    };
    const held = [await open(), await open()];
    const third = await open();
    let data = "";
    third.on("data", (d: Buffer) => {
      data += d.toString();
    });
    third.write("GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n");
    await once(third, "close");
    assert.equal(data, "", "no answer on a connection over the cap");
    for (const s of held) s.destroy();
    await Promise.all(held.map((s) => once(s, "close")));
    // the server notices the closes; a new connection is served again
    for (let i = 0; ; i++) {
      const r = await get(t.tlsPort, t.ca, "/health").catch(() => undefined);
      if (r?.status === 200) break;
      if (i > 100) assert.fail("a freed connection slot was never reused");
      await new Promise((r) => setTimeout(r, 20));
    }
  });

  it("a web.root that is not a folder stops the start with a clear error", async () => {
    await assert.rejects(
      startServer({ "web.root": join(tmpdir(), "hato-no-such-folder-here") }),
      /web\.root: .* is not a folder/,
    );
  });
});
