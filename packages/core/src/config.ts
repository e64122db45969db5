// Configuration: hato.yaml and command-line flags, validated against one table of settings.
//
// Every setting is declared once in settings.ts: its path in hato.yaml, its flag, its type, limits
// and default. Validation, the flag parser and docs/configuration.md all come from it, so a
// setting cannot exist in one place and be missing from another.

import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { prepDomain } from "@hato/jid";
import { parse as parseYaml } from "yaml";
import { HatoError, HatoErrors } from "./errors.js";

import { SETTINGS, type Setting } from "./settings.js";

export { SETTINGS };

/** An external component (XEP-0114): its domain and the shared secret of its handshake. */
export interface ComponentConfig {
  domain: string;
  secret: string;
}

/** The resolved configuration, typed. */
export interface Config {
  domain: string;
  data: string;
  host: string;
  c2sPort: number;
  tlsPort: number;
  componentPort: number;
  componentHost: string;
  components: ComponentConfig[];
  tls: { cert: string; key: string };
  web: { root: string; adminRoot: string };
  http: {
    publicHost: string;
    allowedOrigins: string[];
    maxHeaderBytes: number;
    maxBodyBytes: number;
    requestsPerMinute: number;
    connectionsPerAddress: number;
    headerSeconds: number;
    idleSeconds: number;
  };
  websocket: { pingSeconds: number };
  log: { level: "debug" | "info" | "warn" | "error" };
  limits: {
    stanzaBytes: number;
    depth: number;
    attributes: number;
    children: number;
    outboundQueueBytes: number;
    tlsHandshakeSeconds: number;
    authSeconds: number;
    unauthenticatedPerAddress: number;
    authFailuresPerAddress: number;
    authFailuresPerAccount: number;
    sessionsPerAccount: number;
  };
  offline: { maxMessages: number; maxBytes: number };
  push: { maxRegistrations: number; notificationsPerMinute: number; includeBody: boolean };
  blocking: { maxItems: number; itemsPerRequest: number };
  vcard: { maxBytes: number };
  private: { maxItems: number; maxBytes: number };
  files: {
    peerToPeer: boolean;
    handoffMaxBytes: number;
    handoffPerMinute: number;
    handoffTokenSeconds: number;
  };
  register: {
    enabled: boolean;
    perAddressPerHour: number;
    passwordMinLength: number;
    passwordMaxLength: number;
    inviteHours: number;
  };
  roster: { maxItems: number; maxNameLength: number; maxGroupLength: number; maxGroups: number };
  presence: { maxPendingRequests: number; subscribePerMinute: number; maxDirected: number };
  sm: { resumeSeconds: number; maxQueue: number; ackSeconds: number };
  csi: { maxHeld: number };
  sessions: { askClientVersion: boolean; clientIdentitySeconds: number; maxHeld: number };
  scram: { iterations: number };
  mam: {
    maxPage: number;
    default: "always" | "roster" | "never";
    prefsMaxJids: number;
    retentionDays: number;
  };
  pep: {
    maxItemBytes: number;
    maxNodes: number;
    maxItems: number;
    maxIdLength: number;
    maxAffiliations: number;
    publishesPerMinute: number;
    watchedPerSession: number;
  };
  caps: { cacheSize: number; queriesPerSession: number };
  keylog: { newKeysPerDay: number; leavesPerAnswer: number };
  upload: {
    enabled: boolean;
    maxFileBytes: number;
    quotaUserBytes: number;
    quotaTotalBytes: number;
    slotSeconds: number;
    expireDays: number;
    allowedTypes: string[];
    blockedTypes: string[];
    slotsPerMinute: number;
    minBytesPerSecond: number;
    graceSeconds: number;
    putSeconds: number;
  };
  scan: {
    engine: "builtin" | "clamd";
    clamdAddress: string;
    timeoutSeconds: number;
    denyList: string;
    archiveMaxEntries: number;
    archiveMaxDepth: number;
    archiveMaxRatio: number;
    archiveMaxExpandedBytes: number;
    whenDown: "refuse" | "accept";
  };
  audit: { signEveryEntries: number; signEverySeconds: number };
  retention: { intervalMinutes: number };
  metrics: { enabled: boolean; historyIntervalSeconds: number; historyPoints: number };
  /** The admin console's sessions (docs/admin.md). */
  admin: { idleMinutes: number; sessionHours: number; maxSessions: number };
  /** The config file's path, when there was one. */
  file: string | undefined;
}

const camel = (s: string) => s.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
/** The command-line flag of a setting: `limits.stanza-bytes` → `--limits-stanza-bytes`. */
export const flagOf = (path: string) => "--" + path.replace(/\./g, "-");

function check(setting: Setting, value: unknown, where: string): unknown {
  const t = setting.type;
  const bad = (expected: string) =>
    new HatoError(
      HatoErrors.CONFIG_INVALID,
      `${where}: ${setting.path}: expected ${expected}, got ${JSON.stringify(value)}`,
    );
  switch (t.kind) {
    case "int": {
      const n = typeof value === "string" && /^-?\d+$/.test(value) ? Number(value) : value;
      if (typeof n !== "number" || !Number.isInteger(n) || n < t.min || n > t.max) {
        throw bad(`an integer from ${t.min} to ${t.max}`);
      }
      return n;
    }
    case "bool":
      if (value === true || value === "true") return true;
      if (value === false || value === "false") return false;
      throw bad("true or false");
    case "enum":
      if (typeof value !== "string" || !t.values.includes(value))
        throw bad(`one of ${t.values.join(", ")}`);
      return value;
    case "path":
      if (typeof value !== "string") throw bad("a file or folder path");
      return value;
    case "string":
      if (typeof value !== "string" || (t.pattern && !t.pattern.test(value))) {
        throw bad(t.describe ?? "a string");
      }
      return value;
    case "components":
      return checkComponents(value, where);
    case "list": {
      const items =
        typeof value === "string"
          ? value
              .split(",")
              .map((v) => v.trim())
              .filter((v) => v !== "")
          : value;
      if (
        !Array.isArray(items) ||
        items.length > t.max ||
        !items.every((v) => typeof v === "string" && t.pattern.test(v))
      ) {
        throw bad(`a list of at most ${t.max} ${t.describe}`);
      }
      return items as string[];
    }
  }
}

const MAX_COMPONENTS = 1000;
const MAX_SECRET = 1024;

/**
 * The component list, from YAML (`[{domain, secret}]`) or a flag (`a=s1,b=s2`). Messages
 * name the entry and the domain, never the secret.
 */
function checkComponents(value: unknown, where: string): ComponentConfig[] {
  const fail = (problem: string) =>
    new HatoError(HatoErrors.CONFIG_INVALID, `${where}: components: ${problem}`);
  let entries: unknown[];
  if (typeof value === "string") {
    entries = value
      .split(",")
      .filter((s) => s.trim() !== "")
      .map((pair) => {
        const eq = pair.indexOf("=");
        return eq < 0
          ? { domain: pair.trim() }
          : { domain: pair.slice(0, eq).trim(), secret: pair.slice(eq + 1) };
      });
  } else if (Array.isArray(value)) entries = value;
  else throw fail("expected a list of { domain, secret }");
  if (entries.length > MAX_COMPONENTS) throw fail(`at most ${MAX_COMPONENTS} components`);
  const out: ComponentConfig[] = [];
  entries.forEach((e, i) => {
    const entry = e as { domain?: unknown; secret?: unknown } | null;
    if (entry === null || typeof entry !== "object" || Array.isArray(entry))
      throw fail(`entry ${i + 1}: expected { domain, secret }`);
    const extra = Object.keys(entry).find((k) => k !== "domain" && k !== "secret");
    if (extra !== undefined) throw fail(`entry ${i + 1}: unknown key "${extra}"`);
    const domain = typeof entry.domain === "string" ? prepDomain(entry.domain) : null;
    if (domain === null || domain === "")
      throw fail(`entry ${i + 1}: the domain is missing or not a valid domain name`);
    const { secret } = entry;
    if (typeof secret !== "string" || secret === "" || secret.length > MAX_SECRET)
      throw fail(
        `${domain}: the secret must be a non-empty string of at most ${MAX_SECRET} characters`,
      );
    out.push({ domain, secret });
  });
  return out;
}

/** Flattens a parsed YAML document into dotted paths, rejecting keys that are not settings. */
function flatten(doc: unknown, file: string): Map<string, unknown> {
  const out = new Map<string, unknown>();
  const known = new Set(SETTINGS.map((s) => s.path));
  const prefixes = new Set(SETTINGS.flatMap((s) => s.path.split(".").slice(0, -1)));
  const walk = (node: unknown, prefix: string) => {
    if (node === null || typeof node !== "object" || Array.isArray(node)) {
      throw new HatoError(
        HatoErrors.CONFIG_INVALID,
        `${file}: ${prefix || "top level"}: expected a mapping`,
      );
    }
    for (const [key, value] of Object.entries(node)) {
      const path = prefix ? `${prefix}.${key}` : key;
      // The organisation's policy has its own parser with positions (policy/parse.ts).
      if (path === "policy") continue;
      if (known.has(path)) out.set(path, value);
      else if (prefixes.has(path)) walk(value, path);
      else throw new HatoError(HatoErrors.CONFIG_INVALID, `${file}: unknown setting "${path}"`);
    }
  };
  if (doc !== null && doc !== undefined) walk(doc, "");
  return out;
}

/** Reads and validates a hato.yaml; throws HatoError with the file, the setting and the problem. */
export function readConfigFile(file: string): Map<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new HatoError(HatoErrors.CONFIG_UNREADABLE, `${file}: ${(err as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = parseYaml(text, { maxAliasCount: 0 });
  } catch (err) {
    throw new HatoError(HatoErrors.CONFIG_INVALID, `${file}: ${(err as Error).message}`);
  }
  const values = flatten(doc, file);
  for (const [path, value] of values) check(SETTINGS.find((s) => s.path === path)!, value, file);
  return values;
}

/**
 * Builds the configuration from defaults, then the config file, then flags (highest).
 * `flags` maps setting paths to raw strings, as parsed from the command line.
 */
export function loadConfig(opts: { file?: string; flags?: Map<string, string> } = {}): Config {
  const values = new Map<string, unknown>();
  for (const s of SETTINGS) values.set(s.path, s.default);
  const fromFile = opts.file ? readConfigFile(opts.file) : new Map<string, unknown>();
  for (const [path, value] of fromFile)
    values.set(path, check(SETTINGS.find((s) => s.path === path)!, value, opts.file!));
  for (const [path, raw] of opts.flags ?? []) {
    const s = SETTINGS.find((x) => x.path === path);
    if (!s) throw new HatoError(HatoErrors.CONFIG_INVALID, `unknown flag ${flagOf(path)}`);
    values.set(path, check(s, raw, `flag ${flagOf(path)}`));
  }
  const tree: Record<string, unknown> = {};
  for (const [path, value] of values) {
    const parts = path.split(".").map(camel);
    let node = tree;
    for (const p of parts.slice(0, -1)) {
      node[p] ??= {};
      node = node[p] as Record<string, unknown>;
    }
    node[parts.at(-1)!] = value;
  }
  const config = tree as unknown as Config;
  config.domain = config.domain.toLowerCase();
  config.data = resolve(config.data);
  config.file = opts.file;
  const seen = new Set<string>();
  for (const c of config.components) {
    if (c.domain === config.domain)
      throw new HatoError(
        HatoErrors.CONFIG_INVALID,
        `components: ${c.domain} is the server's own domain; a component needs a domain of its own (a subdomain such as push.${config.domain})`,
      );
    if (seen.has(c.domain))
      throw new HatoError(HatoErrors.CONFIG_INVALID, `components: ${c.domain} is listed twice`);
    seen.add(c.domain);
  }
  if ((config.tls.cert === "") !== (config.tls.key === "")) {
    throw new HatoError(HatoErrors.CONFIG_INVALID, "tls.cert and tls.key must be set together");
  }
  return config;
}

/** The settings table as markdown, for docs/configuration.md. */
export function settingsMarkdown(): string {
  const rows = SETTINGS.map((s) => {
    const def =
      s.default === "" || (Array.isArray(s.default) && s.default.length === 0)
        ? "(none)"
        : `\`${String(s.default)}\``;
    return `| \`${s.path}\` | \`${flagOf(s.path)}\` | ${def} | ${s.doc} |`;
  });
  return ["| setting | flag | default | meaning |", "|---|---|---|---|", ...rows].join("\n");
}

/** The whole of docs/configuration.md; a test keeps the committed file equal to this. */
export function configurationDoc(): string {
  return `# Configuration

Hato reads \`hato.yaml\` (\`--config FILE\`; \`./hato.yaml\` when it exists), then command-line
flags, which win. Unknown settings, wrong types and out-of-range values are refused at start
with the file, the setting and the problem named. YAML aliases are refused. In the file,
dotted settings are nested mappings (\`limits.stanza-bytes\` is \`stanza-bytes\` under
\`limits:\`); every setting also has a flag.

This file is generated from the settings table in \`packages/core/src/config.ts\`
(\`node scripts/gen-docs.mjs\`).

${settingsMarkdown()}
`;
}
