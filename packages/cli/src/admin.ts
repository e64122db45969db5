// `hato user lock|unlock|role|groups` and `hato admin token create|list|revoke`: the admin
// console's operations from the command line, through the running server's admin socket, or
// on the data folder when it is stopped (a stopped server has no sessions to cut off).

import {
  type AdminRequest,
  accountName,
  adminRequest,
  type Config,
  checkedRole,
  formatPolicyError,
  parsePolicy,
  policySource,
  readPolicyText,
  tokenOp,
  withGroups,
  withRole,
  writePolicyText,
} from "@hato/core";
import { paths } from "./data-dir.js";
import { withDataFolder } from "./offline.js";

const CLI = { via: "cli" };

/** One admin operation: live when a server runs, else `offline` on the data folder. */
async function run(
  config: Config,
  req: AdminRequest,
  offline: () => Promise<unknown>,
): Promise<{ ok: true; result: unknown; live: boolean } | { ok: false }> {
  const live = await adminRequest(paths(config.data).socket, req);
  if (live === undefined) return { ok: true, result: await offline(), live: false };
  if (!live.ok) {
    process.stderr.write(`hato: ${live.error} (${live.code})\n`);
    return { ok: false };
  }
  return { ok: true, result: live.result, live: true };
}

/** `hato user lock|unlock|role|groups NAME ...`. */
export async function userAdminCommand(config: Config, args: string[]): Promise<number> {
  const [sub, address, value] = args;
  if (address === undefined || ((sub === "role" || sub === "groups") && value === undefined)) {
    process.stderr.write(
      "usage: hato user lock|unlock NAME, hato user role NAME admin|user|limited, hato user groups NAME G1,G2\n",
    );
    return 2;
  }
  const domain = config.domain;
  const username = accountName(address, domain);
  if (sub === "lock" || sub === "unlock") {
    const r = await run(config, { op: `user.${sub}`, address }, () =>
      withDataFolder(config, async (storage, audit) => {
        if (!(await storage.accounts.update(username, { disabled: sub === "lock" })))
          throw new Error(`${username}@${domain} does not exist`);
        await audit.record(sub === "lock" ? "user-locked" : "user-unlocked", {
          subject: username,
          details: CLI,
        });
        return { locked: sub === "lock", closedSessions: 0 };
      }),
    );
    if (!r.ok) return 1;
    const closed = (r.result as { closedSessions?: number }).closedSessions ?? 0;
    process.stdout.write(
      sub === "lock"
        ? `locked ${username}@${domain}${r.live ? ` and closed ${closed} session${closed === 1 ? "" : "s"}` : ""}\n`
        : `unlocked ${username}@${domain}\n`,
    );
    return 0;
  }
  if (sub === "role" || sub === "groups") {
    const groups =
      sub === "groups"
        ? value!
            .split(",")
            .map((g) => g.trim())
            .filter((g) => g !== "")
        : [];
    const req: AdminRequest =
      sub === "role"
        ? { op: "user.role", address, role: checkedRole(value) }
        : { op: "user.groups", address, groups };
    const r = await run(config, req, () =>
      withDataFolder(config, async (storage, audit) => {
        if ((await storage.accounts.get(username)) === undefined)
          throw new Error(`${username}@${domain} does not exist`);
        const src = policySource(config.file, config.data);
        const before = readPolicyText(src);
        let text: string;
        if (sub === "role") text = withRole(before, username, domain, value!);
        else {
          const g = withGroups(before, username, domain, groups);
          if (g.unknown.length > 0)
            throw new Error(
              `the policy defines no group ${g.unknown.map((x) => `"${x}"`).join(", ")}`,
            );
          text = g.text;
        }
        const checked = parsePolicy(text, src.path, []);
        if (!checked.ok) throw new Error(checked.errors.map(formatPolicyError).join("\n"));
        writePolicyText(src, text);
        await audit.record(sub === "role" ? "role-changed" : "groups-changed", {
          subject: username,
          details: sub === "role" ? { role: value, ...CLI } : { groups, ...CLI },
        });
        return {};
      }),
    );
    if (!r.ok) return 1;
    process.stdout.write(
      sub === "role"
        ? `${username}@${domain} now has the role ${value}\n`
        : `${username}@${domain} is now in ${groups.length > 0 ? groups.join(", ") : "no group"}\n`,
    );
    return 0;
  }
  return 2;
}

/** `hato admin token create NAME --owner USER | list | revoke ID`. */
export async function adminCommand(
  config: Config,
  args: string[],
  owner: string | undefined,
): Promise<number> {
  const [what, sub, arg] = args;
  const usage = () => {
    process.stderr.write(
      "usage: hato admin token create NAME --owner USER | hato admin token list | hato admin token revoke ID\n",
    );
    return 2;
  };
  if (what !== "token") return usage();
  let req: AdminRequest;
  if (sub === "create" && arg !== undefined && owner !== undefined)
    req = { op: "token.create", name: arg, owner };
  else if (sub === "list") req = { op: "token.list" };
  else if (sub === "revoke" && arg !== undefined) req = { op: "token.revoke", id: arg };
  else return usage();
  const r = await run(config, req, () =>
    withDataFolder(config, (storage, audit) => tokenOp(storage, audit, config.domain, req)),
  );
  if (!r.ok) return 1;
  if (sub === "create") {
    const made = r.result as { id: string; token: string };
    process.stdout.write(`${made.token}\n`);
    process.stderr.write(`token ${made.id} created; it is shown only this once\n`);
  } else if (sub === "list") {
    for (const t of r.result as {
      id: string;
      name: string;
      owner: string;
      createdAt: string;
      lastUsedAt: string | null;
    }[])
      process.stdout.write(
        `${t.id}\t${t.name}\t${t.owner}\t${t.createdAt}\t${t.lastUsedAt ?? "never used"}\n`,
      );
  } else process.stdout.write(`revoked ${arg}\n`);
  return 0;
}
