// Debian's Python (/usr/bin/python3, which sees python3-* packages such as slixmpp) for interop tests.

import { isAbsolute, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Proc, type RunResult, run } from "./process.js";

/** Debian's interpreter: the python3 first on PATH may be another one that cannot see Debian's packages. */
export const PYTHON = "/usr/bin/python3";

/** test/interop/py in the source tree: tsc does not copy .py files into test/dist. */
export const PY_DIR = fileURLToPath(new URL("../../interop/py/", import.meta.url));

function pythonEnv(extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PYTHONUNBUFFERED: "1",
    PYTHONDONTWRITEBYTECODE: "1",
    ...extra,
  };
  // Settings meant for another interpreter would make Debian's load the wrong modules.
  for (const k of ["PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONSTARTUP"]) delete env[k];
  return env;
}

const resolveScript = (script: string) => (isAbsolute(script) ? script : join(PY_DIR, script));

/** Runs a script (a name in test/interop/py, or a path) to its end; killed after `timeoutMs`. */
export function runPython(
  script: string,
  args: string[] = [],
  env: NodeJS.ProcessEnv = {},
  timeoutMs = 60_000,
): Promise<RunResult> {
  return run(PYTHON, [resolveScript(script), ...args], { env: pythonEnv(env), timeoutMs });
}

/** Starts a script and returns at once, for clients that stay connected while the test goes on. */
export function spawnPython(
  script: string,
  args: string[] = [],
  env: NodeJS.ProcessEnv = {},
  timeoutMs = 120_000,
): Proc {
  return new Proc(PYTHON, [resolveScript(script), ...args], { env: pythonEnv(env), timeoutMs });
}
