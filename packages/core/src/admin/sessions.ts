// Admin console sessions: in server memory only (gone at restart), keyed by a SHA-256 of the
// cookie's random id so a memory dump or a log line never holds a usable cookie.

import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

export interface ConsoleSession {
  readonly user: string;
  /** The CSRF token the console sends back in `X-Hato-CSRF` (per session, not per tab). */
  readonly csrf: string;
  readonly created: number;
  lastSeen: number;
  readonly address: string;
  /**
   * Ended by an administrator's action (the account was locked or demoted): nothing works with
   * it any more, and its next request is told why (403) before it is forgotten.
   */
  revoked: boolean;
}

export interface SessionLimits {
  idleMinutes: number;
  sessionHours: number;
  maxSessions: number;
}

const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");

/** 256 random bits, base64url (43 characters). */
export const randomId = () => randomBytes(32).toString("base64url");

/** The live console sessions. */
export class ConsoleSessions {
  private readonly byHash = new Map<string, ConsoleSession>();
  /** The clock; tests move it to prove the timeouts. */
  now: () => number = Date.now;

  constructor(private readonly limits: SessionLimits) {}

  /** A new session with a fresh id; the oldest goes when the total is at its limit. */
  create(user: string, address: string): { id: string; session: ConsoleSession } {
    this.expire();
    while (this.byHash.size >= this.limits.maxSessions) {
      const oldest = this.byHash.keys().next().value;
      if (oldest === undefined) break;
      this.byHash.delete(oldest);
    }
    const id = randomId();
    const t = this.now();
    const session = { user, csrf: randomId(), created: t, lastSeen: t, address, revoked: false };
    this.byHash.set(sha256(id), session);
    return { id, session };
  }

  /** The live session of a cookie id (and marks it used), or undefined when none or expired. */
  touch(id: string): ConsoleSession | undefined {
    const key = sha256(id);
    const s = this.byHash.get(key);
    if (s === undefined) return undefined;
    if (this.expired(s)) {
      this.byHash.delete(key);
      return undefined;
    }
    s.lastSeen = this.now();
    return s;
  }

  /** When a session ends unless used again: the idle deadline or the absolute one. */
  expiresAt(s: ConsoleSession): Date {
    const { idleMinutes, sessionHours } = this.limits;
    return new Date(
      Math.min(s.lastSeen + idleMinutes * 60_000, s.created + sessionHours * 3_600_000),
    );
  }

  revoke(id: string): boolean {
    return this.byHash.delete(sha256(id));
  }

  /** Ends every session of one account (locked, demoted, deleted); returns how many. */
  revokeUser(user: string): number {
    let n = 0;
    for (const s of this.byHash.values())
      if (s.user === user && !s.revoked) {
        s.revoked = true;
        n++;
      }
    return n;
  }

  /** The users with a usable console session now (to drop demoted admins at once). */
  users(): Set<string> {
    return new Set([...this.byHash.values()].filter((s) => !s.revoked).map((s) => s.user));
  }

  get size(): number {
    return this.byHash.size;
  }

  private expired(s: ConsoleSession): boolean {
    return this.now() >= this.expiresAt(s).getTime();
  }

  private expire(): void {
    for (const [k, s] of this.byHash) if (this.expired(s)) this.byHash.delete(k);
  }
}

/** Compares two secrets in constant time. */
export function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
