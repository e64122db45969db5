// Presence benchmark driver: N users with M mutual ("both") contacts each log in, then every user
// changes status K times; counts the stanzas and bytes each server sends per status change (on the
// client side) and the server's CPU time. Works against any XMPP server (Hato, Prosody, ejabberd).
//
//   node bench/dist/presence.js --port P --pid PID --users 200 --contacts 20 --changes 5 \
//     [--setup] [--json FILE --label TEXT]
//
// Rosters are made through the protocol itself (subscribe, subscribed both ways, RFC 6121 §3), so
// all three servers hold exactly the same rosters whatever their storage. `--setup` makes them
// (and checks them with a roster get); without it the rosters must already be there.
// Contacts form a ring: user i's contacts are i±1 .. i±M/2 (mod N).

import { appendFileSync } from "node:fs";
import { attr, bare, Client, serverCpuS, textOf } from "./presence-client.js";

interface Options {
  host: string;
  port: number;
  domain: string;
  prefix: string;
  password: string;
  users: number;
  contacts: number;
  changes: number;
  pid: number;
  setup: boolean;
  json: string;
  label: string;
  timeout: number;
}

function parseArgs(argv: string[]): Options {
  const o: Options = {
    host: "127.0.0.1",
    port: 5222,
    domain: "localhost",
    prefix: "user",
    password: "pass",
    users: 100,
    contacts: 10,
    changes: 5,
    pid: 0,
    setup: false,
    json: "",
    label: "",
    timeout: 120,
  };
  for (let i = 0; i < argv.length; i++) {
    const key = argv[i]!.replace(/^--/, "");
    if (key === "setup") {
      o.setup = true;
      continue;
    }
    if (!(key in o)) throw new Error(`presence: unknown option --${key}`);
    const value = argv[++i];
    if (value === undefined) throw new Error(`presence: --${key} needs a value`);
    const rec = o as unknown as Record<string, unknown>;
    rec[key] = typeof rec[key] === "number" ? Number(value) : value;
  }
  if (o.contacts % 2 !== 0 || o.contacts < 2 || o.contacts >= o.users)
    throw new Error("presence: --contacts must be even, at least 2 and below --users");
  return o;
}

const opt = parseArgs(process.argv.slice(2));
const log = (...a: unknown[]) => console.log(`[${new Date().toISOString().slice(11, 19)}]`, ...a);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs `fn` over `items`, at most `limit` at a time. */
async function pool<T>(items: T[], limit: number, fn: (x: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

/** Polls `done` until true; fails after the driver's --timeout with `what`. */
async function until(done: () => boolean, what: () => string): Promise<void> {
  const deadline = Date.now() + opt.timeout * 1000;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`presence: timed out waiting for ${what()}`);
    await sleep(20);
  }
}

const N = opt.users;
const half = opt.contacts / 2;
const contactsOf = (i: number) => {
  const out: number[] = [];
  for (let d = 1; d <= half; d++) out.push(((i - 1 + d) % N) + 1, ((i - 1 - d + N) % N) + 1);
  return out;
};

async function loginAll(): Promise<Client[]> {
  const clients = Array.from({ length: N }, (_, i) => new Client(i + 1, opt));
  await pool(clients, 50, (c) => c.login());
  return clients;
}

/** Makes every ring pair mutual ("both") through the protocol, then checks every roster. */
async function setupRosters(): Promise<void> {
  const clients = await loginAll();
  const jid = (i: number) => clients[i - 1]!.jid;
  const got = clients.map(() => new Map<string, number>()); // "type from" -> count
  for (const c of clients) {
    c.onPresence = (st) => {
      const key = `${attr(st, "type") ?? "available"} ${bare(attr(st, "from") ?? "")}`;
      got[c.index - 1]!.set(key, (got[c.index - 1]!.get(key) ?? 0) + 1);
    };
  }
  // Subscription requests go to available resources (RFC 6121 §3.1.3): be available.
  for (const c of clients) c.send("<presence/>");
  const pairs: [number, number][] = [];
  for (let a = 1; a <= N; a++)
    for (let d = 1; d <= half; d++) pairs.push([a, ((a - 1 + d) % N) + 1]);
  const has = (i: number, key: string) => (got[i - 1]!.get(key) ?? 0) > 0;
  for (const [a, b] of pairs) {
    clients[a - 1]!.send(
      `<iq type='set' id='r${a}-${b}'><query xmlns='jabber:iq:roster'><item jid='${jid(b)}'/></query></iq>`,
    );
    clients[a - 1]!.send(`<presence to='${jid(b)}' type='subscribe'/>`);
  }
  await until(
    () => pairs.every(([a, b]) => has(b, `subscribe ${jid(a)}`)),
    () => "subscription requests",
  );
  for (const [a, b] of pairs) {
    clients[b - 1]!.send(`<presence to='${jid(a)}' type='subscribed'/>`);
    clients[b - 1]!.send(`<presence to='${jid(a)}' type='subscribe'/>`);
  }
  await until(
    () => pairs.every(([a, b]) => has(a, `subscribe ${jid(b)}`)),
    () => "subscription requests back",
  );
  for (const [a, b] of pairs) clients[a - 1]!.send(`<presence to='${jid(b)}' type='subscribed'/>`);
  // Every roster now holds its M contacts with subscription both.
  let wrong = "";
  const deadline = Date.now() + opt.timeout * 1000;
  for (;;) {
    const rosters = await Promise.all(
      clients.map((c) => c.iq("get", "<query xmlns='jabber:iq:roster'/>")),
    );
    const bad = rosters.findIndex((r, i) => {
      const both = [...r.matchAll(/<item\s[^>]*>/g)].filter((m) =>
        /subscription=['"]both['"]/.test(m[0]),
      );
      return (
        both.length !== opt.contacts ||
        !contactsOf(i + 1).every((k) => r.includes(`'${jid(k)}'`) || r.includes(`"${jid(k)}"`))
      );
    });
    if (bad < 0) break;
    wrong = `${clients[bad]!.user}: ${rosters[bad]!.slice(0, 400)}`;
    if (Date.now() > deadline) throw new Error(`presence: rosters not set up: ${wrong}`);
    await sleep(200);
  }
  Client.quiet = true;
  for (const c of clients) c.close();
  await sleep(500);
  Client.quiet = false;
  log(`rosters: ${N} users with ${opt.contacts} contacts each (subscription both)`);
}

async function measure(): Promise<void> {
  const clients = await loginAll();
  log(`${N} users logged in`);
  // Latest status text seen by each client from each contact (bare JID -> status).
  const seen = clients.map(() => new Map<string, string>());
  for (const c of clients) {
    c.onPresence = (st) => {
      const from = attr(st, "from");
      if (!from || attr(st, "type")) return;
      seen[c.index - 1]!.set(bare(from), textOf(st, "status") ?? "");
    };
  }
  // Initial presence (not measured): everyone sees everyone's first status.
  for (const c of clients) c.send("<presence><status>s0</status></presence>");
  const allSee = (status: string) =>
    clients.every((c) =>
      contactsOf(c.index).every((k) => seen[c.index - 1]!.get(clients[k - 1]!.jid) === status),
    );
  await until(
    () => allSee("s0"),
    () => "initial presence",
  );
  await sleep(300);

  for (const c of clients) c.counting = true;
  const cpu0 = serverCpuS(opt.pid);
  const t0 = Date.now();
  const shows = ["away", "xa", "dnd", "chat"];
  for (let k = 1; k <= opt.changes; k++) {
    const show = shows[(k - 1) % shows.length];
    for (const c of clients)
      c.send(`<presence><show>${show}</show><status>s${k}</status></presence>`);
    await until(
      () => allSee(`s${k}`),
      () => `status change ${k}`,
    );
  }
  // Anything the server still sends for this work (a quiet period ends it).
  const quietSince = () => Math.max(...clients.map((c) => c.lastData));
  while (Date.now() - quietSince() < 300) await sleep(50);
  const cpu1 = serverCpuS(opt.pid);
  const elapsed = (Date.now() - t0) / 1000;
  for (const c of clients) c.counting = false;

  const changes = N * opt.changes;
  const sum = (f: (c: Client) => number) => clients.reduce((a, c) => a + f(c), 0);
  const result = {
    label: opt.label,
    mode: "presence",
    users: N,
    contacts: opt.contacts,
    changes_per_user: opt.changes,
    status_changes: changes,
    stanzas_per_change: sum((c) => c.stanzas) / changes,
    presence_per_change: sum((c) => c.presences) / changes,
    bytes_per_change: sum((c) => c.bytes) / changes,
    server_cpu_ms_per_change: ((cpu1 - cpu0) * 1000) / changes,
    server_cpu_s: cpu1 - cpu0,
    elapsed_s: elapsed,
  };
  log(JSON.stringify(result));
  if (opt.json) appendFileSync(opt.json, `${JSON.stringify(result)}\n`);
  Client.quiet = true;
  for (const c of clients) c.close();
}

try {
  if (opt.setup) await setupRosters();
  await measure();
  setTimeout(() => process.exit(0), 2500).unref();
} catch (err) {
  console.error((err as Error).message);
  const row = {
    label: opt.label,
    mode: "presence",
    users: N,
    contacts: opt.contacts,
    error: (err as Error).message,
  };
  if (opt.json) appendFileSync(opt.json, `${JSON.stringify(row)}\n`);
  process.exit(1);
}
