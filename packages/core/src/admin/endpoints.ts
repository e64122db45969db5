// The admin API's endpoints (docs/admin-api.md), keyed by "METHOD /path" of routes.ts. Every
// change is recorded in the audit log with the admin as actor; none records a secret.

import { rm } from "node:fs/promises";
import { join } from "node:path";
import { parseJid } from "@hato/jid";
import { Accounts, accountName } from "../accounts.js";
import { verifyAuditLog } from "../audit/chain.js";
import { HatoError, HatoErrors, StreamError } from "../errors.js";
import { secureHeaders } from "../http/headers.js";
import { explain } from "../policy/explain.js";
import type { AdminApi, AdminRequest } from "./api.js";
import { ADMIN_HEADERS, ApiError, field, json, noContent } from "./http.js";
import { checkPolicyText, type PolicyChange } from "./policy-change.js";

type Endpoint = (api: AdminApi, r: AdminRequest) => Promise<void>;

export const ENDED_TEXT = "an administrator ended this session";
export const PASSWORD_RESET_TEXT =
  "an administrator reset this account's password; sign in with the new one";
const ROLES = ["admin", "user", "limited"];
const AUDIT_SCAN_MAX = 50_000;

const accounts = (api: AdminApi) => {
  const { storage, config, bus } = api.server;
  return new Accounts(storage, config.domain, config.scram.iterations, bus, config.data);
};

/** The local part named in the path, checked; 404 when there is no such account. */
async function existing(api: AdminApi, name: string) {
  const username = localPart(api, name);
  const account = await api.server.storage.accounts.get(username);
  if (account === undefined)
    throw new ApiError(404, "not-found", `${username}@${api.server.config.domain} does not exist`);
  return account;
}

/**
 * An admin may not lock, demote or delete their own account here: one slip would leave the
 * server without anyone who can undo it (another admin, or the CLI, can).
 */
function notSelf(r: AdminRequest, username: string, what: string): void {
  if (r.caller.user === username)
    throw new ApiError(
      409,
      "self",
      `you cannot ${what} your own account here; ask another admin or use the CLI`,
    );
}

function localPart(api: AdminApi, name: string): string {
  try {
    return accountName(name, api.server.config.domain);
  } catch (err) {
    throw new ApiError(422, "invalid", (err as Error).message);
  }
}

async function userView(api: AdminApi, username: string) {
  const { server } = api;
  const account = await server.storage.accounts.get(username);
  if (account === undefined) return undefined;
  const p = server.policy.current.forUser(username);
  return {
    username,
    address: `${username}@${server.config.domain}`,
    role: p.role,
    groups: p.groups,
    locked: account.disabled === true,
    createdAt: account.createdAt.toISOString(),
    sessions: server.sessions.countOfUser(username),
  };
}

/** Closes every live XMPP session of an account with a stream error; returns how many. */
export function closeAll(
  api: AdminApi,
  username: string,
  condition: "policy-violation" | "not-authorized",
  text: string,
): number {
  const list = [...api.server.sessions.ofUser(username)];
  for (const s of list) s.close(new StreamError(condition, text));
  return list.length;
}

function policyAnswer(r: AdminRequest, change: PolicyChange, extra: Record<string, unknown> = {}) {
  if (!change.ok)
    throw new ApiError(
      422,
      "invalid-policy",
      "the policy would not be valid; nothing was changed",
      {
        errors: change.errors,
      },
    );
  json(r.res, 200, { ...extra, diff: change.diff });
}

function intParam(q: URLSearchParams, name: string, def: number, max: number): number {
  const v = q.get(name);
  if (v === null || v === "") return def;
  if (!/^\d{1,9}$/.test(v) || Number(v) < 1 || Number(v) > max)
    throw new ApiError(400, "bad-query", `${name} must be a whole number from 1 to ${max}`);
  return Number(v);
}

const unavailable = (what: string) =>
  new ApiError(
    503,
    "unavailable",
    `${what} are not available on this server (the feature is not part of this build)`,
  );

export const endpoints: Record<string, Endpoint> = {
  async "GET /admin/api/session"(api, r) {
    const s = r.caller.session;
    json(r.res, 200, {
      user: `${r.caller.user}@${api.server.config.domain}`,
      expiresAt: s === undefined ? null : api.sessions.expiresAt(s).toISOString(),
    });
  },

  // ---- tokens
  async "GET /admin/api/tokens"(api, r) {
    json(r.res, 200, { tokens: await api.tokens.list() });
  },
  async "POST /admin/api/tokens"(api, r) {
    const name = field(await r.body(), "name", { max: 64 })!.trim();
    if (name === "") throw new ApiError(422, "invalid", "a token needs a name");
    let made: { id: string; token: string };
    try {
      made = await api.tokens.create(name, r.caller.user);
    } catch (err) {
      if (err instanceof RangeError) throw new ApiError(409, "too-many", err.message);
      throw err;
    }
    await api.server.audit.record("token-created", {
      actor: r.caller.user,
      subject: made.id,
      address: r.address,
      details: { name },
    });
    json(r.res, 201, made);
  },
  async "DELETE /admin/api/tokens/:id"(api, r) {
    const gone = await api.tokens.revoke(r.params.id!);
    if (gone === undefined) throw new ApiError(404, "not-found", "there is no such token");
    await api.server.audit.record("token-revoked", {
      actor: r.caller.user,
      subject: gone.id,
      address: r.address,
      details: { name: gone.name, owner: gone.owner },
    });
    noContent(r.res);
  },

  // ---- users
  async "GET /admin/api/users"(api, r) {
    const limit = intParam(r.query, "limit", 100, 500);
    const after = r.query.get("after") ?? undefined;
    const names = await api.server.storage.accounts.list({
      after: after === "" ? undefined : after,
      limit,
    });
    const users = [];
    for (const n of names) {
      const u = await userView(api, n);
      if (u !== undefined) users.push(u);
    }
    json(r.res, 200, names.length === limit ? { users, next: names.at(-1) } : { users });
  },
  async "POST /admin/api/users"(api, r) {
    const body = await r.body();
    const address = field(body, "address", { max: 3071 })!;
    const password = field(body, "password", { max: 1024 })!;
    if (password === "") throw new ApiError(422, "invalid", "the password must not be empty");
    let username: string;
    try {
      username = await accounts(api).add(address, password);
    } catch (err) {
      // A deleted account's name stays reserved where h6/retention keeps it so.
      if (
        err instanceof HatoError &&
        (err.code === HatoErrors.USER_EXISTS || err.code.endsWith("_RESERVED"))
      )
        throw new ApiError(409, "exists", err.message);
      if (err instanceof HatoError) throw new ApiError(422, "invalid", err.message);
      throw err;
    }
    await api.server.audit.record("user-added", {
      actor: r.caller.user,
      subject: username,
      address: r.address,
    });
    json(r.res, 201, { username, address: `${username}@${api.server.config.domain}` });
  },
  async "GET /admin/api/users/:name"(api, r) {
    const account = await existing(api, r.params.name!);
    const view = await userView(api, account.username);
    json(r.res, 200, { ...view, explain: explain(api.server.policy.current, account.username) });
  },
  async "POST /admin/api/users/:name/lock"(api, r) {
    const { username } = await existing(api, r.params.name!);
    notSelf(r, username, "lock");
    const closedSessions = await api.lock(username, { actor: r.caller.user, address: r.address });
    json(r.res, 200, { locked: true, closedSessions });
  },
  async "POST /admin/api/users/:name/unlock"(api, r) {
    const { username } = await existing(api, r.params.name!);
    await api.unlock(username, { actor: r.caller.user, address: r.address });
    json(r.res, 200, { locked: false });
  },
  async "POST /admin/api/users/:name/password"(api, r) {
    const { username } = await existing(api, r.params.name!);
    const password = field(await r.body(), "password", { max: 1024 })!;
    if (password === "") throw new ApiError(422, "invalid", "the password must not be empty");
    await accounts(api).passwd(username, password);
    // A reset is what an admin does for a lost or stolen password: whoever holds the old one
    // is signed out everywhere at once, not at their next login.
    const closed = closeAll(api, username, "not-authorized", PASSWORD_RESET_TEXT);
    api.sessions.revokeUser(username);
    await api.server.audit.record("password-reset", {
      actor: r.caller.user,
      subject: username,
      address: r.address,
      details: { closedSessions: closed },
    });
    noContent(r.res);
  },
  async "PUT /admin/api/users/:name/role"(api, r) {
    const { username } = await existing(api, r.params.name!);
    const role = field(await r.body(), "role", { max: 16 })!;
    if (!ROLES.includes(role))
      throw new ApiError(422, "invalid", `the role must be one of ${ROLES.join(", ")}`);
    if (role !== "admin") notSelf(r, username, "demote");
    const change = await api.policyEditor.setRole(r.caller.user, username, role);
    const now = api.server.policy.current.forUser(username).role;
    if (change.ok && now !== role) {
      const via = api.server.policy.current
        .forUser(username)
        .groups.map((g) => `@${g}`)
        .join(", ");
      throw new ApiError(
        409,
        "role-from-group",
        `${username} is ${now} through a group (${via}); change the groups or the policy's roles`,
      );
    }
    if (change.ok)
      await api.server.audit.record("role-changed", {
        actor: r.caller.user,
        subject: username,
        address: r.address,
        details: { role },
      });
    policyAnswer(r, change, { role });
  },
  async "PUT /admin/api/users/:name/groups"(api, r) {
    const { username } = await existing(api, r.params.name!);
    const groups = (await r.body()).groups;
    if (
      !Array.isArray(groups) ||
      groups.length > 1000 ||
      groups.some((g) => typeof g !== "string" || g.length > 256)
    )
      throw new ApiError(422, "invalid", '"groups" must be a list of group names');
    let change: PolicyChange;
    try {
      change = await api.policyEditor.setGroups(r.caller.user, username, groups as string[]);
    } catch (err) {
      if (err instanceof RangeError) throw new ApiError(422, "unknown-group", err.message);
      throw err;
    }
    if (change.ok)
      await api.server.audit.record("groups-changed", {
        actor: r.caller.user,
        subject: username,
        address: r.address,
        details: { groups },
      });
    policyAnswer(r, change, { groups: api.server.policy.current.forUser(username).groups });
  },
  async "DELETE /admin/api/users/:name"(api, r) {
    const { username } = await existing(api, r.params.name!);
    notSelf(r, username, "delete");
    // Accounts.del purges the account's data and reports how much went (docs/accounts.md).
    const { purged: reported } = await accounts(api).del(username);
    const purged = { ...reported, tokens: 0, sessions: 0 };
    purged.sessions = closeAll(api, username, "not-authorized", "this account was deleted");
    api.sessions.revokeUser(username);
    purged.tokens = await api.tokens.revokeOwner(username);
    // A new account of the same name must not inherit this one's role or groups.
    await api.policyEditor.forget(r.caller.user, username);
    await api.server.audit.record("user-removed", {
      actor: r.caller.user,
      subject: username,
      address: r.address,
      details: { purged },
    });
    json(r.res, 200, { deleted: true, purged });
  },

  // ---- invites (server.invites: single-use links, stored hashed; it records its own entries)
  async "GET /admin/api/invites"(api, r) {
    const list = await api.server.invites.list();
    json(r.res, 200, {
      invites: list.map((i) => ({
        id: i.id,
        by: i.by,
        createdAt: i.createdAt,
        expiresAt: i.expiresAt,
        ...(i.note === undefined ? {} : { note: i.note }),
        state: i.state,
      })),
    });
  },
  async "POST /admin/api/invites"(api, r) {
    const body = await r.body();
    const note = field(body, "note", { max: 200, optional: true });
    const hours = body.expiresInHours;
    if (hours !== undefined && typeof hours !== "number")
      throw new ApiError(422, "invalid", '"expiresInHours" must be a whole number of hours');
    let made: Awaited<ReturnType<typeof api.server.invites.create>>;
    try {
      made = await api.server.invites.create({
        by: r.caller.user,
        ...(hours === undefined ? {} : { expiresInHours: hours as number }),
        ...(note === undefined ? {} : { note }),
      });
    } catch (err) {
      if (err instanceof HatoError) throw new ApiError(422, "invalid", err.message);
      throw err;
    }
    json(r.res, 201, { id: made.id, url: made.url, uri: made.uri, expiresAt: made.expiresAt });
  },
  async "DELETE /admin/api/invites/:id"(api, r) {
    if (!(await api.server.invites.revoke(r.params.id!, r.caller.user)))
      throw new ApiError(404, "not-found", "there is no open invite with this id");
    noContent(r.res);
  },

  // ---- live sessions
  async "GET /admin/api/sessions"(api, r) {
    const sessions = [...api.server.sessions.all()].map((s) => {
      const more = s as typeof s & {
        since?: Date;
        link?: { transport: "tcp" | "websocket"; tls: string | null };
        software?: { name?: string; version?: string; os?: string; node?: string };
      };
      const sw = more.software;
      return {
        jid: s.jid.toString(),
        username: s.username,
        resource: s.resource,
        address: s.address,
        since: more.since?.toISOString() ?? null,
        transport: more.link?.transport ?? null,
        tls: more.link?.tls ?? null,
        client:
          sw === undefined
            ? null
            : {
                name: sw.name ?? null,
                version: sw.version ?? null,
                os: sw.os ?? null,
                node: sw.node ?? null,
              },
        e2ee: api.e2ee.get(s) ?? null,
      };
    });
    json(r.res, 200, { sessions });
  },
  async "DELETE /admin/api/sessions/:jid"(api, r) {
    const p = parseJid(r.params.jid!);
    if (!p.ok || p.jid.resource === "" || p.jid.domain !== api.server.config.domain)
      throw new ApiError(422, "invalid", "give the session's full JID (user@domain/resource)");
    const s = api.server.sessions.get(p.jid.local, p.jid.resource);
    if (s === undefined)
      throw new ApiError(404, "not-found", `there is no session ${p.jid.toString()}`);
    s.close(new StreamError("policy-violation", ENDED_TEXT));
    await api.server.audit.record("session-ended", {
      actor: r.caller.user,
      subject: s.username,
      address: r.address,
      details: { resource: s.resource, session: s.id },
    });
    noContent(r.res);
  },

  // ---- policy
  async "GET /admin/api/policy"(api, r) {
    const src = api.policyEditor.source();
    json(
      r.res,
      200,
      src.kind === "data"
        ? { text: api.policyEditor.text(), source: src.kind }
        : { text: api.policyEditor.text(), source: src.kind, path: src.path },
    );
  },
  async "POST /admin/api/policy/check"(api, r) {
    const text = field(await r.body(), "text", { max: 256 * 1024 })!;
    json(r.res, 200, checkPolicyText(api.server, text));
  },
  async "PUT /admin/api/policy"(api, r) {
    const text = field(await r.body(), "text", { max: 256 * 1024 })!;
    const change = await api.policyEditor.replace(text, r.caller.user);
    if (!change.ok)
      throw new ApiError(422, "invalid-policy", "the policy is not valid; the old one stays", {
        errors: change.errors,
      });
    json(r.res, 200, { ok: true, diff: change.diff });
  },
  async "GET /admin/api/policy/explain/:name"(api, r) {
    json(r.res, 200, { lines: explain(api.server.policy.current, localPart(api, r.params.name!)) });
  },

  // ---- audit log
  async "GET /admin/api/audit"(api, r) {
    const limit = intParam(r.query, "limit", 100, 500);
    const kind = r.query.get("kind") || undefined;
    const actor = r.query.get("actor") || undefined;
    const q = r.query.get("q")?.toLowerCase() || undefined;
    const store = api.server.storage.audit;
    const last = (await store.last())?.seq ?? 0;
    let end = r.query.has("before") ? intParam(r.query, "before", 1, 2 ** 31) - 1 : last;
    const entries: Record<string, unknown>[] = [];
    let scanned = 0;
    // Newest first, in pages read backwards; a search stops after so many entries and says
    // where to go on (next), so one request never walks a huge log.
    while (end > 0 && entries.length < limit && scanned < AUDIT_SCAN_MAX) {
      const from = Math.max(0, end - 500);
      const page = await store.list({ afterSeq: from, limit: end - from });
      for (const e of page.reverse()) {
        scanned++;
        end = e.seq - 1;
        if (kind !== undefined && e.kind !== kind) continue;
        if (actor !== undefined && e.actor !== actor) continue;
        const out: Record<string, unknown> = { seq: e.seq, at: e.time.toISOString(), kind: e.kind };
        if (e.actor !== undefined) out.actor = e.actor;
        if (e.subject !== undefined) out.subject = e.subject;
        if (e.address !== undefined) out.address = e.address;
        if (e.details !== "{}") out.details = JSON.parse(e.details);
        if (q !== undefined && !JSON.stringify(out).toLowerCase().includes(q)) continue;
        entries.push(out);
        if (entries.length >= limit) break;
      }
      if (page.length === 0) end = from;
    }
    json(r.res, 200, end > 0 ? { entries, next: end + 1 } : { entries });
  },
  async "GET /admin/api/audit/verify"(api, r) {
    const store = api.server.storage.audit;
    const v = await verifyAuditLog(store, api.server.auditKey);
    if (v.ok)
      json(r.res, 200, { ok: true, entries: v.entries, signedHeads: (await store.heads()).length });
    else json(r.res, 200, { ok: false, firstBad: { seq: v.seq, reason: v.problem } });
  },

  // ---- quarantined files (the upload module's layout: <data>/uploads/quarantine/<id>)
  async "GET /admin/api/quarantine"(api, r) {
    const { storage } = api.server;
    const files = [];
    let after: string | undefined;
    for (;;) {
      const owners = await storage.accounts.list({ after, limit: 500 });
      for (const owner of owners)
        for (const f of await storage.files.list(owner))
          if (f.state === "infected")
            files.push({
              id: f.id,
              owner: f.owner,
              name: f.name,
              size: f.size,
              sha256: f.sha256 ?? null,
              verdict: f.state,
              reason: f.reason ?? null,
              at: (f.stored ?? f.created).toISOString(),
            });
      if (owners.length < 500 || files.length >= 10_000) break;
      after = owners.at(-1);
    }
    json(r.res, 200, { files });
  },
  async "DELETE /admin/api/quarantine/:id"(api, r) {
    const id = r.params.id!;
    const { storage, config } = api.server;
    const f = /^[A-Za-z0-9_-]{1,128}$/.test(id) ? await storage.files.get(id) : undefined;
    if (f === undefined || f.state !== "infected")
      throw new ApiError(404, "not-found", "there is no quarantined file with this id");
    await rm(join(config.data, "uploads", "quarantine", f.id), { force: true });
    await storage.files.delete(f.id);
    await api.server.audit.record("quarantine-deleted", {
      actor: r.caller.user,
      subject: f.id,
      address: r.address,
      details: { owner: f.owner, name: f.name, sha256: f.sha256 ?? null },
    });
    noContent(r.res);
  },

  // ---- metrics (server.metrics, when the server has them)
  async "GET /admin/api/metrics/history"(api, r) {
    const m = api.services.metrics;
    if (m === undefined) throw unavailable("metrics");
    json(r.res, 200, m.history());
  },
  async "GET /metrics"(api, r) {
    const m = api.services.metrics;
    if (m === undefined) throw unavailable("metrics");
    const text = await m.text();
    secureHeaders(r.res);
    r.res.writeHead(200, {
      ...ADMIN_HEADERS,
      "Content-Type": "text/plain; version=0.0.4; charset=utf-8",
      "Content-Length": String(Buffer.byteLength(text)),
    });
    r.res.end(r.req.method === "HEAD" ? undefined : text);
  },
};
