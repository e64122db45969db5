import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseDenyList } from "./builtin.js";
import { gunzippedName } from "./inspect.js";
import { EICAR, EICAR_SHA256, isEicar, sniff } from "./magic.js";
import { checkName, effectiveName, extensionOf, printable } from "./names.js";

describe("EICAR test file, as strict as its specification", () => {
  const pad = (s: string) => Buffer.concat([EICAR, Buffer.from(s, "latin1")]);
  it("the 68 bytes alone, or followed by space, tab, CR, LF, Ctrl-Z up to 128 bytes", () => {
    assert.equal(EICAR.length, 68);
    assert.equal(EICAR_SHA256, "275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f");
    assert.ok(isEicar(EICAR, 68));
    const ws = pad(" \t\r\n\x1a".repeat(12));
    assert.ok(isEicar(ws, ws.length));
    const max = pad(" ".repeat(60));
    assert.equal(max.length, 128);
    assert.ok(isEicar(max, 128));
  });
  it("not with other trailing bytes, not past 128 bytes, not after a prefix", () => {
    const more = pad(" ".repeat(61));
    assert.ok(!isEicar(more, more.length));
    const text = pad(" x");
    assert.ok(!isEicar(text, text.length));
    const prefixed = Buffer.concat([Buffer.from(" "), EICAR]);
    assert.ok(!isEicar(prefixed, prefixed.length));
    assert.ok(!isEicar(EICAR.subarray(0, 67), 67));
  });
});

describe("magic bytes", () => {
  const kind = (bytes: number[] | string) =>
    sniff(typeof bytes === "string" ? Buffer.from(bytes, "latin1") : Buffer.from(bytes), "x");
  const sig = (bytes: number[] | string) => {
    const k = kind(bytes);
    return k.kind === "finding" ? k.finding.signature : k.kind;
  };
  it("programs and scripts", () => {
    assert.equal(sig("MZ\x90\0"), "Hato.Executable.PE");
    assert.equal(sig([0x7f, 0x45, 0x4c, 0x46]), "Hato.Executable.ELF");
    for (const m of [
      [0xfe, 0xed, 0xfa, 0xce],
      [0xfe, 0xed, 0xfa, 0xcf],
      [0xce, 0xfa, 0xed, 0xfe],
      [0xcf, 0xfa, 0xed, 0xfe],
      [0xca, 0xfe, 0xba, 0xbf, 0, 0, 0, 1],
    ]) {
      assert.equal(sig(m), "Hato.Executable.MachO", String(m));
    }
    assert.equal(sig("#!/bin/sh"), "Hato.Script.Shebang");
    assert.equal(sig("dex\n035\0"), "Hato.Executable.Dex");
    assert.equal(sig([0x4c, 0, 0, 0, 1, 0x14, 2, 0]), "Hato.Executable.Lnk");
  });
  it("CAFEBABE: a universal Mach-O binary (architecture count) or a Java class (version)", () => {
    assert.equal(sig([0xca, 0xfe, 0xba, 0xbe, 0, 0, 0, 2]), "Hato.Executable.MachO");
    assert.equal(sig([0xca, 0xfe, 0xba, 0xbe, 0, 0, 0, 45]), "Hato.Executable.Java");
    assert.equal(sig([0xca, 0xfe, 0xba, 0xbe, 0, 3, 0, 65]), "Hato.Executable.Java");
  });
  it("containers, and archives the built-in engine cannot open", () => {
    assert.deepEqual(kind("PK\x03\x04"), { kind: "container", container: "zip" });
    assert.deepEqual(kind([0x1f, 0x8b, 8]), { kind: "container", container: "gzip" });
    const tar = Buffer.alloc(512);
    tar.write("ustar", 257);
    assert.deepEqual(sniff(tar, "x"), { kind: "container", container: "tar" });
    assert.deepEqual(kind("Rar!\x1a\x07\0"), { kind: "opaque", format: "RAR" });
    assert.deepEqual(kind("BZh91AY"), { kind: "opaque", format: "bzip2" });
    assert.equal(kind([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]).kind, "ole");
  });
  it("ordinary files are data", () => {
    for (const s of ["%PDF-1.7", "\x89PNG\r\n\x1a\n", "\xff\xd8\xff\xe0", "hello", "", "M", "#"]) {
      assert.equal(kind(s).kind, "data", JSON.stringify(s));
    }
  });
});

describe("names", () => {
  it("the name Windows would act on", () => {
    assert.equal(effectiveName("a/b\\invoice\u202efdp.exe"), "invoicefdp.exe");
    assert.equal(effectiveName("setup.exe. . "), "setup.exe");
    assert.equal(extensionOf("Setup.EXE"), "exe");
    assert.equal(extensionOf(".bashrc"), "bashrc");
    assert.equal(checkName(".bashrc", "f"), null);
    assert.equal(checkName(".exe", "f")?.signature, "Hato.Extension.exe");
    assert.equal(checkName("a\u00adb.ex\u00ade", "f")?.signature, "Hato.Name.HiddenExtension");
    assert.equal(extensionOf("README"), "");
  });
  it("kinds of finding", () => {
    assert.equal(checkName("notes.txt", "f"), null);
    assert.equal(checkName("x.tar.gz", "f"), null);
    assert.equal(checkName("setup.exe", "f")?.signature, "Hato.Extension.exe");
    assert.equal(checkName("photo.jpg.scr", "f")?.signature, "Hato.Name.DoubleExtension");
    assert.equal(
      checkName("photo\u2066.jpg\u2069.scr", "f")?.signature,
      "Hato.Name.HiddenExtension",
    );
    assert.equal(checkName("run.bat ", "f")?.signature, "Hato.Name.HiddenExtension");
    assert.equal(
      checkName("budget.xlsm", "f")?.reason,
      "f is a document with macros — documents with macros cannot be shared",
    );
  });
  it("names quoted in reasons show no controls and stay short", () => {
    assert.equal(printable("a\u202eb\u0007c"), "a?b?c");
    assert.ok(printable("x".repeat(1000)).length <= 120);
  });
  it("gzip member names", () => {
    assert.equal(gunzippedName("a.tar.gz"), "a.tar");
    assert.equal(gunzippedName("a.TGZ"), "a.tar");
    assert.equal(gunzippedName("d/a.svgz"), "a.svg");
    assert.equal(gunzippedName("a.txt.gz"), "a.txt");
    assert.equal(gunzippedName("a"), "a");
  });
});

describe("deny-list files", () => {
  it("hashes, sha256sum lines, comments and blank lines", () => {
    const a = "A".repeat(64);
    const set = parseDenyList(
      `# comment\n${a}\n\n${"b".repeat(64)}  evil.exe\n  ${"c".repeat(64)} # why\n`,
    );
    assert.deepEqual([...set], ["a".repeat(64), "b".repeat(64), "c".repeat(64)]);
  });
  it("a line that is not a hash is an error naming the line", () => {
    assert.throws(() => parseDenyList("\n1234\n", "deny.txt"), /deny\.txt, line 2/);
  });
});
