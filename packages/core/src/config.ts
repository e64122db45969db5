// Configuration: hato.yaml and command-line flags, validated against one table of settings.
//
// Every setting is declared once below: its path in hato.yaml, its flag, its type, limits
// and default. Validation, the flag parser and docs/configuration.md all come from it, so a
// setting cannot exist in one place and be missing from another.

import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { prepDomain } from "@hato/jid";
import { parse as parseYaml } from "yaml";
import { HatoError, HatoErrors } from "./errors.js";

type SettingType =
  | { kind: "int"; min: number; max: number }
  | { kind: "string"; pattern?: RegExp; describe?: string }
  | { kind: "path" }
  | { kind: "bool" }
  | { kind: "enum"; values: readonly string[] }
  | { kind: "components" };

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
    path: "component-port",
    type: { kind: "int", min: 0, max: 65535 },
    default: 0,
    doc: "External component port (XEP-0114, plaintext by design); 0 turns it off.",
  },
  {
    path: "component-host",
    type: { kind: "string" },
    default: "127.0.0.1",
    doc: "Address the component port binds to. Components authenticate with a shared secret over plaintext: keep this on loopback or a private network.",
  },
  {
    path: "components",
    type: { kind: "components" },
    default: [],
    doc: "External components allowed to connect: in hato.yaml a list of `{ domain, secret }`; as a flag `DOMAIN=SECRET`, comma-separated or repeated (a flag shows the secret to other local users; prefer the file). Each domain must differ from `domain`.",
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
    path: "push.max-registrations",
    type: { kind: "int", min: 1, max: 100 },
    default: 8,
    doc: "Push services (XEP-0357 jid and node pairs) one account may enable.",
  },
  {
    path: "push.notifications-per-minute",
    type: { kind: "int", min: 1, max: 600 },
    default: 10,
    doc: "Push notifications sent for one account per minute; messages beyond it are only counted.",
  },
  {
    path: "push.include-body",
    type: { kind: "bool" },
    default: false,
    doc: "Put the message body in push notifications. Off: the push service is a third party.",
  },
  {
    path: "blocking.max-items",
    type: { kind: "int", min: 1, max: 100000 },
    default: 1000,
    doc: "JIDs one account may block (XEP-0191).",
  },
  {
    path: "blocking.items-per-request",
    type: { kind: "int", min: 1, max: 10000 },
    default: 250,
    doc: "JIDs in one block or unblock request.",
  },
  {
    path: "vcard.max-bytes",
    type: { kind: "int", min: 1 * KiB, max: 16 * MiB },
    default: 64 * KiB,
    doc: "Largest vCard (XEP-0054) an account may store, in bytes of XML; a photo makes vCards big.",
  },
  {
    path: "private.max-items",
    type: { kind: "int", min: 1, max: 100000 },
    default: 100,
    doc: "Private XML elements (XEP-0049) one account may store.",
  },
  {
    path: "private.max-bytes",
    type: { kind: "int", min: 1 * KiB, max: 64 * MiB },
    default: 1 * MiB,
    doc: "Bytes of private XML (XEP-0049) one account may store in all.",
  },
  {
    path: "register.enabled",
    type: { kind: "bool" },
    default: false,
    doc: "In-band registration (XEP-0077): lets anyone who reaches the server create an account, change its password and delete it.",
  },
  {
    path: "register.per-address-per-hour",
    type: { kind: "int", min: 1, max: 1000000 },
    default: 5,
    doc: "Registration attempts (well-formed requests, whether the name was free or not) from one IP address per hour.",
  },
  {
    path: "register.password-min-length",
    type: { kind: "int", min: 1, max: 1024 },
    default: 8,
    doc: "Shortest password in-band registration and password change accept, in characters.",
  },
  {
    path: "register.password-max-length",
    type: { kind: "int", min: 8, max: 4096 },
    default: 1024,
    doc: "Longest password in-band registration and password change accept, in characters.",
  },
  {
    path: "roster.max-items",
    type: { kind: "int", min: 1, max: 100000 },
    default: 1000,
    doc: "Contacts in one roster (RFC 6121 §2); a roster set beyond it gets `not-allowed`.",
  },
  {
    path: "roster.max-name-length",
    type: { kind: "int", min: 1, max: 65536 },
    default: 1024,
    doc: "Characters in a roster item's name; longer names get `not-acceptable`.",
  },
  {
    path: "roster.max-group-length",
    type: { kind: "int", min: 1, max: 65536 },
    default: 1024,
    doc: "Characters in one roster group name; longer ones get `not-acceptable`.",
  },
  {
    path: "roster.max-groups",
    type: { kind: "int", min: 1, max: 10000 },
    default: 64,
    doc: "Groups of one roster item; more get `not-allowed`.",
  },
  {
    path: "presence.max-pending-requests",
    type: { kind: "int", min: 1, max: 100000 },
    default: 200,
    doc: "Subscription requests waiting for one user's answer (RFC 6121 §3.1.3); further senders get `resource-constraint`.",
  },
  {
    path: "presence.subscribe-per-minute",
    type: { kind: "int", min: 1, max: 100000 },
    default: 60,
    doc: "Subscription requests one user may send per minute; more get `policy-violation`.",
  },
  {
    path: "presence.max-directed",
    type: { kind: "int", min: 1, max: 100000 },
    default: 1000,
    doc: "Entities one session may send directed presence to (RFC 6121 §4.6); more get `resource-constraint`.",
  },
  {
    path: "sm.resume-seconds",
    type: { kind: "int", min: 0, max: 86400 },
    default: 300,
    doc: "How long a session whose connection died waits for its client to resume it (XEP-0198); 0 turns resumption off.",
  },
  {
    path: "sm.max-queue",
    type: { kind: "int", min: 5, max: 100000 },
    default: 500,
    doc: "Stanzas sent to one session and not yet acknowledged (XEP-0198); more closes the session with `policy-violation`.",
  },
  {
    path: "sm.ack-seconds",
    type: { kind: "int", min: 1, max: 3600 },
    default: 60,
    doc: "Time a client has to answer an acknowledgement request before its connection counts as dead (the session then hibernates or ends).",
  },
  {
    path: "csi.max-held",
    type: { kind: "int", min: 1, max: 10000 },
    default: 100,
    doc: "Stanzas held back for one inactive client (XEP-0352) before they are all sent anyway.",
  },
  {
    path: "scram.iterations",
    type: { kind: "int", min: 4096, max: 1000000 },
    default: 10000,
    doc: "PBKDF2 iterations for newly stored passwords.",
  },
  {
    path: "mam.max-page",
    type: { kind: "int", min: 1, max: 10000 },
    default: 250,
    doc: "Most messages in one page of a message archive query (XEP-0313); a bigger RSM `max` is lowered to it, and it is the page size when a query gives none.",
  },
  {
    path: "mam.default",
    type: { kind: "enum", values: ["always", "roster", "never"] },
    default: "always",
    doc: "Which messages are archived for users who set no preference: all, those with roster contacts, or none.",
  },
  {
    path: "mam.prefs-max-jids",
    type: { kind: "int", min: 0, max: 100000 },
    default: 1000,
    doc: "Most JIDs in one user's always/never archiving lists together.",
  },
  {
    path: "mam.retention-days",
    type: { kind: "int", min: 0, max: 36500 },
    default: 0,
    doc: "Archived messages older than this many days are deleted (checked at start and hourly); 0 keeps them forever.",
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
  register: {
    enabled: boolean;
    perAddressPerHour: number;
    passwordMinLength: number;
    passwordMaxLength: number;
  };
  roster: { maxItems: number; maxNameLength: number; maxGroupLength: number; maxGroups: number };
  presence: { maxPendingRequests: number; subscribePerMinute: number; maxDirected: number };
  sm: { resumeSeconds: number; maxQueue: number; ackSeconds: number };
  csi: { maxHeld: number };
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
