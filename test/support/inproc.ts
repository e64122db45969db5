// In-process server and a raw XMPP client for transcript-style scenario tests (RFC 6120).

import { once } from "node:events";
import { createServer, connect as netConnect, type Socket } from "node:net";
import { type TLSSocket, connect as tlsConnect } from "node:tls";
import { createCa, type PemPair } from "@hato/cli";
import {
  Accounts,
  type Config,
  createLogger,
  type HatoModule,
  loadConfig,
  Server,
} from "@hato/core";
import { defaultModules } from "@hato/modules";
import { createScramClient } from "@hato/sasl";
import { type AuditEntry, openMemoryStorage, type Storage } from "@hato/storage";
import { type Element, NS_BIND, NS_CLIENT, NS_SASL, NS_SM, NS_TLS, StreamParser } from "@hato/xml";

let caPromise: Promise<{ ca: string; leaf: PemPair }> | undefined;
/** A test CA and a certificate for localhost under it, made once per process. */
export function testCa(): Promise<{ ca: string; leaf: PemPair }> {
  caPromise ??= (async () => {
    const ca = await createCa();
    return { ca: ca.cert, leaf: await ca.issue(["localhost"]) };
  })();
  return caPromise;
}

/** A free loopback port, chosen by the system (port 0 means "off" in Hato's settings). */
export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

export interface TestServer {
  server: Server;
  storage: Storage;
  config: Config;
  c2sPort: number;
  tlsPort: number;
  /** The XEP-0114 component port; 0 unless `component-port` was given. */
  componentPort: number;
  ca: string;
  addUser(name: string, password: string): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts a server on loopback with memory storage; `flags` override settings by path, and
 * `extraModules` load after the default ones (stand-ins for modules a test needs); one with a
 * default module's name replaces it (an upload module with a test scanner).
 */
export async function startServer(
  flags: Record<string, string> = {},
  storage?: Storage,
  extraModules: readonly HatoModule[] = [],
): Promise<TestServer> {
  const { ca, leaf } = await testCa();
  const store = storage ?? openMemoryStorage();
  const log = createLogger(process.env.HATO_TEST_LOG === "1" ? "debug" : "error");
  // A port that freePort() found free may be taken by another test process before the server
  // binds it: then the server is started again on other ports (only on ports it chose itself).
  for (let attempt = 1; ; attempt++) {
    const config = loadConfig({
      flags: new Map(
        Object.entries({
          host: "127.0.0.1",
          "c2s-port": String(await freePort()),
          "tls-port": String(await freePort()),
          "scram.iterations": "4096",
          // RawClient is a wire-level harness that answers nothing by itself, and many tests
          // read exactly what arrives: the server's XEP-0092 question to every new session
          // (on by default) would be an unexpected stanza there. Tests of client identity
          // turn it on; `clients.allowed` asks regardless.
          "sessions.ask-client-version": "false",
          ...flags,
        }),
      ),
    });
    const server = new Server({
      config,
      storage: store,
      log,
      modules: [
        ...defaultModules.filter((m) => !extraModules.some((e) => e.name === m.name)),
        ...extraModules,
      ],
      secret: Buffer.alloc(32, 7),
      tls: leaf,
    });
    let ports: Awaited<ReturnType<Server["start"]>>;
    try {
      ports = await server.start();
    } catch (err) {
      const chosenByUs = !("c2s-port" in flags) && !("tls-port" in flags);
      if (attempt < 5 && chosenByUs && /EADDRINUSE/.test((err as Error).message)) {
        await server.stop();
        continue;
      }
      throw err;
    }
    const accounts = new Accounts(store, config.domain, config.scram.iterations);
    return {
      server,
      storage: store,
      config,
      c2sPort: ports.c2s,
      tlsPort: ports.tls,
      componentPort: ports.component,
      ca,
      addUser: async (name, password) => void (await accounts.add(name, password)),
      stop: () => server.stop(),
    };
  }
}

/** A deliberately low-level client: the test says exactly what goes on the wire. */
export class RawClient {
  socket: Socket;
  readonly received: Element[] = [];
  streamHeader: Element | undefined;
  closed = false;
  error: { condition: string; text: string } | undefined;
  /** Stanzas (message, presence, iq) received on this connection. */
  stanzaCount = 0;
  /** XEP-0198: the stanza count when stream management started (so h = count - base). */
  smBase = 0;
  /** XEP-0198: answer the server's <r/> with <a h/> at once. */
  autoAck = false;
  /** The stanza count when <enabled/> or <resumed/> arrived. */
  private smMark = 0;
  private waiters: (() => void)[] = [];
  private parser: StreamParser;

  private constructor(socket: Socket) {
    this.socket = socket;
    this.parser = new StreamParser(
      {
        streamStart: (root) => {
          this.streamHeader = root;
          this.wake();
        },
        stanza: (el) => {
          if (el.xmlns === NS_CLIENT && ["message", "presence", "iq"].includes(el.name))
            this.stanzaCount++;
          // Counting starts here, not when a test reads the answer: stanzas resent right
          // after <resumed/> may arrive in the same read.
          if (el.xmlns === NS_SM && (el.name === "enabled" || el.name === "resumed"))
            this.smMark = this.stanzaCount;
          if (this.autoAck && el.name === "r" && el.xmlns === NS_SM) {
            this.send(`<a xmlns='${NS_SM}' h='${this.handled}'/>`);
            return;
          }
          this.received.push(el);
          this.wake();
        },
        streamEnd: () => {
          this.closed = true;
          this.wake();
        },
        error: (e) => {
          this.error = e;
          this.wake();
        },
      },
      { maxStanzaBytes: 64 * 1024 * 1024 },
    );
    this.attach(socket);
  }

  private attach(socket: Socket): void {
    socket.on("data", (d: Buffer) => this.parser.write(d));
    socket.on("close", () => {
      this.closed = true;
      this.wake();
    });
    socket.on("error", () => {});
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** Connects to the STARTTLS port (plain TCP) or, with `tls`, to the direct-TLS port. */
  static async connect(port: number, opts: { tls?: { ca: string } } = {}): Promise<RawClient> {
    const socket = opts.tls
      ? tlsConnect({
          host: "127.0.0.1",
          port,
          ca: opts.tls.ca,
          servername: "localhost",
          ALPNProtocols: ["xmpp-client"],
        })
      : netConnect({ host: "127.0.0.1", port });
    await once(socket, opts.tls ? "secureConnect" : "connect");
    return new RawClient(socket);
  }

  send(text: string | Buffer): void {
    this.socket.write(text);
  }

  open(to = "localhost"): void {
    this.send(
      `<?xml version='1.0'?><stream:stream to='${to}' version='1.0' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>`,
    );
  }

  /** Waits until an element matching `pred` arrives (and removes it from `received`). */
  async expect(
    pred: (el: Element) => boolean,
    what = "element",
    timeoutMs = 20_000,
  ): Promise<Element> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.received.findIndex(pred);
      if (i >= 0) return this.received.splice(i, 1)[0]!;
      if (this.closed)
        throw new Error(`stream closed while waiting for ${what}; got ${this.describe()}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}; got ${this.describe()}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Expects the next element named `name` (any namespace). */
  expectName(name: string, timeoutMs?: number): Promise<Element> {
    return this.expect((el) => el.name === name, `<${name}/>`, timeoutMs);
  }

  /** Waits for a stream error and the close; returns the condition and text. */
  async expectStreamError(
    timeoutMs = 20_000,
  ): Promise<{ condition: string; text: string | undefined }> {
    const err = await this.expect(
      (el) => el.name === "error" && el.xmlns === "http://etherx.jabber.org/streams",
      "stream error",
      timeoutMs,
    );
    const cond = err.elements().find((c) => c.name !== "text")!;
    return { condition: cond.name, text: err.getChildText("text") };
  }

  /** Waits until the server closed the connection. */
  async expectClosed(timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    if (!this.closed) throw new Error("connection still open");
  }

  private describe(): string {
    return this.received.map((e) => `<${e.name} xmlns='${e.xmlns}'>`).join(", ") || "nothing";
  }

  /** Negotiates STARTTLS on a plain connection. */
  async starttls(ca: string): Promise<void> {
    this.open();
    await this.expectName("features");
    this.send(`<starttls xmlns='${NS_TLS}'/>`);
    await this.expectName("proceed");
    this.socket.removeAllListeners("data");
    const secure = tlsConnect({ socket: this.socket, ca, servername: "localhost" });
    await once(secure, "secureConnect");
    this.socket = secure as TLSSocket;
    this.parser.reset();
    this.attach(secure);
  }

  /** SCRAM (SHA-256 by default) on a TLS stream, then the stream restart. */
  async authenticate(
    user: string,
    password: string,
    mechanism = "SCRAM-SHA-256",
  ): Promise<Element> {
    this.open();
    const features = await this.expectName("features");
    const scram = createScramClient(mechanism, { username: user, password });
    this.send(
      `<auth xmlns='${NS_SASL}' mechanism='${mechanism}'>${scram.first().toString("base64")}</auth>`,
    );
    const challenge = await this.expect(
      (e) => e.name === "challenge" || e.name === "failure",
      "challenge",
    );
    if (challenge.name === "failure") return challenge;
    const final = scram.final(Buffer.from(challenge.text(), "base64"));
    this.send(`<response xmlns='${NS_SASL}'>${final.toString("base64")}</response>`);
    const outcome = await this.expect(
      (e) => e.name === "success" || e.name === "failure",
      "success",
    );
    if (outcome.name === "success") this.parser.reset();
    void features;
    return outcome;
  }

  /** Binds a resource and sends initial presence when asked; returns the full JID. */
  async bind(resource?: string, presence = true): Promise<string> {
    this.open();
    await this.expectName("features");
    const r = resource === undefined ? "" : `<resource>${resource}</resource>`;
    this.send(`<iq type='set' id='bind1'><bind xmlns='${NS_BIND}'>${r}</bind></iq>`);
    const res = await this.expect(
      (e) => e.name === "iq" && e.attr("id") === "bind1",
      "bind result",
    );
    const jid = res.getChild("bind", NS_BIND)?.getChildText("jid");
    if (!jid) throw new Error("bind failed");
    if (presence) this.send("<presence/>");
    return jid;
  }

  /** XEP-0198: stanzas handled since stream management started (the h this client reports). */
  get handled(): number {
    return this.stanzaCount - this.smBase;
  }

  /** XEP-0198: enables stream management (with resumption by default); returns <enabled/>. */
  async enableSm(resume = true): Promise<Element> {
    this.send(`<enable xmlns='${NS_SM}'${resume ? " resume='true'" : ""}/>`);
    const answer = await this.expect(
      (e) => e.xmlns === NS_SM && (e.name === "enabled" || e.name === "failed"),
      "<enabled/>",
    );
    this.smBase = this.smMark;
    return answer;
  }

  /**
   * XEP-0198 §5: a new connection (STARTTLS, SASL) that asks to resume `previd`, reporting
   * `h` stanzas handled; returns the client and the server's <resumed/>, <failed/> or
   * stream error.
   */
  static async resume(
    t: TestServer,
    user: string,
    password: string,
    previd: string,
    h: number,
    port = t.c2sPort,
  ): Promise<{ client: RawClient; answer: Element }> {
    const client = await RawClient.connect(port);
    await client.starttls(t.ca);
    const outcome = await client.authenticate(user, password);
    if (outcome.name !== "success") throw new Error(`login failed for ${user}`);
    client.open();
    await client.expectName("features");
    client.send(`<resume xmlns='${NS_SM}' previd='${previd}' h='${h}'/>`);
    const answer = await client.expect(
      (e) =>
        (e.xmlns === NS_SM && (e.name === "resumed" || e.name === "failed")) ||
        (e.name === "error" && e.xmlns === "http://etherx.jabber.org/streams"),
      "<resumed/>",
    );
    client.smBase = client.smMark - h;
    return { client, answer };
  }

  /** Connect, STARTTLS, authenticate, bind: a ready session. */
  static async login(
    t: TestServer,
    user: string,
    password: string,
    resource?: string,
    presence = true,
    port = t.c2sPort,
  ): Promise<{ client: RawClient; jid: string }> {
    const client = await RawClient.connect(port);
    await client.starttls(t.ca);
    const outcome = await client.authenticate(user, password);
    if (outcome.name !== "success") throw new Error(`login failed for ${user}`);
    const jid = await client.bind(resource, presence);
    return { client, jid };
  }

  close(): void {
    if (!this.closed) this.socket.end("</stream:stream>");
    this.socket.destroy();
  }
}

/**
 * Makes `a` and `b` mutual contacts (subscription `both`) straight in storage, for tests about
 * something else than subscribing; `names` are the roster names each gives the other.
 */
export async function mutualContacts(
  t: TestServer,
  a: string,
  b: string,
  names: { a?: string; b?: string } = {},
): Promise<void> {
  const item = (peer: string, name: string | undefined) => ({
    jid: `${peer}@localhost`,
    ...(name === undefined ? {} : { name }),
    subscription: "both" as const,
    groups: [],
  });
  await t.storage.roster.set(a, `${b}@localhost`, item(b, names.b));
  await t.storage.roster.set(b, `${a}@localhost`, item(a, names.a));
}

/**
 * Waits until the server's audit log holds an entry that `match` accepts (the log is written by
 * asynchronous observers, so an entry may land just after the stanza that caused it).
 */
export async function auditEntryWhere(
  t: TestServer,
  match: (e: AuditEntry) => boolean,
): Promise<AuditEntry> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const found = (await t.storage.audit.list({ limit: 10_000 })).find(match);
    if (found) return found;
    if (Date.now() > deadline) throw new Error("no such audit entry");
    await new Promise((r) => setTimeout(r, 20));
  }
}
