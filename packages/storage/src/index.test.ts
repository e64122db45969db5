// Importing the package must not define or run tests: only calling runStorageContract does.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { it } from "node:test";

it("importing the package index has no test side effects", () => {
  const url = new URL("./index.js", import.meta.url).href;
  const code = `const m = await import(${JSON.stringify(url)}); console.log(typeof m.runStorageContract);`;
  // Without the runner's context variable the child reports any test it defines as plain TAP.
  const env = { ...process.env };
  delete env.NODE_TEST_CONTEXT;
  const out = execFileSync(process.execPath, ["--input-type=module", "-e", code], {
    encoding: "utf8",
    env,
  });
  assert.equal(out, "function\n");
});
