// `hato policy ...`: check a policy, explain it for one user, reload it in the running server.

import { existsSync } from "node:fs";
import {
  adminRequest,
  type Config,
  checkPolicyFile,
  dataPolicyFile,
  explain,
  formatPolicyError,
  loadPolicy,
} from "@hato/core";
import { paths } from "./data-dir.js";

const USAGE = "usage: hato policy check [FILE] | hato policy explain USER | hato policy reload\n";

export async function policyCommand(config: Config, args: string[]): Promise<number> {
  const [sub, arg] = args;
  switch (sub) {
    case "check": {
      // A FILE is a policy file of its own; without one, the policy of hato.yaml.
      const r =
        arg !== undefined
          ? checkPolicyFile(arg, config.domain)
          : loadPolicy(config.file, config.domain, config.data);
      if (!r.ok) {
        for (const e of r.errors) process.stderr.write(`${formatPolicyError(e)}\n`);
        process.stderr.write(
          `hato: the policy is invalid (${r.errors.length} error${r.errors.length === 1 ? "" : "s"})\n`,
        );
        return 1;
      }
      const own = dataPolicyFile(config.data);
      const source = arg ?? config.file ?? (existsSync(own) ? own : undefined);
      process.stdout.write(
        `policy OK${source !== undefined ? ` (${source})` : " (none: the defaults apply)"}\n`,
      );
      return 0;
    }
    case "explain": {
      if (arg === undefined) break;
      const r = loadPolicy(config.file, config.domain, config.data);
      if (!r.ok) {
        for (const e of r.errors) process.stderr.write(`${formatPolicyError(e)}\n`);
        return 1;
      }
      const at = arg.indexOf("@");
      const user = (at < 0 ? arg : arg.slice(0, at)).toLowerCase();
      if (
        at >= 0 &&
        arg
          .slice(at + 1)
          .split("/")[0]!
          .toLowerCase() !== config.domain
      ) {
        process.stderr.write(`hato: ${arg} is not an account of ${config.domain}\n`);
        return 1;
      }
      process.stdout.write(`${explain(r.policy, user).join("\n")}\n`);
      return 0;
    }
    case "reload": {
      const live = await adminRequest(paths(config.data).socket, { op: "policy.reload" });
      if (live === undefined) {
        process.stderr.write("hato: no running server (the policy is read when it starts)\n");
        return 1;
      }
      if (!live.ok) {
        process.stderr.write(
          `${live.error}\nhato: the policy was not reloaded; the old one stays\n`,
        );
        return 1;
      }
      process.stdout.write("policy reloaded\n");
      return 0;
    }
  }
  process.stderr.write(USAGE);
  return 2;
}
