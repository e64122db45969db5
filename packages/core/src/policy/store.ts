// The current policy, swapped whole on reload: an invalid new policy is rejected entirely
// and the old one stays.

import { existsSync, type FSWatcher, readFileSync, watch } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { parse as parseYaml } from "yaml";
import { Policy } from "./compile.js";
import { formatPolicyError, type PolicyError, parsePolicy } from "./parse.js";
import { POLICY_LIMITS } from "./schema.js";

export type CheckResult = { ok: true; policy: Policy } | { ok: false; errors: PolicyError[] };

/**
 * Reads and validates the policy of a hato.yaml: its `policy` section, or the file that
 * `policy: { file: path }` names (relative to hato.yaml). No config file: `policy.yaml` in the
 * data folder `data` when there is one (the admin console writes it), else the empty policy.
 */
export function loadPolicy(
  configFile: string | undefined,
  domain: string,
  data?: string,
): CheckResult {
  if (configFile === undefined) {
    const own = data === undefined ? undefined : dataPolicyFile(data);
    return own !== undefined && existsSync(own)
      ? checkPolicyFile(own, domain)
      : { ok: true, policy: new Policy({}, domain) };
  }
  const read = (file: string): string | PolicyError => {
    try {
      return readFileSync(file, "utf8");
    } catch (err) {
      return { file, line: 1, column: 1, path: "", message: (err as Error).message };
    }
  };
  const text = read(configFile);
  if (typeof text !== "string") return { ok: false, errors: [text] };
  if (Buffer.byteLength(text) <= POLICY_LIMITS.bytes * 4) {
    let section: unknown;
    try {
      section = (parseYaml(text, { maxAliasCount: 0 }) as { policy?: unknown } | null)?.policy;
    } catch {
      section = undefined; // parsePolicy reports the syntax error with its position
    }
    const s = section as { file?: unknown } | null | undefined;
    if (
      s !== null &&
      typeof s === "object" &&
      Object.keys(s).length === 1 &&
      typeof s.file === "string"
    ) {
      return checkPolicyFile(resolve(dirname(configFile), s.file), domain);
    }
  }
  return checkText(text, configFile, domain, ["policy"]);
}

/** Validates a policy file of its own (`hato policy check FILE`). */
/** The policy file of a server without a config file: `policy.yaml` in its data folder. */
export function dataPolicyFile(data: string): string {
  return join(data, "policy.yaml");
}

export function checkPolicyFile(file: string, domain: string): CheckResult {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    return {
      ok: false,
      errors: [{ file, line: 1, column: 1, path: "", message: (err as Error).message }],
    };
  }
  return checkText(text, file, domain, []);
}

function checkText(text: string, file: string, domain: string, base: string[]): CheckResult {
  const r = parsePolicy(text, file, base);
  return r.ok ? { ok: true, policy: new Policy(r.doc, domain) } : r;
}

export type ReloadResult =
  | { ok: true; policy: Policy }
  | { ok: false; errors: string[]; kept: Policy };

/** Holds the compiled policy; `reload()` swaps it in one assignment or not at all. */
export class PolicyStore {
  private policy: Policy;
  private watcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly configFile: string | undefined,
    private readonly domain: string,
    initial?: Policy,
    /** The data folder, whose `policy.yaml` holds the policy when there is no config file. */
    readonly data?: string,
  ) {
    this.policy = initial ?? new Policy({}, domain);
  }

  /** Loads the policy at start; throws with every error when it is invalid. */
  static open(configFile: string | undefined, domain: string, data?: string): PolicyStore {
    const r = loadPolicy(configFile, domain, data);
    if (!r.ok) throw new Error(r.errors.map(formatPolicyError).join("\n"));
    return new PolicyStore(configFile, domain, r.policy, data);
  }

  get current(): Policy {
    return this.policy;
  }

  /** Parses and validates the policy again; swaps it in whole, or keeps the old one. */
  reload(): ReloadResult {
    const r = loadPolicy(this.configFile, this.domain, this.data);
    if (!r.ok) return { ok: false, errors: r.errors.map(formatPolicyError), kept: this.policy };
    this.policy = r.policy;
    return { ok: true, policy: r.policy };
  }

  /**
   * Validates `text` as a policy document of its own (an admin's edit, a test) and swaps it in
   * whole, or keeps the old one. It lasts until the next reload from the file.
   */
  applyText(text: string, label = "policy"): ReloadResult {
    const r = checkText(text, label, this.domain, []);
    if (!r.ok) return { ok: false, errors: r.errors.map(formatPolicyError), kept: this.policy };
    this.policy = r.policy;
    return { ok: true, policy: r.policy };
  }

  /**
   * Reloads when the config file (or the policy file it names) changes, after `debounceMs`
   * of quiet; `onResult` hears each outcome (the server logs it).
   */
  watch(onResult: (r: ReloadResult, before: Policy) => void, debounceMs = 500): void {
    if (this.watcher) return;
    let files: Set<string>;
    if (this.configFile !== undefined) {
      files = new Set([resolve(this.configFile)]);
      const r = loadPolicyFileName(this.configFile);
      if (r) files.add(r);
    } else if (this.data !== undefined && existsSync(this.data)) {
      files = new Set([resolve(dataPolicyFile(this.data))]);
    } else return;
    const dirs = new Set([...files].map((f) => dirname(f)));
    // Watch the folders, not the files: editors replace a file by renaming a new one over it.
    const watchers = [...dirs].map((d) =>
      watch(d, { persistent: false }, (_event, name) => {
        if (name !== null && ![...files].some((f) => f === resolve(d, name.toString()))) return;
        clearTimeout(this.timer);
        this.timer = setTimeout(() => {
          const before = this.policy;
          onResult(this.reload(), before);
        }, debounceMs);
        this.timer.unref();
      }),
    );
    this.watcher = {
      close: () => {
        for (const w of watchers) w.close();
      },
    } as FSWatcher;
  }

  close(): void {
    clearTimeout(this.timer);
    this.watcher?.close();
    this.watcher = undefined;
  }
}

/** The separate policy file a hato.yaml names, if any. */
function loadPolicyFileName(configFile: string): string | undefined {
  try {
    const s = (parseYaml(readFileSync(configFile, "utf8")) as { policy?: { file?: unknown } })
      ?.policy;
    return typeof s?.file === "string" ? resolve(dirname(configFile), s.file) : undefined;
  } catch {
    return undefined;
  }
}
