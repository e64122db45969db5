// Configuration: hato.yaml and command-line flags, validated against one table of settings.
//
// Every setting is declared once below: its path in hato.yaml, its flag, its type, limits
// and default. Validation, the flag parser and docs/configuration.md all come from it, so a
// setting cannot exist in one place and be missing from another.

import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { parse as parseYaml } from "yaml";
import { HatoError, HatoErrors } from "./errors.js";

type SettingType =
  | { kind: "int"; min: number; max: number }
  | { kind: "string"; pattern?: RegExp; describe?: string }
  | { kind: "path" }
  | { kind: "bool" }
  | { kind: "enum"; values: readonly string[] };

interface Setting {
  path: string;
  type: SettingType;
  default: unknown;
  doc: string;
}

const KiB = 1024;
const MiB = 1024 * 1024;

/** Every setting Hato has. Paths are dotted; flags are `--` plus the path with dots as dashes. */
export const SETTINGS: readonly Setting[] = [
  {
    path: "domain",
    type: { kind: "string", pattern: /^[^\s@/]{1,253}$/, describe: "a domain name" },
    default: "localhost",
    doc: "The XMPP domain this server hosts.",
  },
  {
    path: "data",
    type: { kind: "path" },
    default: "./data",
    doc: "Folder for the database, generated certificate, server secret and admin socket.",
  },
  {
    path: "host",
    type: { kind: "string" },
    default: "::",
    doc: "Address the listeners bind to (`::` is every address, `127.0.0.1` loopback only).",
  },
  {
    path: "c2s-port",
    type: { kind: "int", min: 0, max: 65535 },
    default: 5222,
    doc: "Client port with STARTTLS (RFC 6120); 0 turns it off.",
  },
  {
    path: "tls-port",
    type: { kind: "int", min: 0, max: 65535 },
    default: 5223,
    doc: "Direct-TLS client port (XEP-0368, ALPN `xmpp-client`); 0 turns it off.",
  },
  {
    path: "tls.cert",
    type: { kind: "path" },
    default: "",
    doc: "PEM certificate chain; empty means a self-signed one generated in the data folder.",
  },
  { path: "tls.key", type: { kind: "path" }, default: "", doc: "PEM private key for `tls.cert`." },
  {
    path: "log.level",
    type: { kind: "enum", values: ["debug", "info", "warn", "error"] },
    default: "info",
    doc: "Least severe log level written to standard error.",
  },
  {
    path: "limits.stanza-bytes",
    type: { kind: "int", min: 4 * KiB, max: 16 * MiB },
    default: 256 * KiB,
    doc: "Largest stanza accepted, in bytes, counted as it arrives.",
  },
  {
    path: "limits.depth",
    type: { kind: "int", min: 4, max: 256 },
    default: 32,
    doc: "Deepest element nesting inside a stanza.",
  },
  {
    path: "limits.attributes",
    type: { kind: "int", min: 4, max: 1024 },
    default: 64,
    doc: "Most attributes on one element.",
  },
  {
    path: "limits.children",
    type: { kind: "int", min: 16, max: 65536 },
    default: 1024,
    doc: "Most child nodes of one element.",
  },
  {
    path: "limits.outbound-queue-bytes",
    type: { kind: "int", min: 64 * KiB, max: 256 * MiB },
    default: 2 * MiB,
    doc: "Bytes waiting to be sent to one client before it is disconnected as not reading.",
  },
  {
    path: "limits.tls-handshake-seconds",
    type: { kind: "int", min: 1, max: 600 },
    default: 10,
    doc: "Time allowed for a TLS handshake.",
  },
  {
    path: "limits.auth-seconds",
    type: { kind: "int", min: 1, max: 3600 },
    default: 30,
    doc: "Time from connecting to a bound resource.",
  },
  {
    path: "limits.unauthenticated-per-address",
    type: { kind: "int", min: 1, max: 1000000 },
    default: 16,
    doc: "Connections from one IP address that have not yet authenticated. Raise it only for load tests on loopback.",
  },
  {
    path: "limits.auth-failures-per-address",
    type: { kind: "int", min: 1, max: 1000000 },
    default: 10,
    doc: "Failed logins from one IP address per minute before further attempts get `temporary-auth-failure`.",
  },
  {
    path: "limits.auth-failures-per-account",
    type: { kind: "int", min: 1, max: 1000 },
    default: 5,
    doc: "Failed logins for one account name per minute before further attempts get `temporary-auth-failure`.",
  },
  {
    path: "limits.sessions-per-account",
    type: { kind: "int", min: 1, max: 1000 },
    default: 16,
    doc: "Simultaneous sessions of one account.",
  },
  {
    path: "offline.max-messages",
    type: { kind: "int", min: 0, max: 1000000 },
    default: 1000,
    doc: "Messages stored for one offline account (XEP-0160); 0 turns offline storage off.",
  },
  {
    path: "offline.max-bytes",
    type: { kind: "int", min: 0, max: 1024 * MiB },
    default: 10 * MiB,
    doc: "Bytes stored for one offline account.",
  },
  {
    path: "scram.iterations",
    type: { kind: "int", min: 4096, max: 1000000 },
    default: 10000,
    doc: "PBKDF2 iterations for newly stored passwords.",
  },
  {
    path: "pep.max-item-bytes",
    type: { kind: "int", min: 1 * KiB, max: 16 * MiB },
    default: 64 * KiB,
    doc: "Largest PEP item payload (XEP-0163), in bytes of serialised XML; larger ones get `not-acceptable` with `payload-too-big`.",
  },
  {
    path: "pep.max-nodes",
    type: { kind: "int", min: 1, max: 100000 },
    default: 256,
    doc: "PEP nodes one account may have.",
  },
  {
    path: "pep.max-items",
    type: { kind: "int", min: 1, max: 100000 },
    default: 1000,
    doc: "Most items one PEP node keeps; `max_items` of `max` means this many.",
  },
  {
    path: "pep.max-id-length",
    type: { kind: "int", min: 16, max: 3072 },
    default: 1024,
    doc: "Longest PEP node name or item id, in characters.",
  },
  {
    path: "pep.max-affiliations",
    type: { kind: "int", min: 1, max: 100000 },
    default: 1000,
    doc: "Most affiliations (whitelisted members) one PEP node holds.",
  },
  {
    path: "pep.publishes-per-minute",
    type: { kind: "int", min: 1, max: 1000000 },
    default: 300,
    doc: "PEP publications, retractions and node changes one account may make per minute.",
  },
  {
    path: "pep.watched-per-session",
    type: { kind: "int", min: 1, max: 1000000 },
    default: 5000,
    doc: "Accounts whose PEP events one session can follow through presence it sent them; the oldest are forgotten beyond this.",
  },
  {
    path: "caps.cache-size",
    type: { kind: "int", min: 16, max: 1000000 },
    default: 4096,
    doc: "Verified entity capabilities (XEP-0115) kept in memory; least recently used go first.",
  },
  {
    path: "caps.queries-per-session",
    type: { kind: "int", min: 1, max: 64 },
    default: 2,
    doc: "disco#info queries for unknown capabilities in flight to one session at once.",
  },
];

/** The resolved configuration, typed. */
export interface Config {
  domain: string;
  data: string;
  host: string;
  c2sPort: number;
  tlsPort: number;
  tls: { cert: string; key: string };
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
  scram: { iterations: number };
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
  }
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
  if ((config.tls.cert === "") !== (config.tls.key === "")) {
    throw new HatoError(HatoErrors.CONFIG_INVALID, "tls.cert and tls.key must be set together");
  }
  return config;
}

/** The settings table as markdown, for docs/configuration.md. */
export function settingsMarkdown(): string {
  const rows = SETTINGS.map((s) => {
    const def = s.default === "" ? "(none)" : `\`${String(s.default)}\``;
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
