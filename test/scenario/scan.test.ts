// The built-in scanning engine: each rule catches its case, clean files of common types pass,
// and archives that cannot be scanned in full (bombs, encrypted, damaged) are refused.

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { gzipSync } from "node:zlib";
import { type Config, createLogger } from "@hato/core";
import {
  createBuiltinScanner,
  createScanner,
  EICAR,
  ScannerUnavailable,
  type Verdict,
} from "@hato/modules";
import { buildTar, buildZip } from "../support/zip.js";

const dir = mkdtempSync(join(tmpdir(), "hato-scan-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const MiB = 1024 * 1024;
const settings = (over: Partial<Config["scan"]> = {}): Pick<Config, "scan"> => ({
  scan: {
    engine: "builtin",
    clamdAddress: "tcp://127.0.0.1:3310",
    timeoutSeconds: 60,
    denyList: "",
    archiveMaxEntries: 100,
    archiveMaxDepth: 3,
    whenDown: "refuse",
    archiveMaxRatio: 100,
    archiveMaxExpandedBytes: 64 * MiB,
    ...over,
  },
});
const log = createLogger("error");
const scanner = createScanner(settings(), log);

let n = 0;
async function scan(name: string, data: Uint8Array | string, s = scanner): Promise<Verdict> {
  const path = join(dir, `f${n++}`);
  const bytes = Buffer.from(data);
  writeFileSync(path, bytes);
  return s.scan({ path, name, type: "application/octet-stream", size: bytes.length });
}
const clean = (v: Verdict) => assert.equal(v.status, "clean", JSON.stringify(v));
function infected(v: Verdict, signature: RegExp, reason?: RegExp) {
  assert.equal(v.status, "infected", JSON.stringify(v));
  if (v.status !== "infected") return;
  assert.match(v.signature, signature);
  if (reason) assert.match(v.reason, reason);
}
function refused(v: Verdict, reason: RegExp) {
  assert.equal(v.status, "refused", JSON.stringify(v));
  if (v.status === "refused") assert.match(v.reason, reason);
}

const PNG = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  Buffer.from("0000000dIHDR", "latin1"),
  Buffer.alloc(600, 7),
]);
const JPEG = Buffer.concat([
  Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 16]),
  Buffer.from("JFIF\0"),
  Buffer.alloc(900, 3),
]);
const PDF = "%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";
const DOCX = buildZip([
  { name: "[Content_Types].xml", data: '<?xml version="1.0"?><Types/>' },
  { name: "_rels/.rels", data: '<?xml version="1.0"?><Relationships/>' },
  {
    name: "word/document.xml",
    data: `<?xml version="1.0"?><w:document>${"<w:p/>".repeat(500)}</w:document>`,
  },
]);
const OLE = Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]);
const ole = (withMacros: boolean) =>
  Buffer.concat([
    OLE,
    Buffer.alloc(3000),
    Buffer.from(withMacros ? "_VBA_PROJECT" : "WordDocument", "utf16le"),
    Buffer.alloc(1000),
  ]);
const MZ = Buffer.concat([Buffer.from("MZ\x90\0", "latin1"), Buffer.alloc(1000)]);

describe("built-in engine: clean files of common types pass", () => {
  it("text, PNG, JPEG, PDF", async () => {
    clean(await scan("notes.txt", "Meeting at 10.\nBring the report.\n"));
    clean(await scan("photo.png", PNG));
    clean(await scan("photo.jpg", JPEG));
    clean(await scan("report.pdf", PDF));
    clean(await scan("empty.txt", ""));
  });
  it("a .docx (a zip of XML parts), a zip of text files, a .tar.gz, a .gz", async () => {
    clean(await scan("letter.docx", DOCX));
    clean(
      await scan(
        "texts.zip",
        buildZip([
          { name: "a.txt", data: "alpha" },
          { name: "dir/", data: "" },
          { name: "dir/b.txt", data: "beta".repeat(1000), method: 0 },
        ]),
      ),
    );
    clean(
      await scan(
        "texts.tar.gz",
        gzipSync(
          buildTar([
            { name: "a.txt", data: "alpha" },
            { name: "b.csv", data: "1,2\n" },
          ]),
        ),
      ),
    );
    clean(await scan("log.txt.gz", gzipSync("line\n".repeat(1000))));
  });
  it("an Office document without macros (OLE compound file)", async () => {
    clean(await scan("old.doc", ole(false)));
  });
  it("text that merely contains the EICAR string after other bytes (the EICAR spec is strict)", async () => {
    clean(await scan("quote.txt", Buffer.concat([Buffer.from("see: "), EICAR])));
    clean(await scan("eicar-plus.txt", Buffer.concat([EICAR, Buffer.from("and more text")])));
  });
});

describe("built-in engine: the EICAR test file and the deny-list", () => {
  it("the EICAR file, also with trailing whitespace, also inside a zip", async () => {
    infected(await scan("eicar.com.txt", EICAR), /EICAR/, /EICAR anti-virus test file/);
    infected(await scan("eicar.txt", Buffer.concat([EICAR, Buffer.from(" \t\r\n\x1a")])), /EICAR/);
    infected(
      await scan("test.zip", buildZip([{ name: "eicar.txt", data: EICAR }])),
      /EICAR/,
      /test\.zip → eicar\.txt/,
    );
    infected(await scan("test.txt.gz", gzipSync(EICAR)), /EICAR/);
  });
  it("a file whose SHA-256 is on the deny-list, alone or in an archive", async () => {
    const bad = Buffer.from("a harmful file that only its hash identifies");
    const list = join(dir, "deny.txt");
    const hash = createHash("sha256").update(bad).digest("hex");
    writeFileSync(list, `# known bad\n${hash}  bad.bin\n\n${"0".repeat(64)}\n`);
    const s = createScanner(settings({ denyList: list }), log);
    infected(await scan("bad.txt", bad, s), /Hato\.DenyList/, /known harmful/);
    infected(await scan("bad.zip", buildZip([{ name: "x.txt", data: bad }]), s), /Hato\.DenyList/);
    clean(await scan("good.txt", "good", s));
  });
  it("a deny-list with a line that is not a hash stops the start", () => {
    const list = join(dir, "deny-bad.txt");
    writeFileSync(list, "not-a-hash\n");
    assert.throws(() => createScanner(settings({ denyList: list }), log), /line 1/);
  });
  it("a deny-list that does not exist stops the start too", () => {
    assert.throws(
      () => createScanner(settings({ denyList: join(dir, "nowhere.txt") }), log),
      /scan\.deny-list: no such file/,
    );
  });
});

describe("built-in engine: programs and scripts by content", () => {
  const cases: [string, Buffer, RegExp, RegExp][] = [
    ["Windows (MZ)", MZ, /PE/, /Windows program/],
    [
      "Linux (ELF)",
      Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]), Buffer.alloc(600)]),
      /ELF/,
      /Linux program/,
    ],
    [
      "Mach-O 64",
      Buffer.concat([Buffer.from([0xcf, 0xfa, 0xed, 0xfe]), Buffer.alloc(600)]),
      /MachO/,
      /macOS/,
    ],
    [
      "Mach-O 32 big-endian",
      Buffer.concat([Buffer.from([0xfe, 0xed, 0xfa, 0xce]), Buffer.alloc(600)]),
      /MachO/,
      /macOS/,
    ],
    [
      "Mach-O universal (CAFEBABE, 2 architectures)",
      Buffer.concat([Buffer.from([0xca, 0xfe, 0xba, 0xbe, 0, 0, 0, 2]), Buffer.alloc(600)]),
      /MachO/,
      /macOS/,
    ],
    [
      "Java class (CAFEBABE, version 52)",
      Buffer.concat([Buffer.from([0xca, 0xfe, 0xba, 0xbe, 0, 0, 0, 52]), Buffer.alloc(600)]),
      /Java/,
      /Java program/,
    ],
    ["shell script (#!)", Buffer.from("#!/bin/sh\nrm -rf ~\n"), /Shebang/, /script/],
  ];
  for (const [what, bytes, sig, reason] of cases) {
    it(`${what} named as a document is caught`, async () => {
      infected(await scan("report.pdf", bytes), sig, reason);
    });
  }
  it("a program inside a zip inside a zip, with the path in the reason", async () => {
    const inner = buildZip([{ name: "tools/run.dat", data: MZ }]);
    const v = await scan(
      "outer.zip",
      buildZip([
        { name: "readme.txt", data: "hi" },
        { name: "inner.zip", data: inner },
      ]),
    );
    infected(v, /PE/, /outer\.zip → inner\.zip → tools\/run\.dat/);
  });
  it("a program in a zip in a gzip, and in a tar member with a long (GNU) name", async () => {
    infected(
      await scan("bundle.zip.gz", gzipSync(buildZip([{ name: "x/run.dat", data: MZ }]))),
      /PE/,
      /bundle\.zip\.gz → bundle\.zip → x\/run\.dat/,
    );
    const long = `${"d/".repeat(60)}setup.exe`;
    const header = Buffer.from(long + "\0");
    const tar = buildTar([{ name: "././@LongLink", data: header }]);
    tar[156] = "L".charCodeAt(0);
    // Fix the checksum after changing the type flag.
    tar.write("        ", 148);
    let sum = 0;
    for (const b of tar.subarray(0, 512)) sum += b;
    tar.write(sum.toString(8).padStart(6, "0") + "\0 ", 148);
    const rest = buildTar([{ name: "short-name", data: "plain" }]);
    infected(
      await scan("long.tar", Buffer.concat([tar.subarray(0, tar.length - 1024), rest])),
      /Extension\.exe/,
    );
  });
  it("an Office document with VBA macros (OLE), alone and as vbaProject.bin in a .docm-less .docx", async () => {
    infected(await scan("invoice.doc", ole(true)), /Macro/, /macros/);
    infected(
      await scan(
        "letter.docx",
        buildZip([
          { name: "word/document.xml", data: "<w/>" },
          { name: "word/vbaProject.bin", data: ole(true) },
        ]),
      ),
      /Macro/,
    );
  });
  it("a program in a .tar.gz", async () => {
    infected(
      await scan(
        "src.tar.gz",
        gzipSync(
          buildTar([
            { name: "a.txt", data: "x" },
            { name: "b/run", data: "#!/usr/bin/env python3\n" },
          ]),
        ),
      ),
      /Shebang/,
      /src\.tar\.gz → src\.tar → b\/run/,
    );
  });
});

describe("built-in engine: names", () => {
  it("Windows program and script extensions, whatever the content", async () => {
    for (const name of [
      "setup.exe",
      "lib.DLL",
      "run.bat",
      "x.ps1",
      "y.vbs",
      "z.js",
      "a.hta",
      "b.msi",
      "c.jar",
      "d.apk",
      "e.lnk",
      "f.reg",
      "g.iso",
      "h.scr",
      "i.cmd",
      "j.wsf",
      "k.xlsm",
    ]) {
      const v = await scan(name, "plain text");
      assert.equal(v.status, "infected", name);
    }
    infected(
      await scan("setup.exe", "x"),
      /Extension/,
      /\(setup\.exe\) is a Windows program — programs cannot be shared/,
    );
  });
  it("double extensions: invoice.pdf.exe, padding with spaces, trailing dots", async () => {
    infected(
      await scan("invoice.pdf.exe", "x"),
      /DoubleExtension/,
      /pretends to be a \.pdf file but is a Windows program/,
    );
    infected(await scan("invoice.pdf        .exe", "x"), /DoubleExtension/);
    infected(await scan("invoice.exe.", "x"), /HiddenExtension/, /spaces or dots/);
    infected(await scan("invoice.exe  ", "x"), /HiddenExtension/);
  });
  it("bidi tricks: invoice\u202efdp.exe shows as invoiceexe.pdf", async () => {
    infected(await scan("invoice\u202efdp.exe", "x"), /HiddenExtension/, /invisible characters/);
    infected(await scan("photo\u200b.exe", "x"), /HiddenExtension/);
    infected(
      await scan("a.zip", buildZip([{ name: "docs/invoice\u202efdp.scr", data: "x" }])),
      /HiddenExtension/,
    );
  });
  it("harmless names pass", async () => {
    clean(await scan("archive.2024.final.txt", "x"));
    clean(await scan("exe", "x"));
    clean(await scan(".bashrc", "alias ll='ls -l'\n"));
  });
});

describe("built-in engine: archives it cannot scan in full are refused", () => {
  it("a high expansion ratio (zip bomb)", async () => {
    refused(
      await scan("bomb.zip", buildZip([{ name: "zeros.txt", data: Buffer.alloc(8 * MiB) }])),
      /expands more than 100 times/,
    );
  });
  it("a gzip bomb", async () => {
    refused(
      await scan("bomb.txt.gz", gzipSync(Buffer.alloc(16 * MiB))),
      /expands more than 100 times/,
    );
  });
  it("too many entries", async () => {
    const entries = Array.from({ length: 101 }, (_, i) => ({ name: `f${i}.txt`, data: "x" }));
    refused(await scan("many.zip", buildZip(entries)), /more than 100 files/);
  });
  it("archives nested deeper than the limit", async () => {
    let z = buildZip([{ name: "deep.txt", data: "x" }]);
    for (let i = 0; i < 3; i++) z = buildZip([{ name: `level${i}.zip`, data: z }]);
    refused(await scan("nest.zip", z), /nests archives more than 3 deep/);
    let ok = buildZip([{ name: "deep.txt", data: "x" }]);
    for (let i = 0; i < 2; i++) ok = buildZip([{ name: `level${i}.zip`, data: ok }]);
    clean(await scan("nest.zip", ok));
  });
  it("more expanded bytes than the budget", async () => {
    const s = createScanner(settings({ archiveMaxExpandedBytes: 1 * MiB }), log);
    const chunk = Buffer.from(createHash("sha512").update("x").digest("hex").repeat(6000));
    refused(
      await scan(
        "big.zip",
        buildZip([
          { name: "a.txt", data: chunk },
          { name: "b.txt", data: chunk },
          { name: "c.txt", data: chunk },
        ]),
        s,
      ),
      /expands to more than 1 MiB/,
    );
  });
  it("sizes that lie (declared small, expanding to more)", async () => {
    refused(
      await scan(
        "liar.zip",
        buildZip([{ name: "a.txt", data: Buffer.alloc(4 * 1024, 65), declaredSize: 10 }]),
      ),
      /damaged/,
    );
  });
  it("an encrypted entry", async () => {
    refused(
      await scan(
        "secret.zip",
        buildZip([{ name: "a.txt", data: "ciphertext", method: 0, encrypted: true }]),
      ),
      /encrypted, so it cannot be scanned/,
    );
  });
  it("strong encryption", async () => {
    refused(
      await scan(
        "strong.zip",
        buildZip([{ name: "a.txt", data: "x", method: 0, encrypted: "strong" }]),
      ),
      /encrypted, so it cannot be scanned/,
    );
  });
  it("an unknown compression method", async () => {
    refused(
      await scan("odd.zip", buildZip([{ name: "a.txt", data: "x", method: 14 }])),
      /compression method/,
    );
  });
  it("a damaged zip, a damaged gzip, a damaged tar", async () => {
    refused(await scan("cut.zip", DOCX.subarray(0, DOCX.length - 30)), /damaged/);
    refused(
      await scan("cut.txt.gz", gzipSync("hello world ".repeat(100)).subarray(0, 40)),
      /damaged/,
    );
    const tar = buildTar([{ name: "a.txt", data: "x".repeat(2000) }]);
    refused(await scan("cut.tar", tar.subarray(0, 1024)), /damaged/);
  });
  it("paths that lead out of the folder (zip slip), in zip and tar", async () => {
    for (const name of ["../../.bashrc", "/etc/cron.d/x", "C:/Windows/x.txt", "a/../../b.txt"]) {
      refused(await scan("slip.zip", buildZip([{ name, data: "x" }])), /leads out of its folder/);
      refused(await scan("slip.tar", buildTar([{ name, data: "x" }])), /leads out of its folder/);
    }
    clean(await scan("fine.tar", buildTar([{ name: "a/b/..c.txt", data: "x" }])));
  });
  it("formats the built-in engine cannot open (RAR, 7-Zip)", async () => {
    refused(
      await scan(
        "a.rar",
        Buffer.concat([Buffer.from("Rar!\x1a\x07\x01\x00", "latin1"), Buffer.alloc(600)]),
      ),
      /RAR archive/,
    );
    refused(
      await scan(
        "a.7z",
        Buffer.concat([Buffer.from([0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c]), Buffer.alloc(600)]),
      ),
      /7-Zip/,
    );
  });
});

describe("built-in engine: no verdict is no verdict", () => {
  it("a file that cannot be read: ScannerUnavailable", async () => {
    await assert.rejects(
      scanner.scan({ path: join(dir, "missing"), name: "a.txt", type: "text/plain", size: 1 }),
      ScannerUnavailable,
    );
  });
  it("a scan past its time: ScannerUnavailable", async () => {
    const late = createBuiltinScanner({
      limits: { maxEntries: 10, maxDepth: 2, maxRatio: 100, maxExpandedBytes: MiB },
      timeoutSeconds: -1,
    });
    await assert.rejects(
      scan("a.txt", "hello", late),
      (e: Error) => e instanceof ScannerUnavailable && /longer than/.test(e.message),
    );
  });
});
