// The `hato` command: start the server, manage accounts, check the configuration.

import { existsSync } from "node:fs";
import { parseArgs } from "node:util";
import { flagOf, HatoError, loadConfig, SETTINGS } from "@hato/core";
import { adminCommand, userAdminCommand } from "./admin.js";
import { auditCommand } from "./audit.js";
import { checkConfig } from "./check-config.js";
import { inviteCommand } from "./invite.js";
import { policyCommand } from "./policy.js";
import { start } from "./start.js";
import { userCommand } from "./user.js";

const USAGE = `Usage:
  hato start [options]                 start the server
  hato user add ADDRESS [--password PW] create an account (asks for the password if not given)
  hato user passwd ADDRESS [--password PW]
  hato user del ADDRESS                delete an account (closes its sessions)
  hato user list                       list accounts
  hato user lock|unlock NAME           lock an account (its sessions end at once) or unlock it
  hato user role NAME ROLE             set the role (admin, user, limited) in the policy
  hato user groups NAME G1,G2          set the groups (defined in the policy) of an account
  hato admin token create NAME --owner USER
                                       an API token acting as the admin USER (printed once)
  hato admin token list|revoke [ID]    list the API tokens, or revoke one
  hato policy check [FILE]             validate the policy (of hato.yaml, or FILE) with line numbers
  hato policy explain USER             what USER may and may not do, in plain words
  hato policy reload                   reload the running server's policy (kept if invalid)
  hato invite create [--expires-hours N] [--note TEXT]
                                       make a single-use invite link (prints the URL and xmpp: URI)
  hato invite list                     list invites (never their tokens)
  hato invite revoke ID                withdraw an open invite
  hato check-config [options]          validate hato.yaml, certificate and data folder
  hato audit verify                    check the audit log's chain and signed heads (exit 1 if tampered)
  hato audit export                    print the audit log as JSON Lines

Options (every setting of hato.yaml has a flag; see docs/configuration.md):
  --config FILE    configuration file (default: ./hato.yaml when it exists)
${SETTINGS.map((s) => `  ${flagOf(s.path).padEnd(36)} ${s.doc}`).join("\n")}
`;

/** Parses argv into a command, positionals, setting flags and the remaining options. */
function parse(argv: string[]) {
  const options: Record<string, { type: "string" | "boolean"; multiple?: boolean }> = {
    config: { type: "string" },
    password: { type: "string" },
    owner: { type: "string" },
    "expires-hours": { type: "string" },
    note: { type: "string" },
    help: { type: "boolean" },
    version: { type: "boolean" },
  };
  // A list setting (components) may be given as a repeated flag; its values join with commas.
  for (const s of SETTINGS)
    options[flagOf(s.path).slice(2)] = { type: "string", multiple: s.type.kind === "components" };
  const { values, positionals } = parseArgs({
    args: argv,
    options,
    allowPositionals: true,
    strict: true,
  });
  const flags = new Map<string, string>();
  for (const s of SETTINGS) {
    const v = values[flagOf(s.path).slice(2)];
    if (typeof v === "string") flags.set(s.path, v);
    else if (Array.isArray(v)) flags.set(s.path, v.join(","));
  }
  return { values, positionals, flags };
}

async function main(argv: string[]): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (err) {
    process.stderr.write(`hato: ${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const { values, positionals, flags } = parsed;
  if (values.version) {
    process.stdout.write("hato 0.1.0\n");
    return 0;
  }
  const [command, ...rest] = positionals;
  if (values.help || command === undefined || command === "help") {
    process.stdout.write(USAGE);
    return command === undefined && !values.help ? 2 : 0;
  }
  const file =
    typeof values.config === "string"
      ? values.config
      : existsSync("hato.yaml")
        ? "hato.yaml"
        : undefined;
  const config = loadConfig({ file, flags });
  switch (command) {
    case "start":
      return start(config);
    case "user":
      if (["lock", "unlock", "role", "groups"].includes(rest[0] ?? ""))
        return userAdminCommand(config, rest);
      return userCommand(
        config,
        rest,
        typeof values.password === "string" ? values.password : undefined,
      );
    case "policy":
      return policyCommand(config, rest);
    case "invite":
      return inviteCommand(config, rest, {
        ...(typeof values["expires-hours"] === "string"
          ? { expiresHours: values["expires-hours"] }
          : {}),
        ...(typeof values.note === "string" ? { note: values.note } : {}),
      });
    case "check-config":
      return checkConfig(config);
    case "audit":
      return auditCommand(config, rest);
    case "admin":
      return adminCommand(
        config,
        rest,
        typeof values.owner === "string" ? values.owner : undefined,
      );
    default:
      process.stderr.write(`hato: unknown command "${command}"\n\n${USAGE}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code !== -1) process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof HatoError) process.stderr.write(`hato: ${err.message} (${err.code})\n`);
    else process.stderr.write(`hato: ${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 1;
  },
);
