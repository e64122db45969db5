// Short-lived bearer tokens for the scanner hand-off, handed out over XMPP, and a per-user rate.

import { createHash, randomBytes } from "node:crypto";

/** Most tokens one user holds at once; the oldest goes first. */
const MAX_PER_USER = 8;

const digest = (token: string) => createHash("sha256").update(token).digest("base64url");

/**
 * Tokens bound to a username, kept in memory only (a restart signs everyone out of the
 * hand-off, which costs one IQ). The map is keyed by the token's hash, so a lookup does not
 * compare secrets byte by byte.
 */
export class TokenStore {
  private readonly byHash = new Map<string, { user: string; expires: number }>();

  constructor(private readonly lifetimeMs: number) {}

  /** A new random token for `user`, and when it expires. */
  issue(user: string, now = Date.now()): { token: string; expires: Date } {
    this.sweep(now);
    const mine = [...this.byHash].filter(([, t]) => t.user === user);
    for (const [h] of mine.slice(0, Math.max(0, mine.length - MAX_PER_USER + 1)))
      this.byHash.delete(h);
    const token = randomBytes(32).toString("base64url");
    const expires = now + this.lifetimeMs;
    this.byHash.set(digest(token), { user, expires });
    return { token, expires: new Date(expires) };
  }

  /** The user a valid token belongs to. */
  user(token: string, now = Date.now()): string | undefined {
    const t = this.byHash.get(digest(token));
    return t !== undefined && t.expires > now ? t.user : undefined;
  }

  /** Forgets every token of a user (account deleted). */
  forget(user: string): void {
    for (const [h, t] of this.byHash) if (t.user === user) this.byHash.delete(h);
  }

  private sweep(now: number): void {
    for (const [h, t] of this.byHash) if (t.expires <= now) this.byHash.delete(h);
  }
}

/** At most `limit` events per user in any minute (a sliding window). */
export class RateLimiter {
  private readonly seen = new Map<string, number[]>();

  constructor(private readonly limit: number) {}

  /** Counts one event; returns the seconds to wait when over the limit (nothing counted). */
  take(user: string, now = Date.now()): number | undefined {
    const recent = (this.seen.get(user) ?? []).filter((t) => t > now - 60_000);
    if (recent.length >= this.limit) {
      this.seen.set(user, recent);
      return Math.max(1, Math.ceil((recent[0]! + 60_000 - now) / 1000));
    }
    recent.push(now);
    this.seen.set(user, recent);
    return undefined;
  }
}
