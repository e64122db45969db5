// Time from navigation to the contact list on localhost: the Hato web client next to Converse.js
// (the `converse.js` npm package), both signed in to the same Hato account with N contacts, in
// the same run, in Debian's Chromium.
//
//   node bench/dist/webclient.js [--contacts 50] [--rounds 7] [--results bench/RESULTS.md] [--json FILE]
//                                [--screenshots DIR]   (each client's page when its list showed)
//
// One Hato process (`hato start`, SQLite, the one TLS port, STARTTLS off) serves the Hato web
// client and the WebSocket; Converse's dist folder and a small index.html that calls
// `converse.initialize` come from a static HTTPS server of this script on another port, listed
// in Hato's allowed WebSocket origins (Hato's CSP does not apply to it). Every load is a fresh
// browser context (empty cache and storage); the rounds alternate which client goes first; one
// warm-up load of each is not counted. The clock is the page's own: `performance.now()` (zero is
// the navigation start) when the list holds N contacts, read at the next animation frame.

import { once } from "node:events";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer as createHttpsServer, type Server } from "node:https";
import { createRequire } from "node:module";
import { loadavg, tmpdir } from "node:os";
import { dirname, extname, join, normalize, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { createCa } from "@hato/cli";
import { Accounts } from "@hato/core";
import { openSqliteStorage } from "@hato/storage";
import { chromium, type Page } from "playwright-core";
import { CHROMIUM_ARGS } from "./chromium.js";
import { spawnServer } from "./webclient-server.js";

const REPO = fileURLToPath(new URL("../../", import.meta.url));
const CLI = join(REPO, "packages", "cli", "dist", "main.js");
const WEB_DIST = join(REPO, "packages", "web", "dist");

const { values } = parseArgs({
  options: {
    contacts: { type: "string", default: "50" },
    rounds: { type: "string", default: "7" },
    results: { type: "string" },
    json: { type: "string" },
    screenshots: { type: "string" },
  },
});
const N = Number(values.contacts);
const ROUNDS = Number(values.rounds);
const DOMAIN = "localhost";
const USER = "me";
const PASSWORD = "bench-pass";

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".wasm": "application/wasm",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".woff2": "font/woff2",
  ".woff": "font/woff",
  ".ttf": "font/ttf",
  ".mp3": "audio/mpeg",
  ".ogg": "audio/ogg",
};

/** Converse's page: its CSS and ES module from /dist/, signed in at once, full screen. */
export function converseIndex(wsUrl: string, jid: string, password: string): string {
  const opts = {
    websocket_url: wsUrl,
    discover_connection_methods: false,
    auto_login: true,
    jid,
    password,
    view_mode: "fullscreen",
    assets_path: "/dist/",
    auto_reconnect: false,
    i18n: "en",
    loglevel: "error",
    show_controlbox_by_default: true,
    play_sounds: false,
    show_desktop_notifications: false,
    persistent_store: "sessionStorage",
    // Its own account is not one of the N contacts (Hato's list does not show it either).
    show_self_in_roster: false,
  };
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Converse.js</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/dist/converse.min.css">
</head><body class="converse-fullscreen">
<script type="module">
import converse from "/dist/converse.min.js";
converse.initialize(${JSON.stringify(opts)});
</script>
</body></html>`;
}

/** A static HTTPS server for Converse's dist folder and its index.html. */
export async function serveConverse(
  tls: { cert: string; key: string },
  index: () => string,
): Promise<Server> {
  const dist = dirname(createRequire(import.meta.url).resolve("converse.js/dist/converse.min.js"));
  const server = createHttpsServer(tls, (req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? "/", "https://x").pathname);
    if (path === "/" || path === "/index.html") {
      res.writeHead(200, { "content-type": TYPES[".html"]!, "cache-control": "no-store" });
      res.end(index());
      return;
    }
    const file = normalize(join(dist, path.replace(/^\/dist\//, "/")));
    if (!path.startsWith("/dist/") || !file.startsWith(dist + sep)) {
      res.writeHead(404).end();
      return;
    }
    readFile(file).then(
      (body) => {
        res.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream" });
        res.end(body);
      },
      () => res.writeHead(404).end(),
    );
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return server;
}

/** The account and its N contacts, with mutual subscriptions, written before the server starts. */
async function seed(dataDir: string): Promise<void> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const storage = openSqliteStorage(join(dataDir, "hato.db"));
  try {
    const accounts = new Accounts(storage, DOMAIN, 4096);
    await accounts.add(`${USER}@${DOMAIN}`, PASSWORD);
    for (let i = 1; i <= N; i++) {
      const name = `contact${String(i).padStart(3, "0")}`;
      await accounts.add(`${name}@${DOMAIN}`, PASSWORD);
      await storage.roster.set(USER, `${name}@${DOMAIN}`, {
        jid: `${name}@${DOMAIN}`,
        subscription: "both",
        groups: [],
      });
      await storage.roster.set(name, `${USER}@${DOMAIN}`, {
        jid: `${USER}@${DOMAIN}`,
        subscription: "both",
        groups: [],
      });
    }
  } finally {
    await storage.close();
  }
}

/**
 * Records, in the page, `performance.now()` at the first animation frame after the contact list
 * holds `n` entries. Hato: the list named "Contacts" and its items; Converse: its
 * <converse-roster-contact> elements.
 */
function watcher(n: number): string {
  return `(() => {
  const n = ${n};
  const hato = () => {
    for (const l of document.querySelectorAll("ul, ol, [role=list]")) {
      const by = l.getAttribute("aria-labelledby");
      const name = l.getAttribute("aria-label") ?? (by ? document.getElementById(by)?.textContent?.trim() : null);
      if (name === "Contacts") return l.querySelectorAll("li, [role=listitem]").length;
    }
    return 0;
  };
  const converse = () => {
    // Entries below the fold render their content once scrolled to: the elements count, and
    // the first one must show its text.
    const items = [...document.querySelectorAll("converse-roster-contact")]
      .filter((e) => e.model?.get?.("jid") !== "${USER}@${DOMAIN}");
    return items.length && items[0].textContent.trim() ? items.length : 0;
  };
  const check = () => {
    if (globalThis.__listAt !== undefined || Math.max(hato(), converse()) < n) return;
    globalThis.__listAt = null;
    requestAnimationFrame(() => { globalThis.__listAt = performance.now(); });
    obs.disconnect();
  };
  const obs = new MutationObserver(check);
  obs.observe(document, { childList: true, subtree: true, characterData: true });
})();`;
}

type Client = "hato" | "converse";

async function load(
  browser: import("playwright-core").Browser,
  client: Client,
  url: string,
): Promise<number> {
  const context = await browser.newContext({
    ignoreHTTPSErrors: true,
    viewport: { width: 1280, height: 800 },
  });
  try {
    const page: Page = await context.newPage();
    page.setDefaultTimeout(60_000);
    await context.addInitScript({ content: watcher(N) });
    // Converse's sign-in page shows sponsor logos from its website: nothing leaves localhost.
    await context.route(/^https?:\/\/(?!localhost[:/])/, (r) => r.abort());
    await page.goto(url, { waitUntil: "commit" });
    if (client === "hato") {
      // The Hato web client asks for the address and password: the form is filled as soon as
      // it shows (a password manager's pace), and that time is counted.
      await page.getByLabel("Address").fill(`${USER}@${DOMAIN}`);
      await page.getByLabel("Password").fill(PASSWORD);
      await page.getByRole("button", { name: "Sign in" }).click();
    }
    // A function, not a string: the page's CSP (no unsafe-eval) refuses strings.
    await page.waitForFunction(
      () => typeof (globalThis as { __listAt?: unknown }).__listAt === "number",
      undefined,
      { timeout: 60_000, polling: 50 },
    );
    const at = (await page.evaluate("globalThis.__listAt")) as number;
    if (values.screenshots) {
      await mkdir(values.screenshots, { recursive: true });
      await page.screenshot({ path: join(values.screenshots, `${client}.png`) });
    }
    return at;
  } finally {
    await context.close();
  }
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

async function main(): Promise<void> {
  if (!existsSync(join(WEB_DIST, "index.html")))
    throw new Error(
      "packages/web/dist is missing: build the web client first (npx vite build in packages/web)",
    );
  const root = await mkdtemp(join(tmpdir(), "hato-webbench-"));
  const cleanup: (() => Promise<unknown>)[] = [() => rm(root, { recursive: true, force: true })];
  try {
    const ca = await createCa();
    const leaf = await ca.issue([DOMAIN]);
    const certFile = join(root, "localhost.pem");
    const keyFile = join(root, "localhost.key");
    await writeFile(certFile, leaf.cert);
    await writeFile(keyFile, leaf.key, { mode: 0o600 });
    const dataDir = join(root, "data");
    await seed(dataDir);

    let wsUrl = "";
    const staticServer = await serveConverse(leaf, () =>
      converseIndex(wsUrl, `${USER}@${DOMAIN}`, PASSWORD),
    );
    cleanup.unshift(() => new Promise((r) => staticServer.close(r)));
    const staticPort = (staticServer.address() as { port: number }).port;

    const hato = await spawnServer(CLI, root, {
      data: dataDir,
      domain: DOMAIN,
      host: "127.0.0.1",
      "c2s-port": "0",
      "tls-cert": certFile,
      "tls-key": keyFile,
      "log-level": "warn",
      "scram.iterations": "4096",
      "http.allowed-origins": `https://localhost:${staticPort}`,
      "web.root": WEB_DIST,
      // Dozens of page loads from 127.0.0.1 in a minute: the per-address HTTP limits are lifted.
      "http.requests-per-minute": "100000",
      "http.connections-per-address": "1000",
    });
    cleanup.unshift(() => hato.stop());
    wsUrl = `wss://localhost:${hato.tlsPort}/xmpp-websocket`;
    const urls: Record<Client, string> = {
      hato: `https://localhost:${hato.tlsPort}/`,
      converse: `https://localhost:${staticPort}/`,
    };

    const browser = await chromium.launch({
      executablePath: "/usr/bin/chromium",
      args: CHROMIUM_ARGS,
    });
    cleanup.unshift(() => browser.close());
    const times: Record<Client, number[]> = { hato: [], converse: [] };
    const loadBefore = loadavg()[0]!;
    for (const c of ["hato", "converse"] as const) {
      const ms = await load(browser, c, urls[c]);
      process.stdout.write(`warm-up ${c}: ${ms.toFixed(0)} ms\n`);
    }
    for (let r = 0; r < ROUNDS; r++) {
      const order: Client[] = r % 2 === 0 ? ["hato", "converse"] : ["converse", "hato"];
      for (const c of order) {
        const ms = await load(browser, c, urls[c]);
        times[c].push(ms);
        process.stdout.write(`round ${r + 1} ${c}: ${ms.toFixed(0)} ms\n`);
      }
    }
    const result = {
      date: new Date().toISOString(),
      loadBefore: loadBefore,
      loadAfter: loadavg()[0]!,
      contacts: N,
      rounds: ROUNDS,
      chromium: browser.version(),
      converse: JSON.parse(
        await readFile(
          join(
            dirname(createRequire(import.meta.url).resolve("converse.js/dist/converse.min.js")),
            "..",
            "package.json",
          ),
          "utf8",
        ),
      ).version as string,
      hatoMs: times.hato,
      converseMs: times.converse,
      hatoMedianMs: median(times.hato),
      converseMedianMs: median(times.converse),
    };
    const ratio = result.hatoMedianMs / result.converseMedianMs;
    process.stdout.write(
      `median: hato ${result.hatoMedianMs.toFixed(0)} ms, converse.js ${result.converseMedianMs.toFixed(0)} ms, hato/converse ${ratio.toFixed(2)}\n`,
    );
    if (values.json) await writeFile(values.json, JSON.stringify(result, null, 2) + "\n");
    if (values.results) await writeSection(values.results, report(result, ratio));
  } finally {
    for (const f of cleanup) await f().catch(() => undefined);
  }
}

interface Result {
  date: string;
  /** The machine's 1-minute load average before and after the rounds (other work running). */
  loadBefore: number;
  loadAfter: number;
  contacts: number;
  rounds: number;
  chromium: string;
  converse: string;
  hatoMs: number[];
  converseMs: number[];
  hatoMedianMs: number;
  converseMedianMs: number;
}

const BEGIN = "<!-- webclient:begin (bench/webclient.ts) -->";
const END = "<!-- webclient:end -->";

function report(r: Result, ratio: number): string {
  const ms = (xs: number[]) => xs.map((x) => x.toFixed(0)).join(", ");
  const range = (xs: number[]) => `${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)}`;
  return `${BEGIN}
## Web client: navigation to contact list

Generated by \`bench/webclient.ts\` (\`bash bench/webclient.sh\`); method in [docs/benchmarks.md](../docs/benchmarks.md#web-client-navigation-to-contact-list).

| figure | Hato/Converse.js | Hato web client | Converse.js ${r.converse} |
|---|---:|---:|---:|
| Navigation → contact list with ${r.contacts} contacts, median (lower is better) | **${ratio.toFixed(2)}×** ${ratio < 1 ? "✓" : "✗"} | ${r.hatoMedianMs.toFixed(0)} ms | ${r.converseMedianMs.toFixed(0)} ms |
| range over ${r.rounds} rounds | | ${range(r.hatoMs)} ms | ${range(r.converseMs)} ms |

- ${r.date.slice(0, 10)}, Chromium ${r.chromium} (Debian, headless), localhost; one Hato process serves the Hato client and the WebSocket for both; each load in a fresh browser context (cold cache), rounds alternate the order, one warm-up load each not counted; load average ${r.loadBefore.toFixed(1)} before the rounds, ${r.loadAfter.toFixed(1)} after (other work on the machine slows both alike, rounds being interleaved). The Hato time includes filling its sign-in form (Converse signs in by itself with \`auto_login\`).
- Rounds (ms): Hato ${ms(r.hatoMs)}; Converse.js ${ms(r.converseMs)}.
${END}`;
}

/** Replaces this benchmark's section in the results file (or appends it), leaving the rest. */
async function writeSection(file: string, section: string): Promise<void> {
  const old = existsSync(file) ? await readFile(file, "utf8") : "";
  const a = old.indexOf(BEGIN);
  const b = old.indexOf(END);
  const next =
    a >= 0 && b > a
      ? old.slice(0, a) + section + old.slice(b + END.length)
      : `${old.trimEnd()}\n\n${section}\n`;
  await writeFile(file, next);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().catch((err) => {
    process.stderr.write(`webclient bench failed: ${err instanceof Error ? err.stack : err}\n`);
    process.exit(1);
  });
}
