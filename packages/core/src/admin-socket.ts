// Local admin socket: the CLI's way to reach a running server (JSON lines over a unix socket).
//
// Access control is the file system: the socket is created with mode 0600 inside the data
// folder, so only the server's own user can connect. Requests are capped in size and count.

import { chmodSync, existsSync, unlinkSync } from "node:fs";
import { createConnection, createServer, type Server as NetServer } from "node:net";
import { Accounts } from "./accounts.js";
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
    | "user.release"
    | "user.reserved"
    | "user.list"
    | "sessions.list"
    | "policy.reload"
    | "policy.explain"
    | "invite.create"
    | "invite.list"
    | "invite.revoke";
  address?: string;
  password?: string;
  /** invite.create */
  expiresInHours?: number;
  note?: string;
  /** invite.revoke */
  id?: string;
}
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
    server.config.data,
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
        const { username, purged } = await accounts.del(req.address ?? "");
        return { purged, closed: server.closeSessionsOf(username, "this account was deleted") };
      }
      case "user.release":
        return accounts.release(req.address ?? "");
      case "user.reserved":
        return accounts.reserved();
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
