import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { checkedPath, HttpRouter } from "./router.js";
import { originAllowed } from "./websocket.js";

describe("HTTP paths, routes and origins", () => {
  it("decodes clean paths and refuses every traversal spelling", () => {
    assert.equal(checkedPath("/"), "/");
    assert.equal(checkedPath("/assets/app-1.js?v=2#x"), "/assets/app-1.js");
    assert.equal(checkedPath("/a%20b"), "/a b");
    for (const bad of [
      undefined,
      "",
      "*",
      "index.html",
      "http://example.org/",
      "//example.org/",
      "/..",
      "/a/../b",
      "/./a",
      "/%2e%2e/x",
      "/%2E/x",
      "/a%2f..%2fb",
      "/a%00b",
      "/a\\b",
      "/a%5cb",
      "/%",
      "/%e0%a4",
      "/a\r\nb",
    ]) {
      assert.equal(checkedPath(bad), undefined, String(bad));
    }
  });

  it("matches exact paths and folder prefixes, longest first; refuses duplicates and dirty prefixes", () => {
    const r = new HttpRouter();
    const h = () => {};
    r.add("a", "/", h);
    r.add("b", "/assets/", h);
    r.add("c", "/health", h);
    assert.equal(r.match("/assets/x.js")?.owner, "b");
    assert.equal(r.match("/health")?.owner, "c");
    assert.equal(r.match("/health/x")?.owner, "a");
    assert.equal(r.match("/index.html")?.owner, "a");
    assert.throws(() => r.add("d", "/health", h), /exists already/);
    assert.throws(() => r.add("d", "/x/../y", h), /not a clean absolute path/);
    assert.throws(() => r.add("d", "relative", h), /not a clean absolute path/);
    const remove = r.add("e", "/upload/", h);
    assert.equal(r.match("/upload/f")?.owner, "e");
    remove();
    assert.equal(r.match("/upload/f")?.owner, "a");
  });

  it("allows a WebSocket from no origin, its own origin or a listed one", () => {
    assert.ok(originAllowed(undefined, "chat.example.org", []));
    assert.ok(originAllowed("https://chat.example.org", "chat.example.org", []));
    assert.ok(originAllowed("https://chat.example.org", "chat.example.org:443", []));
    assert.ok(originAllowed("https://chat.example.org:5223", "chat.example.org:5223", []));
    assert.ok(originAllowed("https://app.example", "chat.example.org", ["https://app.example"]));
    assert.ok(!originAllowed("http://chat.example.org", "chat.example.org", []));
    assert.ok(!originAllowed("https://chat.example.org.evil", "chat.example.org", []));
    assert.ok(!originAllowed("null", "chat.example.org", []));
    assert.ok(!originAllowed("https://chat.example.org:5223", "chat.example.org", []));
  });
});
