// Local admin socket: the CLI's way to reach a running server (JSON lines over a unix socket).
//
// Access control is the file system: the socket is created with mode 0600 inside the data
// folder, so only the server's own user can connect. Requests are capped in size and count.

import { chmodSync, existsSync, unlinkSync } from "node:fs";
import { createConnection, createServer, type Server as NetServer } from "node:net";
import type { Storage } from "@hato/storage";
import { Accounts, accountName } from "./accounts.js";
import { ApiTokens } from "./admin/tokens.js";
import type { AuditLog } from "./audit/log.js";
import { HatoError, HatoErrors } from "./errors.js";
import { explain } from "./policy/explain.js";
import type { Server } from "./server.js";

const MAX_LINE = 64 * 1024;

export interface AdminRequest {
  op:
    | "ping"
    | "user.add"
    | "user.passwd"
    | "user.del"
    | "user.list"
    | "sessions.list"
    | "policy.reload"
    | "policy.explain"
    | "user.lock"
    | "user.unlock"
    | "user.role"
    | "user.groups"
    | "token.create"
    | "token.list"
    | "token.revoke"
    | "invite.create"
    | "invite.list"
    | "invite.revoke";
  address?: string;
  password?: string;
  role?: string;
  groups?: string[];
  /** A token's name (token.create). */
  name?: string;
  /** token.revoke, invite.revoke */
  id?: string;
  /** The admin account a new token acts as. */
  owner?: string;
  /** invite.create */
  expiresInHours?: number;
  note?: string;
}

/** Who the audit log names for changes made with the CLI: no account, `via: "cli"`. */
const CLI = { via: "cli" } as const;
export type AdminResponse =
  | { ok: true; result?: unknown }
  | { ok: false; code: string; error: string };

/** Serves admin requests for a running server on `path`. */
export async function serveAdminSocket(server: Server, path: string): Promise<NetServer> {
  const accounts = new Accounts(
    server.storage,
    server.config.domain,
    server.config.scram.iterations,
    server.bus,
  );
  const handle = async (req: AdminRequest): Promise<unknown> => {
    switch (req.op) {
      case "ping":
        return { domain: server.config.domain, sessions: server.sessions.size };
      case "user.add":
        return accounts.add(req.address ?? "", req.password ?? "");
      case "user.passwd": {
        const username = await accounts.passwd(req.address ?? "", req.password ?? "");
        await server.audit.record("password-changed", { subject: username });
        return username;
      }
      case "user.del": {
        const username = await accounts.del(req.address ?? "");
        return { closed: server.closeSessionsOf(username, "this account was deleted") };
      }
      case "user.list":
        return accounts.list();
      case "sessions.list":
        return [...server.sessions.all()].map((s) => ({
          jid: s.jid.toString(),
          address: s.address,
          available: s.available,
        }));
      case "policy.reload": {
        const r = server.reloadPolicy();
        if (!r.ok) throw new HatoError(HatoErrors.CONFIG_INVALID, r.errors.join("\n"));
        return { reloaded: true };
      }
      case "user.lock":
      case "user.unlock": {
        const username = accountName(req.address ?? "", server.config.domain);
        const admin = server.admin!;
        if (req.op === "user.unlock") {
          await admin.unlock(username, CLI);
          return { locked: false };
        }
        return { locked: true, closedSessions: await admin.lock(username, CLI) };
      }
      case "user.role":
      case "user.groups": {
        const username = accountName(req.address ?? "", server.config.domain);
        if ((await server.storage.accounts.get(username)) === undefined)
          throw new HatoError(
            HatoErrors.USER_NOT_FOUND,
            `${username}@${server.config.domain} does not exist`,
          );
        const editor = server.admin!.policyEditor;
        const r =
          req.op === "user.role"
            ? await editor.setRole(undefined, username, checkedRole(req.role))
            : await editor.setGroups(undefined, username, req.groups ?? []).catch((err: Error) => {
                throw new HatoError(HatoErrors.ADMIN_BAD_REQUEST, err.message);
              });
        if (!r.ok) throw new HatoError(HatoErrors.CONFIG_INVALID, r.errors.join("\n"));
        const p = server.policy.current.forUser(username);
        await server.audit.record(req.op === "user.role" ? "role-changed" : "groups-changed", {
          subject: username,
          details: req.op === "user.role" ? { role: p.role, ...CLI } : { groups: p.groups, ...CLI },
        });
        return { role: p.role, groups: p.groups, diff: r.diff };
      }
      case "token.create":
      case "token.list":
      case "token.revoke":
        return tokenOp(server.storage, server.audit, server.config.domain, req);
      case "invite.create":
        return server.invites.create({
          by: "cli",
          ...(req.expiresInHours === undefined ? {} : { expiresInHours: req.expiresInHours }),
          ...(req.note === undefined ? {} : { note: String(req.note) }),
        });
      case "invite.list":
        return server.invites.list();
      case "invite.revoke":
        return server.invites.revoke(String(req.id ?? ""), "cli");
      case "policy.explain":
        return explain(server.policy.current, (req.address ?? "").split("@")[0]!.toLowerCase());
      default:
        throw new Error(`unknown operation "${String((req as { op: unknown }).op)}"`);
    }
  };
  if (existsSync(path)) unlinkSync(path); // a stale socket from a server that died
  const s = createServer((sock) => {
    let buf = "";
    sock.setEncoding("utf8");
    sock.on("error", () => {});
    sock.on("data", (chunk: string) => {
      buf += chunk;
      if (buf.length > MAX_LINE) {
        sock.end(
          JSON.stringify({
            ok: false,
            code: HatoErrors.ADMIN_TOO_LARGE,
            error: `request over ${MAX_LINE} bytes`,
          }) + "\n",
        );
        return;
      }
      let nl = buf.indexOf("\n");
      while (nl >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        nl = buf.indexOf("\n");
        let req: AdminRequest;
        try {
          req = JSON.parse(line) as AdminRequest;
        } catch {
          sock.write(
            JSON.stringify({ ok: false, code: HatoErrors.ADMIN_BAD_REQUEST, error: "not JSON" }) +
              "\n",
          );
          continue;
        }
        handle(req).then(
          (result) => sock.write(JSON.stringify({ ok: true, result }) + "\n"),
          (err: unknown) =>
            sock.write(
              JSON.stringify({
                ok: false,
                code: err instanceof HatoError ? err.code : HatoErrors.ADMIN_FAILED,
                error: (err as Error).message,
              }) + "\n",
            ),
        );
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    s.once("error", reject);
    const old = process.umask(0o177);
    s.listen(path, () => {
      process.umask(old);
      resolve();
    });
  });
  chmodSync(path, 0o600);
  return s;
}

/** The role named in a request, checked. */
export function checkedRole(role: string | undefined): string {
  if (role === "admin" || role === "user" || role === "limited") return role;
  throw new HatoError(HatoErrors.ADMIN_BAD_REQUEST, "the role must be one of admin, user, limited");
}

/**
 * `hato admin token ...` on a token store: with a running server through its socket, or on
 * the data folder when it is stopped (the same code either way).
 */
export async function tokenOp(
  storage: Storage,
  audit: AuditLog,
  domain: string,
  req: AdminRequest,
): Promise<unknown> {
  const tokens = new ApiTokens(storage);
  if (req.op === "token.list") return tokens.list();
  if (req.op === "token.revoke") {
    const gone = await tokens.revoke(req.id ?? "");
    if (gone === undefined)
      throw new HatoError(HatoErrors.ADMIN_BAD_REQUEST, `there is no token ${req.id}`);
    await audit.record("token-revoked", {
      subject: gone.id,
      details: { name: gone.name, owner: gone.owner, ...CLI },
    });
    return { revoked: gone.id };
  }
  const name = (req.name ?? "").trim();
  if (name === "" || name.length > 64)
    throw new HatoError(
      HatoErrors.ADMIN_BAD_REQUEST,
      "a token needs a name of at most 64 characters",
    );
  const owner = accountName(req.owner ?? "", domain);
  if ((await storage.accounts.get(owner)) === undefined)
    throw new HatoError(HatoErrors.USER_NOT_FOUND, `${owner}@${domain} does not exist`);
  const made = await tokens.create(name, owner);
  await audit.record("token-created", { subject: made.id, details: { name, owner, ...CLI } });
  return made;
}

/** Sends one request to a running server; undefined when no server listens there. */
export function adminRequest(
  path: string,
  req: AdminRequest,
  timeoutMs = 10_000,
): Promise<AdminResponse | undefined> {
  return new Promise((resolve, reject) => {
    if (!existsSync(path)) return resolve(undefined);
    const sock = createConnection(path);
    let buf = "";
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error("the server did not answer on its admin socket"));
    }, timeoutMs);
    sock.setEncoding("utf8");
    sock.on("error", (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      // A socket file with no server behind it: the server is not running.
      if (err.code === "ECONNREFUSED" || err.code === "ENOENT") resolve(undefined);
      else reject(err);
    });
    sock.on("connect", () => sock.write(JSON.stringify(req) + "\n"));
    sock.on("data", (chunk: string) => {
      buf += chunk;
      const nl = buf.indexOf("\n");
      if (nl >= 0) {
        clearTimeout(timer);
        sock.end();
        resolve(JSON.parse(buf.slice(0, nl)) as AdminResponse);
      }
    });
  });
}
