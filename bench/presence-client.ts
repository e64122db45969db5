// The presence benchmark's client side: a minimal c2s client that counts every stanza and byte
// the server sends it, and the server's CPU time from /proc (used by bench/presence.ts).

import { readdirSync, readFileSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { type TLSSocket, connect as tlsConnect } from "node:tls";

/** utime + stime of the server's process tree, in seconds. */
export function serverCpuS(pid: number): number {
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

export const attr = (st: string, name: string): string | undefined => {
  const head = st.slice(0, st.indexOf(">") + 1);
  const m = new RegExp(`\\s${name}=(?:'([^']*)'|"([^"]*)")`).exec(head);
  return m ? (m[1] ?? m[2]) : undefined;
};
const tagName = (st: string) => /^<([^\s/>]+)/.exec(st)?.[1] ?? "";
export const bare = (jid: string) => jid.split("/")[0]!;
export const textOf = (st: string, tag: string) =>
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

/** Where the clients connect and the accounts they use (user<i>@domain). */
export interface ClientConfig {
  host: string;
  port: number;
  domain: string;
  prefix: string;
  password: string;
}

/** A minimal c2s client: STARTTLS, SASL PLAIN, bind; counts what the server sends it. */
export class Client {
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

  /** Set while clients are being closed on purpose: a closed connection is not news then. */
  static quiet = false;

  constructor(
    readonly index: number,
    private readonly cfg: ClientConfig,
  ) {
    this.user = `${cfg.prefix}${index}`;
    this.jid = `${this.user}@${cfg.domain}`;
  }

  private header(): string {
    return `<?xml version='1.0'?><stream:stream to='${this.cfg.domain}' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>`;
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
      const s = connect({ host: this.cfg.host, port: this.cfg.port });
      s.setNoDelay(true);
      this.attach(s);
      s.once("connect", () => this.send(this.header()));
    });
  }
  private fail(why: string): void {
    if (this.phase === "online" && !this.failed) {
      if (!Client.quiet) console.log(`${this.user}: ${why}`);
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
        const plain = Buffer.from(`\0${this.user}\0${this.cfg.password}`).toString("base64");
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
        servername: this.cfg.domain,
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
