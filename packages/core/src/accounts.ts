// Account management shared by the CLI (on the data folder) and the admin socket (live server).

import { parseJid } from "@hato/jid";
import { deriveScramCredentialsAsync } from "@hato/sasl";
import type { Account, Storage } from "@hato/storage";
import { HatoError, HatoErrors } from "./errors.js";
import type { PurgeCounts, ServerEvents } from "./events.js";
import { deleteUpload, uploadFolders } from "./uploads.js";

/**
 * Names of deleted accounts, reserved (host key-value store, key = username, value = JSON
 * `{deletedAt}`) so nobody can register a departed colleague's address and receive what their
 * contacts still send there; `hato user release NAME` frees one.
 */
export const RESERVED_STORE = "reserved-names";

/** What `Accounts.del` removed. */
export interface DeletedAccount {
  username: string;
  purged: PurgeCounts;
}

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
  fire<E extends "user-created" | "user-deleted" | "user-released">(
    event: E,
    payload: ServerEvents[E],
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
    /** The data folder, where uploaded files' bytes are; without it only their records go. */
    private readonly data?: string,
  ) {}

  async add(address: string, password: string, roles: string[] = []): Promise<string> {
    const username = accountName(address, this.domain);
    if ((await this.storage.kv.get(RESERVED_STORE, "", username)) !== undefined)
      throw new HatoError(
        HatoErrors.USER_RESERVED,
        `${username}@${this.domain} belonged to a deleted account and stays reserved, so nobody can take over a former user's address; an admin can release it with "hato user release ${username}"`,
      );
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

  /**
   * Deletes an account and everything it owns: archive, offline messages, roster, PEP nodes,
   * private and other key-value data (by the storage's cascade), uploaded files with their
   * bytes, and its items in other accounts' rosters. The name stays reserved. The storage is
   * compacted after, so the deleted content is gone from the database files too.
   */
  async del(address: string): Promise<DeletedAccount> {
    const username = accountName(address, this.domain);
    const { storage } = this;
    if ((await storage.accounts.get(username)) === undefined)
      throw new HatoError(HatoErrors.USER_NOT_FOUND, `${username}@${this.domain} does not exist`);
    const bare = `${username}@${this.domain}`;
    const purged: PurgeCounts = {
      archive: (await storage.archive.query(username, { limit: 1 }))?.count ?? 0,
      offline: await storage.offline.count(username),
      roster: await storage.roster.count(username),
      pep: (await storage.pubsub.nodes(username)).length,
      files: 0,
      inOtherRosters: 0,
    };
    // Refuse logins from now on, while the rest goes (a login in between would see half).
    await storage.accounts.update(username, { disabled: true });
    const rosters: { username: string; version: number; subscription: string }[] = [];
    for (const holder of await storage.roster.holders(bare)) {
      if (holder === username) continue;
      const item = await storage.roster.item(holder, bare);
      const version = await storage.roster.set(holder, bare, undefined);
      if (version !== undefined && item !== undefined)
        rosters.push({ username: holder, version, subscription: item.subscription });
    }
    purged.inOtherRosters = rosters.length;
    const folders = this.data === undefined ? undefined : uploadFolders(this.data);
    for (const f of await storage.files.list(username)) {
      if (folders) await deleteUpload(storage, folders, f);
      else await storage.files.delete(f.id);
      purged.files++;
    }
    await storage.kv.set(
      RESERVED_STORE,
      "",
      username,
      JSON.stringify({ deletedAt: new Date().toISOString() }),
    );
    if (!(await storage.accounts.delete(username)))
      throw new HatoError(HatoErrors.USER_NOT_FOUND, `${bare} does not exist`);
    await storage.compact();
    await this.events?.fire("user-deleted", { username, purged, rosters });
    return { username, purged };
  }

  /** Frees the reserved name of a deleted account, so it can be created again. */
  async release(address: string): Promise<string> {
    const username = accountName(address, this.domain);
    if ((await this.storage.kv.get(RESERVED_STORE, "", username)) === undefined)
      throw new HatoError(
        HatoErrors.USER_NOT_FOUND,
        `${username}@${this.domain} is not a reserved name of a deleted account`,
      );
    await this.storage.kv.set(RESERVED_STORE, "", username, undefined);
    await this.events?.fire("user-released", { username });
    return username;
  }

  /** Reserved names of deleted accounts, as addresses. */
  async reserved(): Promise<string[]> {
    return (await this.storage.kv.keys(RESERVED_STORE, "")).map((u) => `${u}@${this.domain}`);
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
