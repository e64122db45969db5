// Account management shared by the CLI (on the data folder) and the admin socket (live server).

import { parseJid } from "@hato/jid";
import { deriveScramCredentialsAsync } from "@hato/sasl";
import type { Account, Storage } from "@hato/storage";
import { HatoError, HatoErrors } from "./errors.js";

/** The prepared local part of `user@domain` (or of a bare `user`), checked against the domain. */
export function accountName(input: string, domain: string): string {
  const full = input.includes("@") ? input : `${input}@${domain}`;
  const r = parseJid(full);
  if (!r.ok || r.jid.local === "" || r.jid.resource !== "") {
    throw new HatoError(
      HatoErrors.JID_INVALID,
      `"${input}" is not a valid account address${r.ok ? "" : `: ${r.reason}`}`,
    );
  }
  if (r.jid.domain !== domain) {
    throw new HatoError(
      HatoErrors.WRONG_DOMAIN,
      `${r.jid.toString()} is not on this server's domain ${domain}`,
    );
  }
  return r.jid.local;
}

/** SCRAM keys for both hashes; the password itself is never stored. */
export async function scramFor(password: string, iterations: number): Promise<Account["scram"]> {
  if (password.length === 0)
    throw new HatoError(HatoErrors.CONFIG_INVALID, "the password must not be empty");
  const [sha1, sha256] = await Promise.all([
    deriveScramCredentialsAsync(password, "sha1", { iterations }),
    deriveScramCredentialsAsync(password, "sha256", { iterations }),
  ]);
  return { sha1, sha256 };
}

/** Where a running server hears of accounts made and removed (its event bus, a module API). */
export interface AccountEvents {
  fire(
    event: "user-created" | "user-deleted",
    payload: { username: string },
  ): boolean | Promise<boolean>;
}

/**
 * Account operations; the same code runs in the CLI and behind the admin socket. With
 * `events` (a running server), `user-created` and `user-deleted` fire once storage has the
 * change, so modules drop what they keep in memory about an account of that name.
 */
export class Accounts {
  constructor(
    private readonly storage: Storage,
    private readonly domain: string,
    private readonly iterations: number,
    private readonly events?: AccountEvents,
  ) {}

  async add(address: string, password: string, roles: string[] = []): Promise<string> {
    const username = accountName(address, this.domain);
    const scram = await scramFor(password, this.iterations);
    const created = await this.storage.accounts.create({
      username,
      createdAt: new Date(),
      scram,
      roles,
    });
    if (!created)
      throw new HatoError(HatoErrors.USER_EXISTS, `${username}@${this.domain} already exists`);
    await this.events?.fire("user-created", { username });
    return username;
  }

  async passwd(address: string, password: string): Promise<string> {
    const username = accountName(address, this.domain);
    const ok = await this.storage.accounts.setCredentials(
      username,
      await scramFor(password, this.iterations),
    );
    if (!ok)
      throw new HatoError(HatoErrors.USER_NOT_FOUND, `${username}@${this.domain} does not exist`);
    return username;
  }

  async del(address: string): Promise<string> {
    const username = accountName(address, this.domain);
    if (!(await this.storage.accounts.delete(username))) {
      throw new HatoError(HatoErrors.USER_NOT_FOUND, `${username}@${this.domain} does not exist`);
    }
    await this.events?.fire("user-deleted", { username });
    return username;
  }

  async list(): Promise<string[]> {
    const out: string[] = [];
    let after: string | undefined;
    for (;;) {
      const page = await this.storage.accounts.list({ after, limit: 500 });
      for (const u of page) out.push(`${u}@${this.domain}`);
      if (page.length < 500) return out;
      after = page.at(-1);
    }
  }
}
