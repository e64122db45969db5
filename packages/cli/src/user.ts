// `hato user ...`: through the running server's admin socket when there is one, else on the data folder.

import { createInterface } from "node:readline";
import {
  Accounts,
  type AdminRequest,
  adminRequest,
  auditServerEvents,
  type Config,
  EventBus,
  type PurgeCounts,
} from "@hato/core";
import { paths } from "./data-dir.js";
import { withDataFolder } from "./offline.js";

/** Reads a password: hidden prompt on a terminal, else the first line of standard input. */
async function readPassword(): Promise<string> {
  const rl = createInterface({
    input: process.stdin,
    output: process.stdout,
    terminal: process.stdin.isTTY,
  });
  if (process.stdin.isTTY) {
    process.stdout.write("Password: ");
    // Echo nothing while the password is typed.
    (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput = () => {};
  }
  const line = await new Promise<string>((resolve) => {
    rl.once("line", resolve);
    rl.once("close", () => resolve(""));
  });
  rl.close();
  if (process.stdin.isTTY) process.stdout.write("\n");
  return line;
}

export async function userCommand(
  config: Config,
  args: string[],
  password: string | undefined,
): Promise<number> {
  const [sub, address] = args;
  const needsAddress = sub === "add" || sub === "passwd" || sub === "del" || sub === "release";
  if (
    !["add", "passwd", "del", "release", "list", "reserved"].includes(sub ?? "") ||
    (needsAddress && !address)
  ) {
    process.stderr.write(
      "usage: hato user add|passwd|del|release ADDRESS, or hato user list|reserved\n",
    );
    return 2;
  }
  if ((sub === "add" || sub === "passwd") && password === undefined)
    password = await readPassword();
  const req = { op: `user.${sub}`, address, password } as AdminRequest;

  const live = await adminRequest(paths(config.data).socket, req);
  let result: unknown;
  if (live !== undefined) {
    if (!live.ok) {
      process.stderr.write(`hato: ${live.error} (${live.code})\n`);
      return 1;
    }
    result = live.result;
  } else {
    // With the server stopped, the CLI writes the audit entries the server would have,
    // from the same events.
    result = await withDataFolder(config, async (storage, audit) => {
      const bus = new EventBus((_owner, event, err) =>
        process.stderr.write(`hato: recording ${event} failed: ${String(err)}\n`),
      );
      auditServerEvents(bus, audit);
      const accounts = new Accounts(
        storage,
        config.domain,
        config.scram.iterations,
        bus,
        config.data,
      );
      if (sub === "add") return accounts.add(address!, password!);
      if (sub === "passwd") {
        const username = await accounts.passwd(address!, password!);
        await audit.record("password-changed", { subject: username });
        return username;
      }
      if (sub === "del") return accounts.del(address!);
      if (sub === "release") return accounts.release(address!);
      if (sub === "reserved") return accounts.reserved();
      return accounts.list();
    });
  }
  if (sub === "list" || sub === "reserved")
    process.stdout.write((result as string[]).map((u) => `${u}\n`).join(""));
  else if (sub === "add") process.stdout.write(`created ${address}\n`);
  else if (sub === "passwd") process.stdout.write(`changed the password of ${address}\n`);
  else if (sub === "release")
    process.stdout.write(`released ${address}: the name may be used for a new account\n`);
  else {
    const p = (result as { purged: PurgeCounts }).purged;
    process.stdout.write(
      `deleted ${address}${live ? " and closed its sessions" : ""}: ${p.archive} archived messages, ${p.offline} offline messages, ${p.roster} roster items, ${p.pep} PEP nodes, ${p.files} files, and its items in ${p.inOtherRosters} other rosters; private data too. The address stays reserved (hato user release frees it).\n`,
    );
  }
  return 0;
}
