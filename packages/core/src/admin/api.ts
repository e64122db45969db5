// The admin HTTP API (docs/admin-api.md) on the one HTTPS port: who may call it (console
// sessions with CSRF checks, or API tokens; the admin role and an unlocked account checked on
// every request), and the dispatch to the endpoints (endpoints.ts).

import type { IncomingMessage, ServerResponse } from "node:http";
import { makePlainVerifier } from "@hato/sasl";
import { accountName } from "../accounts.js";
import { Priority } from "../events.js";
import type { Server } from "../server.js";
import type { Session } from "../session.js";
import { closeAll, endpoints } from "./endpoints.js";
import {
  ApiError,
  CLEAR_COOKIE,
  CSRF_HEADER,
  crossSite,
  fail,
  field,
  json,
  MAX_BODY_BYTES,
  noContent,
  readJson,
  sessionCookie,
  setCookie,
} from "./http.js";
import { PolicyEditor } from "./policy-change.js";
import { matchRoute } from "./routes.js";
import type { LoginLimiterLike, OptionalServices } from "./services.js";
import { type ConsoleSession, ConsoleSessions, sameSecret } from "./sessions.js";
import { ApiTokens } from "./tokens.js";

const NS_OMEMO = ["eu.siacs.conversations.axolotl", "urn:xmpp:omemo:2"];
/** The stream error text a locked user's clients get. */
export const LOCKED_TEXT = "your account was locked by an administrator";

const who = (by: { actor?: string; address?: string }) => ({
  ...(by.actor === undefined ? {} : { actor: by.actor }),
  ...(by.address === undefined ? {} : { address: by.address }),
});

/** Who a request acts as, once authenticated and authorised. */
export interface Caller {
  user: string;
  via: "cookie" | "token";
  session?: ConsoleSession;
  cookie?: string;
}

/** One request as the endpoints see it. */
export interface AdminRequest {
  req: IncomingMessage;
  res: ServerResponse;
  params: Record<string, string>;
  query: URLSearchParams;
  caller: Caller;
  address: string;
  body(): Promise<Record<string, unknown>>;
}

/** The admin API of one server. */
export class AdminApi {
  readonly sessions: ConsoleSessions;
  readonly tokens: ApiTokens;
  readonly policyEditor: PolicyEditor;
  /** Whether each session's last 1:1 message body was OMEMO-encrypted (null before any). */
  readonly e2ee = new WeakMap<Session, boolean>();
  private readonly limiter: LoginLimiterLike;
  private readonly verifyPassword: (username: string, password: string) => Promise<boolean>;

  constructor(readonly server: Server) {
    const { config } = server;
    this.sessions = new ConsoleSessions(config.admin);
    this.tokens = new ApiTokens(server.storage);
    this.policyEditor = new PolicyEditor(server);
    // The same budget as XMPP logins (rate-limits.logins-per-minute-per-address).
    this.limiter = server.logins;
    // The password is checked against the stored SCRAM keys (never stored or logged); an
    // unknown name costs the same key derivation, so timing does not tell which names exist.
    this.verifyPassword = makePlainVerifier({
      lookup: async (username) => (await server.storage.accounts.get(username))?.scram.sha256,
      fakeSalt: server.fakeSalt,
      iterations: config.scram.iterations,
    });
  }

  /** The services the server has (invites, metrics), if any. */
  get services(): OptionalServices {
    return this.server as unknown as OptionalServices;
  }

  /** Registers the routes and the observers; returns what undoes it. */
  mount(): () => void {
    const { server } = this;
    const offs = [
      server.http.add("admin", "/admin/api/", (req, res, path) => this.handle(req, res, path), {
        methods: ["GET", "HEAD", "POST", "PUT", "DELETE"],
        maxBodyBytes: MAX_BODY_BYTES,
      }),
      server.http.add("admin", "/metrics", (req, res, path) => this.handle(req, res, path)),
      // Observes (never takes) every stanza first: was a session's last 1:1 body encrypted?
      server.bus.on(
        "pre-route",
        ({ stanza, origin }) => {
          if (origin === undefined || stanza.name !== "message") return;
          const type = stanza.attr("type") ?? "normal";
          if ((type !== "chat" && type !== "normal") || stanza.getChild("body") === undefined)
            return;
          this.e2ee.set(
            origin,
            NS_OMEMO.some((ns) => stanza.getChild("encrypted", ns) !== undefined),
          );
        },
        Priority.POLICY + 1,
        "admin",
      ),
      // A demoted admin's console sessions end at once (their next request gets 403).
      server.bus.on(
        "policy-reloaded",
        ({ ok }) => {
          if (!ok) return;
          for (const user of this.sessions.users())
            if (server.policy.current.forUser(user).role !== "admin")
              this.sessions.revokeUser(user);
        },
        Priority.OBSERVE,
        "admin",
      ),
    ];
    return () => {
      for (const off of offs) off();
    };
  }

  private async handle(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    const method = req.method ?? "GET";
    const m = matchRoute(method, path);
    if (m === undefined) return fail(res, 404, "not-found", `nothing is served at ${path}`);
    if ("allowed" in m)
      return fail(
        res,
        405,
        "method-not-allowed",
        `${path} answers ${m.allowed.join(", ")} only`,
        {},
        {
          Allow: m.allowed.join(", "),
        },
      );
    const address = req.socket.remoteAddress ?? "unknown";
    try {
      if (m.route.auth === "public") return await this.login(req, res, address);
      const caller = await this.authenticate(req, m.route.auth === "token");
      let body: Record<string, unknown> | undefined;
      const ar: AdminRequest = {
        req,
        res,
        params: m.params,
        query: new URL(req.url ?? "/", "https://x").searchParams,
        caller,
        address,
        body: async () => {
          body ??= await readJson(req);
          return body;
        },
      };
      const key = `${m.route.method} ${m.route.path}`;
      if (key === "POST /admin/api/logout") return this.logout(ar);
      const handler = endpoints[key];
      if (handler === undefined)
        throw new ApiError(404, "not-found", `nothing is served at ${path}`);
      await handler(this, ar);
    } catch (err) {
      if (err instanceof ApiError) {
        const headers: Record<string, string> = {};
        if (err.status === 413) headers.Connection = "close";
        if (typeof err.extra.retryAfter === "number")
          headers["Retry-After"] = String(err.extra.retryAfter);
        const { retryAfter: _, ...extra } = err.extra;
        return fail(res, err.status, err.code, err.message, extra, headers);
      }
      throw err;
    }
  }

  /**
   * Who is calling: a bearer token (scripts, Prometheus) or the console's cookie with its CSRF
   * header; then the account must exist, be unlocked and have the admin role, now.
   */
  private async authenticate(req: IncomingMessage, tokenOnly: boolean): Promise<Caller> {
    const auth = req.headers.authorization;
    let caller: Caller;
    if (auth !== undefined) {
      const m = /^Bearer (\S+)$/.exec(auth);
      const info = m === null ? undefined : await this.tokens.check(m[1]!);
      if (info === undefined)
        throw new ApiError(401, "unauthenticated", "the API token is unknown or revoked");
      caller = { user: info.owner, via: "token" };
    } else if (tokenOnly) {
      throw new ApiError(401, "unauthenticated", "this needs an API token (Authorization: Bearer)");
    } else {
      const cookie = sessionCookie(req);
      const session = cookie === undefined ? undefined : this.sessions.touch(cookie);
      if (cookie === undefined || session === undefined)
        throw new ApiError(401, "unauthenticated", "sign in to the admin console first");
      if (session.revoked) {
        this.sessions.revoke(cookie);
        throw new ApiError(403, "forbidden", "this needs the admin role");
      }
      const why = crossSite(req);
      if (why !== undefined) throw new ApiError(403, "csrf", why);
      if (req.method !== "GET" && req.method !== "HEAD") {
        const sent = req.headers[CSRF_HEADER];
        if (typeof sent !== "string" || !sameSecret(sent, session.csrf))
          throw new ApiError(403, "csrf", "the X-Hato-CSRF header is missing or wrong");
      }
      caller = { user: session.user, via: "cookie", session, cookie };
    }
    const refusal = await this.refusal(caller.user);
    if (refusal !== undefined) {
      if (caller.cookie !== undefined) this.sessions.revoke(caller.cookie);
      throw new ApiError(403, "forbidden", refusal);
    }
    return caller;
  }

  /**
   * Locks an account: the stored `disabled` flag (SASL refuses it), its live XMPP sessions
   * closed at once with a stream error, its console sessions and tokens refused from now on.
   * Returns how many XMPP sessions were closed.
   */
  async lock(
    username: string,
    by: { actor?: string; address?: string; via?: string },
  ): Promise<number> {
    if (!(await this.server.storage.accounts.update(username, { disabled: true })))
      throw new ApiError(404, "not-found", `${username} does not exist`);
    const closedSessions = closeAll(this, username, "policy-violation", LOCKED_TEXT);
    const consoleSessions = this.sessions.revokeUser(username);
    await this.server.audit.record("user-locked", {
      ...who(by),
      subject: username,
      details: {
        closedSessions,
        consoleSessions,
        ...(by.via === undefined ? {} : { via: by.via }),
      },
    });
    return closedSessions;
  }

  async unlock(
    username: string,
    by: { actor?: string; address?: string; via?: string },
  ): Promise<void> {
    if (!(await this.server.storage.accounts.update(username, { disabled: false })))
      throw new ApiError(404, "not-found", `${username} does not exist`);
    await this.server.audit.record("user-unlocked", {
      ...who(by),
      subject: username,
      ...(by.via === undefined ? {} : { details: { via: by.via } }),
    });
  }

  /** Why an account may not administer the server now, or undefined when it may. */
  async refusal(username: string): Promise<string | undefined> {
    const account = await this.server.storage.accounts.get(username);
    if (account === undefined || account.disabled === true) return "this needs the admin role";
    if (this.server.policy.current.forUser(username).role !== "admin")
      return "this needs the admin role";
    return undefined;
  }

  /** POST /admin/api/login: always a new session with a fresh id (no fixation). */
  private async login(req: IncomingMessage, res: ServerResponse, address: string): Promise<void> {
    const why = crossSite(req);
    if (why !== undefined) throw new ApiError(403, "csrf", why);
    // A cookie sent along is never reused: its session, if any, ends here.
    const old = sessionCookie(req);
    if (old !== undefined) this.sessions.revoke(old);
    const taken = this.limiter.take(address);
    if (!taken.ok)
      throw new ApiError(
        429,
        "rate-limited",
        "too many sign-in attempts from your address; try again later",
        {
          retryAfter: taken.retryAfterSeconds,
        },
      );
    const body = await readJson(req);
    const given = field(body, "address", { max: 3071 })!;
    const password = field(body, "password", { max: 1024 })!;
    const domain = this.server.config.domain;
    let username: string;
    try {
      username = accountName(given, domain);
    } catch {
      username = "";
    }
    const ok = username !== "" && (await this.verifyPassword(username, password));
    const denied = async (status: number, code: string, reason: string, why: string) => {
      await this.server.audit.record("admin-login-failed", {
        actor: username === "" ? given.slice(0, 100) : username,
        address,
        details: { reason: why },
      });
      throw new ApiError(status, code, reason);
    };
    if (!ok)
      return denied(401, "unauthenticated", "wrong address or password", "wrong credentials");
    const account = await this.server.storage.accounts.get(username);
    if (account?.disabled === true)
      return denied(403, "forbidden", "this account is locked", "account locked");
    if (this.server.policy.current.forUser(username).role !== "admin")
      return denied(403, "forbidden", "this needs the admin role", "not an admin");
    const { id, session } = this.sessions.create(username, address);
    await this.server.audit.record("admin-login", { actor: username, address });
    res.setHeader("Set-Cookie", setCookie(id, this.server.config.admin.sessionHours * 3600));
    json(res, 200, {
      user: `${username}@${domain}`,
      csrf: session.csrf,
      expiresAt: this.sessions.expiresAt(session).toISOString(),
    });
  }

  private async logout(ar: AdminRequest): Promise<void> {
    if (ar.caller.cookie !== undefined) this.sessions.revoke(ar.caller.cookie);
    await this.server.audit.record("admin-logout", { actor: ar.caller.user, address: ar.address });
    noContent(ar.res, { "Set-Cookie": CLEAR_COOKIE });
  }
}
