// What a shared file may become in the web client: only PNG, JPEG, GIF and WebP recognised by
// their bytes are previewed, only from this server's upload service; names are shown safely.

import assert from "node:assert/strict";
import { test } from "node:test";
import {
  displayName,
  formatSize,
  isOwnUpload,
  mayPreview,
  sniffImage,
} from "@hato/web/files/kind.js";

const bytes = (...parts: (number[] | string)[]) =>
  Uint8Array.from(parts.flatMap((p) => (typeof p === "string" ? [...Buffer.from(p)] : p)));

test("the four image types are recognised by their first bytes", () => {
  assert.equal(sniffImage(bytes([0x89], "PNG\r\n\x1a\n", [0, 0])), "image/png");
  assert.equal(sniffImage(bytes([0xff, 0xd8, 0xff, 0xe0])), "image/jpeg");
  assert.equal(sniffImage(bytes("GIF89a")), "image/gif");
  assert.equal(sniffImage(bytes("GIF87a")), "image/gif");
  assert.equal(sniffImage(bytes("RIFF", [1, 2, 3, 4], "WEBPVP8 ")), "image/webp");
});

test("SVG, HTML, executables, a WAVE file and empty input are never images", () => {
  for (const b of [
    bytes("<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>"),
    bytes("<?xml version='1.0'?><svg/>"),
    bytes("<!doctype html><script>alert(1)</script>"),
    bytes("MZ\x90\x00"),
    bytes("RIFF", [1, 2, 3, 4], "WAVEfmt "),
    bytes("GIF89"),
    bytes(),
  ])
    assert.equal(sniffImage(b), undefined);
});

test("a preview is tried only for the four image types (by type, else by extension)", () => {
  assert.equal(mayPreview("a.png", "image/png"), true);
  assert.equal(mayPreview("a.JPG", undefined), true);
  assert.equal(mayPreview("a.webp", ""), true);
  assert.equal(mayPreview("a.svg", "image/svg+xml"), false);
  assert.equal(mayPreview("a.svg", undefined), false);
  assert.equal(mayPreview("a.html", "text/html"), false);
  assert.equal(mayPreview("a.png", "text/html"), false, "a type that is not an image wins");
  assert.equal(mayPreview("a.png.html", undefined), false);
});

test("only https URLs of this origin's /upload/ are fetched by the client", () => {
  const origin = "https://chat.example.org";
  assert.equal(isOwnUpload("https://chat.example.org/upload/s/k/a.png", origin), true);
  assert.equal(isOwnUpload("https://other.example.org/upload/s/k/a.png", origin), false);
  assert.equal(isOwnUpload("https://chat.example.org:8443/upload/s/k/a.png", origin), false);
  assert.equal(isOwnUpload("https://chat.example.org/avatars/a.png", origin), false);
  assert.equal(isOwnUpload("https://chat.example.org/upload/../xmpp-websocket", origin), false);
  assert.equal(isOwnUpload("not a url", origin), false);
});

test("names lose control and bidi characters; sizes read as people write them", () => {
  assert.equal(displayName("invoice\u202Egnp.exe"), "invoicegnp.exe");
  assert.equal(displayName("a\nb\u0000c"), "abc");
  assert.equal(displayName(""), "file");
  assert.ok(displayName("x".repeat(500)).length < 120);
  assert.equal(formatSize(512), "512 bytes");
  assert.equal(formatSize(2048), "2.0 KB");
  assert.equal(formatSize(5 * 1024 * 1024), "5.0 MB");
  assert.equal(formatSize(300 * 1024 * 1024), "300 MB");
});
