// The lint rule banning innerHTML and friends (biome-plugins/no-inner-html.grit plus Biome's
// noDangerouslySetInnerHtml) really reports each banned construct, and leaves safe code alone.

import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const BIOME = join(ROOT, "node_modules", ".bin", "biome");
const PLUGIN = join(ROOT, "biome-plugins", "no-inner-html.grit");

/** One banned construct per line; the test checks each line gets a diagnostic. */
const BANNED: [string, string][] = [
  ["innerHTML =", 'el.innerHTML = "<b>x</b>";'],
  ["outerHTML =", 'el.outerHTML = "<b>x</b>";'],
  ["innerHTML +=", 'el.innerHTML += "<i>y</i>";'],
  ["innerHTML by computed key", 'el["innerHTML"] = "z";'],
  ["iframe srcdoc", 'frame.srcdoc = "<script>1</script>";'],
  ["insertAdjacentHTML", 'el.insertAdjacentHTML("beforeend", "<i>");'],
  ["document.write", 'document.write("<p>");'],
  ["document.writeln", 'document.writeln("<p>");'],
  ["window.document.write", 'window.document.write("<p>");'],
  ["createContextualFragment", 'document.createRange().createContextualFragment("<p>");'],
  ["DOMParser.parseFromString", 'new DOMParser().parseFromString("<p>", "text/html");'],
  ["setHTMLUnsafe", 'el.setHTMLUnsafe("<p>");'],
  ["execCommand insertHTML", 'document.execCommand("insertHTML", false, "<p>");'],
  [
    "dangerouslySetInnerHTML",
    'export const A = () => <div dangerouslySetInnerHTML={{ __html: "x" }} />;',
  ],
];

/** Code that must stay clean: reading innerHTML, text nodes, a write() that is not document's. */
const ALLOWED = [
  "export const read = () => el.innerHTML.length;",
  'el.textContent = "<b>plain</b>";',
  'el.append(document.createTextNode("<b>"));',
  "export const w = (s: { write(t: string): void }) => s.write(el.id);",
];

const PRELUDE = ["declare const el: HTMLElement;", "declare const frame: HTMLIFrameElement;"];

function biome(args: string[], cwd: string): Promise<string> {
  return new Promise((resolve) => {
    execFile(BIOME, args, { cwd }, (_err, stdout, stderr) => resolve(`${stdout}\n${stderr}`));
  });
}

test("the repository's Biome config loads the plugin and makes noDangerouslySetInnerHtml an error", async () => {
  const config = JSON.parse(await readFile(join(ROOT, "biome.json"), "utf8"));
  assert.ok(config.plugins.includes("./biome-plugins/no-inner-html.grit"));
  assert.equal(config.linter.rules.security.noDangerouslySetInnerHtml, "error");
});

test("every innerHTML-like construct is reported, safe code is not", async () => {
  const dir = await mkdtemp(join(tmpdir(), "hato-lint-"));
  try {
    const lines = [...PRELUDE, ...BANNED.map(([, code]) => code), ...ALLOWED];
    await writeFile(join(dir, "probe.tsx"), `${lines.join("\n")}\n`);
    await writeFile(
      join(dir, "biome.json"),
      JSON.stringify({
        plugins: [PLUGIN],
        linter: { rules: { preset: "none", security: { noDangerouslySetInnerHtml: "error" } } },
      }),
    );
    const out = await biome(["lint", "--reporter=github", "probe.tsx"], dir);
    const reported = new Set(
      [...out.matchAll(/^::error title=([^,]+),file=[^,]*,line=(\d+)/gm)].map((m) => Number(m[2])),
    );
    BANNED.forEach(([name], i) => {
      const line = PRELUDE.length + i + 1;
      assert.ok(reported.has(line), `${name} (line ${line}) was not reported:\n${out}`);
    });
    ALLOWED.forEach((code, i) => {
      const line = PRELUDE.length + BANNED.length + i + 1;
      assert.ok(!reported.has(line), `safe code was reported: ${code}\n${out}`);
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
