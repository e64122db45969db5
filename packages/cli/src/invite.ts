// `hato invite create|list|revoke`: invite links (docs/invites.md), through the running
// server's admin socket when there is one, else on the data folder.

import {
  type AdminRequest,
  AuditLog,
  adminRequest,
  type Config,
  type Invite,
  Invites,
  loadPolicy,
  type NewInvite,
} from "@hato/core";
import { openSqliteStorage } from "@hato/storage";
import { auditKey, ensureDataDir, paths } from "./data-dir.js";

const USAGE =
  "usage: hato invite create [--expires-hours N] [--note TEXT] | hato invite list | hato invite revoke ID\n";

export interface InviteOptions {
  expiresHours?: string;
  note?: string;
}

export async function inviteCommand(
  config: Config,
  args: string[],
  opts: InviteOptions,
): Promise<number> {
  const [sub, id] = args;
  if (!["create", "list", "revoke"].includes(sub ?? "") || (sub === "revoke" && !id)) {
    process.stderr.write(USAGE);
    return 2;
  }
  let hours: number | undefined;
  if (opts.expiresHours !== undefined) {
    hours = Number(opts.expiresHours);
    if (!/^\d{1,5}$/.test(opts.expiresHours)) {
      process.stderr.write("hato: --expires-hours takes a whole number of hours\n");
      return 2;
    }
  }
  const req: AdminRequest = { op: `invite.${sub}` as AdminRequest["op"] };
  if (hours !== undefined) req.expiresInHours = hours;
  if (opts.note !== undefined) req.note = opts.note;
  if (id !== undefined) req.id = id;

  const live = await adminRequest(paths(config.data).socket, req);
  let result: unknown;
  if (live !== undefined) {
    if (!live.ok) {
      process.stderr.write(`hato: ${live.error} (${live.code})\n`);
      return 1;
    }
    result = live.result;
  } else {
    result = await offline(config, sub!, req);
  }
  if (sub === "create") {
    const inv = result as NewInvite;
    process.stdout.write(
      `invite ${inv.id}, valid until ${inv.expiresAt}\n${inv.url}\n${inv.uri}\n`,
    );
    const warning = unusable(config);
    if (warning) process.stderr.write(`hato: note: ${warning}\n`);
  } else if (sub === "list") {
    for (const inv of result as Invite[]) process.stdout.write(`${line(inv)}\n`);
  } else if (result === true) {
    process.stdout.write(`revoked invite ${id}\n`);
  } else {
    process.stderr.write(
      `hato: there is no open invite ${id} (unknown, used or revoked already)\n`,
    );
    return 1;
  }
  return 0;
}

/** With the server stopped: on the data folder, writing the audit entries the server would. */
async function offline(config: Config, sub: string, req: AdminRequest): Promise<unknown> {
  ensureDataDir(config.data);
  const storage = openSqliteStorage(paths(config.data).db);
  const audit = new AuditLog({
    store: storage.audit,
    key: auditKey(config.data),
    signEveryEntries: config.audit.signEveryEntries,
    signEverySeconds: config.audit.signEverySeconds,
  });
  try {
    const events = {
      fire: async (kind: string, p: Record<string, unknown>) => {
        const { by, id, ...details } = p as { by: string; id: string };
        await audit.record(kind, { actor: by, subject: id, details });
        return false;
      },
    };
    const invites = new Invites(storage, config, events);
    if (sub === "create") {
      return await invites.create({
        by: "cli",
        ...(req.expiresInHours === undefined ? {} : { expiresInHours: req.expiresInHours }),
        ...(req.note === undefined ? {} : { note: req.note }),
      });
    }
    if (sub === "list") return await invites.list();
    return await invites.revoke(req.id ?? "", "cli");
  } finally {
    await audit.close();
    await storage.close();
  }
}

/** One invite per line: id, state, expiry, who made it, who used it, the note. */
function line(inv: Invite): string {
  const parts = [inv.id, inv.state.padEnd(7), `expires ${inv.expiresAt}`, `by ${inv.createdBy}`];
  if (inv.usedBy) parts.push(`used by ${inv.usedBy} at ${inv.usedAt}`);
  if (inv.revokedAt) parts.push(`revoked at ${inv.revokedAt}`);
  if (inv.note) parts.push(`"${inv.note}"`);
  return parts.join("  ");
}

/** Why an invite made now could not be redeemed under the current settings, if it could not. */
function unusable(config: Config): string | undefined {
  const r = loadPolicy(config.file, config.domain);
  const rule = r.ok ? r.policy.base.registration : undefined;
  if (rule === "off") return "the policy says `registration: off`, so invites cannot be redeemed";
  if (rule !== "invite" && !config.register.enabled) {
    return "in-band registration is off (set `registration: invite` in the policy, or register.enabled) so this invite cannot be redeemed yet";
  }
  return undefined;
}
