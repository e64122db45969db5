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

import { appendFileSync, readdirSync, readFileSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { type TLSSocket, connect as tlsConnect } from "node:tls";

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

/** utime + stime of the server's process tree, in seconds. */
function serverCpuS(pid: number): number {
  if (!pid) return Number.NaN;
  const children = new Map<number, number[]>();
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const st = readFileSync(`/proc/${d}/stat`, "utf8");
      const ppid = Number(st.slice(st.lastIndexOf(")") + 2).split(" ")[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(d)]);
    } catch {}
  }
  const tree = [pid];
  for (let i = 0; i < tree.length; i++) tree.push(...(children.get(tree[i]!) ?? []));
  let ticks = 0;
  for (const p of tree) {
    try {
      const f = readFileSync(`/proc/${p}/stat`, "utf8").split(") ")[1]!.split(" ");
      ticks += Number(f[11]) + Number(f[12]);
    } catch {}
  }
  return ticks / 100;
}

const attr = (st: string, name: string): string | undefined => {
  const head = st.slice(0, st.indexOf(">") + 1);
  const m = new RegExp(`\\s${name}=(?:'([^']*)'|"([^"]*)")`).exec(head);
  return m ? (m[1] ?? m[2]) : undefined;
};
const tagName = (st: string) => /^<([^\s/>]+)/.exec(st)?.[1] ?? "";
const bare = (jid: string) => jid.split("/")[0]!;
const textOf = (st: string, tag: string) =>
  new RegExp(`<${tag}(?:\\s[^>]*)?>([^<]*)</${tag}>`).exec(st)?.[1];

/** Splits a stream into top-level elements (stanzas), like bench/peers/bench.mjs. */
class Splitter {
  private buf = "";
  /** Where scanning resumes in `buf` (tags before it are counted already). */
  private i = 0;
  private depth = 0;
  private start = 0;
  constructor(private readonly onStanza: (st: string) => void) {}
  reset(): void {
    this.buf = "";
    this.i = 0;
    this.depth = 0;
  }
  feed(data: string): void {
    const buf = this.buf + data;
    let i = this.i;
    for (;;) {
      const lt = buf.indexOf("<", i);
      if (lt < 0 || lt + 1 >= buf.length) {
        i = lt < 0 ? buf.length : lt;
        break;
      }
      let end = -1;
      let q = 0;
      for (let j = lt + 1; j < buf.length; j++) {
        const c = buf.charCodeAt(j);
        if (q) {
          if (c === q) q = 0;
        } else if (c === 34 || c === 39) q = c;
        else if (c === 62) {
          end = j;
          break;
        }
      }
      if (end < 0) {
        i = lt;
        break;
      }
      i = end + 1;
      const c1 = buf.charCodeAt(lt + 1);
      if (c1 === 63 || c1 === 33) continue;
      if (c1 === 47) {
        this.depth--;
        if (this.depth === 1) this.onStanza(buf.slice(this.start, end + 1));
      } else if (buf.charCodeAt(end - 1) === 47) {
        if (this.depth === 1) this.onStanza(buf.slice(lt, end + 1));
      } else if (this.depth === 0) this.depth = 1;
      else {
        if (this.depth === 1) this.start = lt;
        this.depth++;
      }
      if (this.restarted) {
        this.restarted = false;
        const rest = buf.slice(i);
        this.reset();
        if (rest) this.feed(rest);
        return;
      }
    }
    const keep = this.depth > 1 ? this.start : i;
    this.buf = buf.slice(keep);
    this.i = i - keep;
    if (this.depth > 1) this.start = 0;
  }
  restarted = false;
}

let ids = 0;
class Client {
  readonly user: string;
  readonly jid: string;
  private sock: Socket | TLSSocket | undefined;
  private readonly splitter = new Splitter((st) => this.stanza(st));
  private readonly pending = new Map<string, (st: string) => void>();
  private ready: ((v?: unknown) => void) | undefined;
  private failed: ((e: Error) => void) | undefined;
  private phase: "stream" | "tls" | "auth" | "bind" | "online" = "stream";
  /** Counted while `counting`: every top-level element and every byte the server sent. */
  counting = false;
  stanzas = 0;
  presences = 0;
  bytes = 0;
  lastData = 0;
  onPresence: ((st: string) => void) | undefined;

  constructor(readonly index: number) {
    this.user = `${opt.prefix}${index}`;
    this.jid = `${this.user}@${opt.domain}`;
  }

  private header(): string {
    return `<?xml version='1.0'?><stream:stream to='${opt.domain}' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>`;
  }
  send(s: string): void {
    this.sock?.write(s);
  }
  private attach(sock: Socket | TLSSocket): void {
    this.sock = sock;
    sock.setEncoding("utf8");
    sock.on("data", (d: string) => {
      this.lastData = Date.now();
      if (this.counting) this.bytes += Buffer.byteLength(d);
      this.splitter.feed(d);
    });
    sock.on("error", (e) => this.fail(`socket: ${e.message}`));
    sock.on("close", () => this.fail("connection closed"));
  }
  login(): Promise<unknown> {
    return new Promise((resolve, reject) => {
      this.ready = resolve;
      this.failed = reject;
      const s = connect({ host: opt.host, port: opt.port });
      s.setNoDelay(true);
      this.attach(s);
      s.once("connect", () => this.send(this.header()));
    });
  }
  private fail(why: string): void {
    if (this.phase === "online" && !this.failed) {
      if (!closing) log(`${this.user}: ${why}`);
      return;
    }
    const f = this.failed;
    this.failed = undefined;
    f?.(new Error(`${this.user}: ${why}`));
  }
  iq(type: "get" | "set", inner: string): Promise<string> {
    const id = `i${++ids}`;
    this.send(`<iq type='${type}' id='${id}'>${inner}</iq>`);
    return new Promise((r) => this.pending.set(id, r));
  }
  private stanza(st: string): void {
    const name = tagName(st);
    if (this.phase === "online") {
      if (this.counting) this.stanzas++;
      if (name === "presence") {
        if (this.counting) this.presences++;
        this.onPresence?.(st);
        return;
      }
      if (name === "iq") {
        const id = attr(st, "id")!;
        const type = attr(st, "type");
        const waiter = this.pending.get(id);
        if (waiter && (type === "result" || type === "error")) {
          this.pending.delete(id);
          waiter(st);
        } else if (type === "set" && st.includes("jabber:iq:roster")) {
          this.send(`<iq type='result' id='${id}'/>`); // roster push
          this.onRosterPush?.(st);
        } else if (type === "get" || type === "set") {
          this.send(
            `<iq type='${st.includes("urn:xmpp:ping") ? "result" : "error"}' id='${id}' to='${attr(st, "from")}'>${st.includes("urn:xmpp:ping") ? "" : "<error type='cancel'><service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error>"}</iq>`,
          );
        }
      }
      return;
    }
    if (name === "stream:features") {
      if (this.phase === "stream" && st.includes("<starttls")) {
        this.phase = "tls";
        this.send("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
      } else if (this.phase === "stream" || this.phase === "tls") {
        this.phase = "auth";
        const plain = Buffer.from(`\0${this.user}\0${opt.password}`).toString("base64");
        this.send(
          `<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${plain}</auth>`,
        );
      } else if (this.phase === "bind") {
        const id = `b${++ids}`;
        this.send(
          `<iq type='set' id='${id}'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>bench</resource></bind></iq>`,
        );
        this.phase = "online";
        this.pending.set(id, () => {
          const r = this.ready;
          this.ready = undefined;
          this.failed = undefined;
          r?.();
        });
      }
    } else if (name === "proceed") {
      this.splitter.reset();
      const plainSock = this.sock!;
      plainSock.removeAllListeners("data");
      plainSock.removeAllListeners("close");
      plainSock.removeAllListeners("error");
      const t = tlsConnect({
        socket: plainSock as Socket,
        servername: opt.domain,
        rejectUnauthorized: false,
      });
      this.attach(t);
      t.once("secureConnect", () => this.send(this.header()));
      this.splitter.restarted = true;
    } else if (name === "success") {
      this.phase = "bind";
      this.splitter.restarted = true;
      this.send(this.header());
    } else if (name === "failure" || name === "stream:error") {
      this.fail(`refused: ${st.slice(0, 200)}`);
    }
  }
  onRosterPush: ((st: string) => void) | undefined;
  close(): void {
    this.sock?.end("</stream:stream>");
    const s = this.sock;
    setTimeout(() => s?.destroy(), 2000).unref();
  }
}

let closing = false;

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
  const clients = Array.from({ length: N }, (_, i) => new Client(i + 1));
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
      `<iq type='set' id='r${++ids}'><query xmlns='jabber:iq:roster'><item jid='${jid(b)}'/></query></iq>`,
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
  closing = true;
  for (const c of clients) c.close();
  await sleep(500);
  closing = false;
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
  closing = true;
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
