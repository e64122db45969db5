// API tokens: `hato_` and 256 random bits; only their SHA-256 is stored (host key-value store
// "admin-tokens", one document per token keyed by the hash), so the database never holds one.

import { createHash, randomBytes } from "node:crypto";
import type { Storage } from "@hato/storage";

const STORE = "admin-tokens";
/** Tokens at most (all owners together): listing and revoking read them all. */
export const MAX_TOKENS = 100;
// Writing lastUsedAt on every scrape would make each request a database write.
const LAST_USED_EVERY_MS = 60_000;

export interface TokenInfo {
  id: string;
  name: string;
  owner: string;
  createdAt: string;
  lastUsedAt: string | null;
}

const TOKEN = /^hato_[A-Za-z0-9_-]{43}$/;
const hash = (token: string) => createHash("sha256").update(token).digest("hex");

/** The token store of one database. */
export class ApiTokens {
  constructor(private readonly storage: Storage) {}

  /** Every token's metadata (never the token), oldest first. */
  async list(): Promise<TokenInfo[]> {
    const out: TokenInfo[] = [];
    for (const k of await this.storage.kv.keys(STORE, "")) {
      const v = await this.storage.kv.get(STORE, "", k);
      if (v !== undefined) out.push(JSON.parse(v) as TokenInfo);
    }
    return out.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  /** A new token for `owner`; the token text is returned once and never stored. */
  async create(name: string, owner: string): Promise<{ id: string; token: string }> {
    if ((await this.storage.kv.keys(STORE, "")).length >= MAX_TOKENS)
      throw new RangeError(`at most ${MAX_TOKENS} API tokens; revoke one first`);
    const token = `hato_${randomBytes(32).toString("base64url")}`;
    const info: TokenInfo = {
      id: randomBytes(9).toString("base64url"),
      name,
      owner,
      createdAt: new Date().toISOString(),
      lastUsedAt: null,
    };
    await this.storage.kv.set(STORE, "", hash(token), JSON.stringify(info));
    return { id: info.id, token };
  }

  /** The token's metadata when it is one of ours (and notes its use). */
  async check(token: string): Promise<TokenInfo | undefined> {
    if (!TOKEN.test(token)) return undefined;
    const key = hash(token);
    const v = await this.storage.kv.get(STORE, "", key);
    if (v === undefined) return undefined;
    const info = JSON.parse(v) as TokenInfo;
    const last = info.lastUsedAt === null ? 0 : Date.parse(info.lastUsedAt);
    if (Date.now() - last >= LAST_USED_EVERY_MS) {
      info.lastUsedAt = new Date().toISOString();
      await this.storage.kv.set(STORE, "", key, JSON.stringify(info));
    }
    return info;
  }

  /** Revokes by id; the revoked token's metadata, or undefined when there was none. */
  async revoke(id: string): Promise<TokenInfo | undefined> {
    for (const k of await this.storage.kv.keys(STORE, "")) {
      const v = await this.storage.kv.get(STORE, "", k);
      if (v === undefined) continue;
      const info = JSON.parse(v) as TokenInfo;
      if (info.id === id) {
        await this.storage.kv.set(STORE, "", k, undefined);
        return info;
      }
    }
    return undefined;
  }

  /** Revokes every token of one owner (the account was deleted); returns how many. */
  async revokeOwner(owner: string): Promise<number> {
    let n = 0;
    for (const t of await this.list()) if (t.owner === owner && (await this.revoke(t.id))) n++;
    return n;
  }
}
