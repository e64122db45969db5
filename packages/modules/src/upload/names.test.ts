// Unit tests of upload names and types: traversal, invisible characters, lengths, headers.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  contentDisposition,
  MAX_NAME_LENGTH,
  mediaType,
  sanitiseName,
  servedType,
  typeMatches,
} from "./names.js";

describe("sanitiseName", () => {
  it("keeps only the last path segment and never a dot-dot", () => {
    assert.equal(sanitiseName("../../etc/passwd"), "passwd");
    assert.equal(sanitiseName("..\\..\\windows\\win.ini"), "win.ini");
    assert.equal(sanitiseName("/abs/path/a.txt"), "a.txt");
    assert.equal(sanitiseName("dir/"), "file");
    assert.equal(sanitiseName(".."), "file");
    assert.equal(sanitiseName("..."), "file");
    assert.equal(sanitiseName("%2e%2e%2fetc%2fpasswd"), "___etc_passwd");
    assert.equal(sanitiseName("%2E%2E%5Cx"), "___x");
  });

  it("removes bidi controls, zero-width and control characters (CVE-2021-33896 class)", () => {
    assert.equal(sanitiseName("invoice\u202Efdp.exe"), "invoicefdp.exe");
    for (const c of [
      "\u202A",
      "\u202B",
      "\u202C",
      "\u202D",
      "\u2066",
      "\u2067",
      "\u2068",
      "\u2069",
      "\u200E",
      "\u200F",
      "\u200B",
      "\uFEFF",
    ])
      assert.equal(sanitiseName(`a${c}b.txt`), "ab.txt", JSON.stringify(c));
    assert.equal(sanitiseName("a\u0000b\r\n\tc.txt"), "abc.txt");
    assert.equal(sanitiseName("a\u0085b.txt"), "ab.txt");
  });

  it("no hidden files, no trailing dots or spaces, no reserved characters or device names", () => {
    assert.equal(sanitiseName(".bashrc"), "bashrc");
    assert.equal(sanitiseName(" . .profile"), "profile");
    assert.equal(sanitiseName("report.pdf. . "), "report.pdf");
    assert.equal(sanitiseName('a<b>c:d"e|f?g*h.txt'), "a_b_c_d_e_f_g_h.txt");
    assert.equal(sanitiseName("CON"), "_CON");
    assert.equal(sanitiseName("nul.txt"), "_nul.txt");
    assert.equal(sanitiseName("  many   spaces  .txt"), "many spaces .txt");
  });

  it("limits the length and keeps a short extension; never splits a surrogate pair", () => {
    const long = sanitiseName(`${"a".repeat(300)}.jpeg`);
    assert.equal(long.length, MAX_NAME_LENGTH);
    assert.ok(long.endsWith(".jpeg"));
    const emoji = sanitiseName("\u{1F600}".repeat(200));
    assert.ok(emoji.length <= MAX_NAME_LENGTH);
    assert.ok(!/[\ud800-\udbff]$/.test(emoji));
  });

  it("keeps ordinary Unicode names (NFC)", () => {
    assert.equal(sanitiseName("re\u0301sume\u0301 \u6771.pdf"), "r\u00e9sum\u00e9 \u6771.pdf");
  });
});

describe("download headers", () => {
  it("Content-Disposition: attachment with an ASCII fallback and the UTF-8 name", () => {
    assert.equal(
      contentDisposition("r\u00e9sum\u00e9 \u6771.pdf"),
      "attachment; filename=\"r_sum_ _.pdf\"; filename*=UTF-8''r%C3%A9sum%C3%A9%20%E6%9D%B1.pdf",
    );
    assert.equal(
      contentDisposition("50%.txt"),
      "attachment; filename=\"50_.txt\"; filename*=UTF-8''50%25.txt",
    );
    assert.equal(
      contentDisposition("it's (1).txt"),
      "attachment; filename=\"it's (1).txt\"; filename*=UTF-8''it%27s%20%281%29.txt",
    );
  });

  it("active types are served as application/octet-stream", () => {
    for (const t of [
      "text/html",
      "image/svg+xml",
      "application/xhtml+xml",
      "text/xml",
      "application/javascript",
      "application/pdf",
      "",
    ])
      assert.equal(servedType(t), "application/octet-stream", t);
    assert.equal(servedType("image/png"), "image/png");
    assert.equal(servedType("text/plain"), "text/plain; charset=utf-8");
  });

  it("media types: parameters dropped, case folded, junk refused; patterns with /*", () => {
    assert.equal(mediaType("Image/PNG; q=1"), "image/png");
    assert.equal(mediaType("not a type"), "");
    assert.equal(mediaType("a/b/c"), "");
    assert.equal(mediaType(undefined), "");
    assert.ok(typeMatches("image/png", ["image/*"]));
    assert.ok(!typeMatches("imagex/png", ["image/*"]));
    assert.ok(typeMatches("text/plain", ["application/pdf", "text/plain"]));
  });
});
