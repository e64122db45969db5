// `hato user ...`: through the running server's admin socket when there is one, else on the data folder.

import { createInterface } from "node:readline";
import { Accounts, type AdminRequest, AuditLog, adminRequest, type Config } from "@hato/core";
import { openSqliteStorage } from "@hato/storage";
import { auditKey, ensureDataDir, paths } from "./data-dir.js";

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
  const needsAddress = sub === "add" || sub === "passwd" || sub === "del";
  if (!["add", "passwd", "del", "list"].includes(sub ?? "") || (needsAddress && !address)) {
    process.stderr.write("usage: hato user add|passwd|del ADDRESS, or hato user list\n");
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
    ensureDataDir(config.data);
    const storage = openSqliteStorage(paths(config.data).db);
    try {
      // With the server stopped, the CLI writes the audit entries the server would have.
      const audit = new AuditLog({
        store: storage.audit,
        key: auditKey(config.data),
        signEveryEntries: config.audit.signEveryEntries,
        signEverySeconds: config.audit.signEverySeconds,
      });
      const events = {
        fire: async (event: "user-created" | "user-deleted", p: { username: string }) => {
          await audit.record(event, { subject: p.username });
          return false;
        },
      };
      const accounts = new Accounts(storage, config.domain, config.scram.iterations, events);
      try {
        if (sub === "add") result = await accounts.add(address!, password!);
        else if (sub === "passwd") {
          result = await accounts.passwd(address!, password!);
          await audit.record("password-changed", { subject: result as string });
        } else if (sub === "del") result = await accounts.del(address!);
        else result = await accounts.list();
      } finally {
        await audit.close();
      }
    } finally {
      await storage.close();
    }
  }
  if (sub === "list") process.stdout.write((result as string[]).map((u) => `${u}\n`).join(""));
  else if (sub === "add") process.stdout.write(`created ${address}\n`);
  else if (sub === "passwd") process.stdout.write(`changed the password of ${address}\n`);
  else process.stdout.write(`deleted ${address}${live ? " and closed its sessions" : ""}\n`);
  return 0;
}
