// The server: wires configuration, storage, modules and listeners together.

import type { KeyObject } from "node:crypto";
import { createServer as createTcpServer, type Server as NetServer, type Socket } from "node:net";
import { createSecureContext, TLSSocket } from "node:tls";
import { jid as makeJid } from "@hato/jid";
import { makeFakeSalt } from "@hato/sasl";
import type { Storage } from "@hato/storage";
import type { Element } from "@hato/xml";
import { AdminApi } from "./admin/api.js";
import { auditServerEvents } from "./audit/events.js";
import { AuditLog } from "./audit/log.js";
import type { C2sContext } from "./c2s/context.js";
import { Resumptions } from "./c2s/sm.js";
import { C2sStream } from "./c2s/stream.js";
import { TcpFraming } from "./c2s/tcp-framing.js";
import { ComponentRegistry } from "./component/registry.js";
import { type ComponentContext, ComponentStream } from "./component/stream.js";
import type { Config } from "./config.js";
import { HatoError, HatoErrors, StreamError } from "./errors.js";
import { EventBus, Priority } from "./events.js";
import { ALPN_PROTOCOLS, classify } from "./http/demux.js";
import { secureHeaders, sendJson } from "./http/headers.js";
import { hostMetaHandlers } from "./http/host-meta.js";
import { ADMIN_PAGES, ADMIN_PREFIX, CHAT_PAGES } from "./http/pages.js";
import { HttpRouter } from "./http/router.js";
import { HttpService } from "./http/service.js";
import { resolveWebRoot, staticFiles } from "./http/static.js";
import { XmppWebSockets } from "./http/websocket.js";
import { Invites } from "./invites.js";
import { AuthThrottle, Gauge, Sweeper } from "./limits.js";
import type { Logger } from "./logger.js";
import { createModuleApi, type HatoModule, type Identity, type ModuleHost } from "./module-api.js";
import type { Policy } from "./policy/compile.js";
import { policyModule } from "./policy/enforce.js";
import { PolicyStore, type ReloadResult } from "./policy/store.js";
import { DenialCoalescer, LoginLimiter, UserRates } from "./rates.js";
import { Router } from "./router.js";
import { SessionRegistry } from "./session.js";

export interface ServerOptions {
  config: Config;
  storage: Storage;
  log: Logger;
  modules: HatoModule[];
  /** The organisation's policy; by default read from the config file's `policy` section. */
  policy?: PolicyStore;
  /** Secret bytes for deterministic fake salts (unknown users look like known ones). */
  secret: Buffer;
  /** PEM certificate chain and key. */
  tls: { cert: string; key: string };
  /**
   * The Ed25519 private key that signs the audit log's head (kept outside the database:
   * `audit-key.pem` in the data folder). Without it entries are chained but no head is signed.
   */
  auditKey?: KeyObject;
}

/** The ports actually bound (useful when 0 asked the system to choose). */
export interface BoundPorts {
  c2s: number;
  tls: number;
  /** The external component port (XEP-0114); 0 when off. */
  component: number;
}

/** A running Hato server. */
export class Server {
  readonly config: Config;
  readonly storage: Storage;
  readonly log: Logger;
  readonly sessions = new SessionRegistry();
  /** The organisation's policy (docs/policy.md), swapped whole on reload. */
  readonly policy: PolicyStore;
  readonly bus: EventBus;
  readonly router: Router;
  readonly features = new Set<string>();
  readonly identities: Identity[] = [];
  /** XEP-0128 forms of the server's disco#info (upload's max-file-size). */
  readonly infoForms: Element[] = [];
  /** Features of every account's bare JID (XEP-0030 queries to user@domain). */
  readonly accountFeatures = new Set<string>();
  /** External components (XEP-0114): configured secrets and live connections. */
  readonly components: ComponentRegistry;
  private readonly sweeper = new Sweeper();
  /** Direct-TLS connections per address whose handshake has not finished. */
  private readonly handshaking = new Gauge();
  private readonly listeners: NetServer[] = [];
  private readonly unloaders: (() => Promise<void>)[] = [];
  private readonly sockets = new Set<Socket>();
  private readonly ctx: C2sContext;
  /** HTTP routes of the one port (modules add theirs with api.handleHttp). */
  readonly http = new HttpRouter();
  /** The folder the web client is served from (known after start); undefined when there is none. */
  webRoot: string | undefined;
  /** The folder the admin console is served from (known after start); undefined when none. */
  adminRoot: string | undefined;
  private httpService: HttpService | undefined;
  /** The tamper-evident audit log (logins, sessions, verdicts, admin actions). */
  readonly audit: AuditLog;
  /** The admin API under /admin/api/ and /metrics (docs/admin-api.md); set at start. */
  admin: AdminApi | undefined;
  /**
   * Logins per minute per client address, as the policy's base rule
   * `rate-limits.logins-per-minute-per-address` says; XMPP's SASL and the admin console's
   * login both take from it.
   */
  readonly logins: LoginLimiter;
  private readonly denials: DenialCoalescer;
  /** Invite links (docs/invites.md): create, list, revoke; redeemed by in-band registration. */
  readonly invites: Invites;

  constructor(private readonly opts: ServerOptions) {
    this.config = opts.config;
    this.storage = opts.storage;
    this.log = opts.log;
    this.policy = opts.policy ?? openPolicy(this.config);
    this.bus = new EventBus((owner, event, err) =>
      this.log.error("handler failed", { module: owner, event, err }),
    );
    const serverJid = makeJid(this.config.domain);
    this.router = new Router(this.config.domain, this.bus, serverJid, this.log.child("router"));
    this.components = new ComponentRegistry(this.config.components);
    this.router.external = this.components;
    const auditOpts = {
      store: this.storage.audit,
      signEveryEntries: this.config.audit.signEveryEntries,
      signEverySeconds: this.config.audit.signEverySeconds,
      log: this.log.child("audit"),
    };
    this.audit = new AuditLog(
      opts.auditKey === undefined ? auditOpts : { ...auditOpts, key: opts.auditKey },
    );
    auditServerEvents(this.bus, this.audit);
    this.invites = new Invites(this.storage, this.config, this.bus);
    const context = createSecureContext({
      cert: opts.tls.cert,
      key: opts.tls.key,
      minVersion: "TLSv1.2",
    });
    const throttle = new AuthThrottle(
      this.config.limits.authFailuresPerAddress,
      this.config.limits.authFailuresPerAccount,
    );
    this.sweeper.every(() => throttle.expire());
    const policy = this.policy;
    this.logins = new LoginLimiter(() => policy.current.base.rateLimits.loginsPerMinutePerAddress);
    this.denials = new DenialCoalescer((d) => void this.bus.fire("policy-denied", d));
    const rates = new UserRates((u) =>
      ratesInUse(policy.current) ? policy.current.forUser(u).rules.rateLimits : NO_RATES,
    );
    this.sweeper.every(() => this.logins.expire());
    this.sweeper.every(() => this.denials.flush());
    // A user's buckets live while the user has a session: memory follows who is online.
    this.bus.on(
      "session-closed",
      ({ session }) => {
        if (this.sessions.countOfUser(session.username) === 0) rates.forget(session.username);
        return false;
      },
      Priority.OBSERVE,
      "core",
    );
    const { limits } = this.config;
    this.ctx = {
      domain: this.config.domain,
      serverJid,
      config: this.config,
      log: this.log.child("c2s"),
      storage: this.storage,
      sessions: this.sessions,
      policy: this.policy,
      router: this.router,
      bus: this.bus,
      tls: { context, certDer: pemToDer(opts.tls.cert) },
      sweeper: this.sweeper,
      throttle,
      unauthenticated: new Gauge(),
      fakeSalt: makeFakeSalt(opts.secret),
      parserLimits: {
        maxStanzaBytes: limits.stanzaBytes,
        maxDepth: limits.depth,
        maxAttributes: limits.attributes,
        maxChildren: limits.children,
      },
      extensions: { features: { auth: [], bind: [] }, preauthIq: new Map() },
      resumptions: new Resumptions(),
      rates,
      logins: this.logins,
      denials: this.denials,
    };
  }

  /** Loads the modules and opens the listeners. */
  async start(): Promise<BoundPorts> {
    await this.builtInRoutes(); // first: a bad web.root stops the start before anything loads
    const host: ModuleHost = {
      domain: this.config.domain,
      serverJid: this.ctx.serverJid,
      config: this.config,
      log: this.log,
      storage: this.storage,
      sessions: this.sessions,
      policy: this.policy,
      bus: this.bus,
      router: this.router,
      features: this.features,
      identities: this.identities,
      infoForms: this.infoForms,
      accountFeatures: this.accountFeatures,
      streams: this.ctx.extensions,
      components: this.components,
      http: this.http,
    };
    for (const m of [policyModule, ...this.opts.modules]) {
      const { api, unload } = createModuleApi(host, m.name);
      try {
        await m.load(api);
      } catch (err) {
        throw new HatoError(
          HatoErrors.MODULE_FAILED,
          `module ${m.name} failed to load: ${(err as Error).message}`,
        );
      }
      this.unloaders.push(unload);
    }
    const { host: address, c2sPort, tlsPort, componentPort, componentHost } = this.config;
    const ports: BoundPorts = { c2s: 0, tls: 0, component: 0 };
    if (c2sPort !== 0) {
      const s = createTcpServer((socket) => this.accept(socket));
      ports.c2s = await this.listen(s, address, c2sPort, "c2s");
    }
    if (tlsPort !== 0) {
      this.httpService = new HttpService({
        config: this.config,
        log: this.log.child("http"),
        sweeper: this.sweeper,
        router: this.http,
        websockets: new XmppWebSockets(this.ctx),
      });
      const s = createTcpServer((raw) => this.acceptTls(raw));
      ports.tls = await this.listen(s, address, tlsPort, "tls");
    }
    if (componentPort !== 0) {
      // Plaintext with a shared secret (XEP-0114): its own address, loopback unless changed.
      const cctx: ComponentContext = {
        config: this.config,
        log: this.log.child("component"),
        router: this.router,
        registry: this.components,
        sweeper: this.sweeper,
        parserLimits: this.ctx.parserLimits,
        unauthenticated: this.ctx.unauthenticated,
      };
      const s = createTcpServer((socket) => {
        this.sockets.add(socket);
        socket.once("close", () => this.sockets.delete(socket));
        socket.on("error", () => {});
        new ComponentStream(cctx, socket);
      });
      ports.component = await this.listen(s, componentHost, componentPort, "component");
    }
    this.policy.watch((r, before) => {
      // The admin console's own writes come back as file changes: nothing new to announce.
      if (r.ok && JSON.stringify(r.policy.doc) === JSON.stringify(before.doc)) return;
      this.policyReloaded("file", r, before);
    });
    this.bus.fire("server-started", {});
    return ports;
  }

  /** The server's own HTTP routes, registered the way modules register theirs. */
  private async builtInRoutes(): Promise<void> {
    const hostMeta = hostMetaHandlers(this.config.http.publicHost);
    this.http.add("core", "/.well-known/host-meta", hostMeta.xrd);
    this.http.add("core", "/.well-known/host-meta.json", hostMeta.jrd);
    this.http.add("core", "/health", (_req, res) => sendJson(res, 200, { status: "ok" }));
    const root = await resolveWebRoot(this.config.web.root);
    this.webRoot = root;
    const files = staticFiles(root, CHAT_PAGES);
    this.http.add("core", "/", files);
    // The invite landing page (XEP-0401) is the web client's own page; the token stays in the
    // URL's fragment, which browsers never send, so it reaches no request log.
    this.http.add("core", "/invite", (req, res) => files(req, res, "/"));
    // The admin console at /admin/ (its API, /admin/api/, is a longer prefix and wins).
    this.adminRoot = await resolveWebRoot(this.config.web.adminRoot, "admin", "web.admin-root");
    const admin = staticFiles(this.adminRoot, ADMIN_PAGES);
    const base = ADMIN_PREFIX.length - 1;
    this.http.add("core", ADMIN_PREFIX, (req, res, path) => admin(req, res, path.slice(base)));
    this.http.add("core", ADMIN_PREFIX.slice(0, -1), (_req, res) => {
      secureHeaders(res);
      res.writeHead(308, { Location: ADMIN_PREFIX, "Content-Length": "0" });
      res.end();
    });
    this.admin = new AdminApi(this);
    const unmount = this.admin.mount();
    this.unloaders.push(async () => unmount());
  }

  /**
   * The one port: direct TLS (XEP-0368) and HTTPS, split by ALPN or the first byte. The handshake deadline sits on the sweeper: Node's own
   * handshakeTimeout starts only once a ClientHello arrives, so a client that connects and
   * stays silent would otherwise hold its socket forever.
   */
  private acceptTls(raw: Socket): void {
    this.sockets.add(raw);
    raw.once("close", () => this.sockets.delete(raw));
    raw.on("error", () => {});
    // Before TLS there is no stream to carry an error, so a flood from one address of
    // connections that never finish their handshake is refused at the socket.
    const address = raw.remoteAddress ?? "unknown";
    if (this.handshaking.inc(address) > this.config.limits.unauthenticatedPerAddress) {
      this.log.debug("too many TLS handshakes from one address", { address });
      this.handshaking.dec(address);
      raw.destroy();
      return;
    }
    let counted = true;
    const uncount = () => {
      if (counted) this.handshaking.dec(address);
      counted = false;
    };
    raw.once("close", uncount);
    const secure = new TLSSocket(raw, {
      isServer: true,
      secureContext: this.ctx.tls.context,
      ALPNProtocols: ALPN_PROTOCOLS,
    });
    const seconds = this.config.limits.tlsHandshakeSeconds;
    this.sweeper.set(raw, seconds * 1000, () => {
      this.log.debug("TLS handshake timed out", { address: raw.remoteAddress, seconds });
      secure.destroy();
    });
    secure.once("secure", () => {
      // Still counted and timed until the protocol is known: a client that finishes the
      // handshake and then stays silent holds a slot no longer than one that never finishes.
      classify(secure, (protocol) => {
        uncount();
        this.sweeper.clear(raw);
        if (protocol === "xmpp") this.accept(secure);
        else this.httpService!.accept(secure);
      });
    });
    secure.once("error", (err) => {
      this.sweeper.clear(raw);
      this.log.debug("TLS handshake failed", { address: raw.remoteAddress, err: err.message });
      secure.destroy();
    });
  }

  private accept(socket: Socket): void {
    this.sockets.add(socket);
    socket.once("close", () => this.sockets.delete(socket));
    socket.on("error", () => {}); // reported through the stream's own handler
    const { limits } = this.config;
    new C2sStream(
      this.ctx,
      new TcpFraming(socket, limits.outboundQueueBytes, this.ctx.parserLimits),
    );
  }

  private listen(s: NetServer, host: string, port: number, name: string): Promise<number> {
    return new Promise((resolve, reject) => {
      s.once("error", (err) =>
        reject(
          new HatoError(
            HatoErrors.LISTEN_FAILED,
            `cannot listen on ${host} port ${port} (${name}): ${err.message}`,
          ),
        ),
      );
      s.listen({ host, port }, () => {
        this.listeners.push(s);
        const addr = s.address();
        resolve(typeof addr === "object" && addr ? addr.port : port);
      });
    });
  }

  /** Closes every session (RFC 6120 `system-shutdown`), the listeners and the modules. */
  async stop(): Promise<void> {
    await this.bus.fire("server-stopping", {});
    for (const l of this.listeners) l.close();
    for (const s of [...this.sessions.all()])
      s.close(new StreamError("system-shutdown", "the server is shutting down"));
    for (const c of this.components.links())
      c.close(new StreamError("system-shutdown", "the server is shutting down"));
    await new Promise((r) => setTimeout(r, 50));
    for (const sock of this.sockets) sock.destroy();
    for (const unload of this.unloaders.reverse()) await unload();
    this.sweeper.stop();
    this.denials.flush(true); // counts of the last minute's denials still get their entry
    await this.audit.close(); // after the sessions' close entries: the last head covers them
    this.policy.close();
  }

  /** Deterministic fake salts (unknown users look like known ones): SASL and the console sign-in. */
  get fakeSalt(): C2sContext["fakeSalt"] {
    return this.ctx.fakeSalt;
  }

  /** The audit log's signing key (verifying heads), when the server has one. */
  get auditKey(): KeyObject | undefined {
    return this.opts.auditKey;
  }

  /** Reloads the policy from the config file (`hato policy reload`); the old one stays on error. */
  reloadPolicy(): ReloadResult {
    const before = this.policy.current;
    const r = this.policy.reload();
    this.policyReloaded("command", r, before);
    return r;
  }

  private policyReloaded(how: "command" | "file", r: ReloadResult, before: Policy): void {
    if (r.ok) this.log.info("policy reloaded", { how, file: this.config.file });
    else
      this.log.warn("policy not reloaded: the new one is invalid; the old one stays", {
        how,
        errors: r.errors,
      });
    void this.bus.fire("policy-reloaded", {
      how,
      ok: r.ok,
      before: before.doc,
      after: r.ok ? r.policy.doc : before.doc,
      errors: r.ok ? [] : r.errors,
    });
  }

  /** Closes every session of an account (after it was deleted, say). */
  closeSessionsOf(username: string, reason: string): number {
    const list = [...this.sessions.ofUser(username)];
    for (const s of list) s.close(new StreamError("not-authorized", reason));
    return list.length;
  }
}

const NO_RATES = { stanzasPerSecond: undefined, bytesPerSecond: undefined };
const withRates = new WeakMap<Policy, boolean>();

/**
 * Whether any rule of the policy sets a stanza or byte rate: when none does (the usual case),
 * a stanza costs no per-user policy lookup at all.
 */
function ratesInUse(policy: Policy): boolean {
  let known = withRates.get(policy);
  if (known === undefined) {
    const docs = [policy.doc, ...Object.values(policy.doc.overrides ?? {})];
    known = docs.some(
      (d) =>
        d["rate-limits"]?.["stanzas-per-second"] !== undefined ||
        d["rate-limits"]?.["bytes-per-second"] !== undefined,
    );
    withRates.set(policy, known);
  }
  return known;
}

/** The policy of the config file; an invalid one stops the start with every error listed. */
function openPolicy(config: Config): PolicyStore {
  try {
    return PolicyStore.open(config.file, config.domain, config.data);
  } catch (err) {
    throw new HatoError(HatoErrors.CONFIG_INVALID, `invalid policy:\n${(err as Error).message}`);
  }
}

/** The DER bytes of the first certificate in a PEM chain. */
function pemToDer(pem: string): Buffer {
  const m = /-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/.exec(pem);
  if (!m) throw new HatoError(HatoErrors.CONFIG_INVALID, "the TLS certificate is not PEM");
  return Buffer.from(m[1]!.replace(/\s+/g, ""), "base64");
}
