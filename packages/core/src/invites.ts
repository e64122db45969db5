// Invite links (XEP-0401 account creation, redeemed with XEP-0445 pre-authenticated in-band
// registration): single-use, expiring, revocable tokens, of which only a hash is stored.
//
// The same class runs in the server (`server.invites`, the register module) and in the CLI
// with the server stopped. Records live in the host key-value store "invites", keyed by the
// token's SHA-256, so the token itself is never written anywhere but into the link.

import { createHash, randomBytes } from "node:crypto";
import type { Storage } from "@hato/storage";
import type { Config } from "./config.js";
import { HatoError, HatoErrors } from "./errors.js";

const STORE = "invites";
const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
/** 43 characters of 62 carry 256 bits (62^43 > 2^256). */
const TOKEN_LENGTH = 43;
const TOKEN = /^[A-Za-z0-9]{43}$/;
export const INVITE_NOTE_MAX = 200;
/** Control characters: a note is one line of text. */
const CONTROL = /[\u0000-\u001f\u007f]/;
export const INVITE_HOURS_MAX = 8760;

/** What a listing shows of an invite: never the token, never its hash. */
export interface Invite {
  id: string;
  createdBy: string;
  createdAt: string;
  expiresAt: string;
  note?: string;
  state: "open" | "used" | "expired" | "revoked";
  usedBy?: string;
  usedAt?: string;
  revokedBy?: string;
  revokedAt?: string;
}

/** A new invite: the only time the token is known. */
export interface NewInvite {
  id: string;
  token: string;
  /** The landing page: the web client's invite view, the token in the fragment. */
  url: string;
  /** XEP-0445 §2.2 registration URI. */
  uri: string;
  expiresAt: string;
}

/** Why a token was not accepted; the words are what the invitee is told. */
export type InviteRefusal = "malformed" | "unknown" | "used" | "revoked" | "expired";

export const INVITE_REFUSALS: Record<InviteRefusal, string> = {
  malformed: "this is not an invite token",
  unknown: "this invite does not exist; check that the whole link was copied",
  used: "this invite was already used; ask for a new one",
  revoked: "this invite was withdrawn by an administrator; ask for a new one",
  expired: "this invite has expired; ask for a new one",
};

type Stored = Omit<Invite, "state">;

/** Where a running server hears of invites (its event bus, a module API). */
export interface InviteEvents {
  fire(
    event: "invite-created" | "invite-revoked" | "invite-redeemed",
    payload:
      | { by: string; id: string; expiresAt: string; note?: string }
      | { by: string; id: string }
      | { id: string; username: string; address: string },
  ): boolean | Promise<boolean>;
}

// Check-then-write on the key-value store is made atomic by running every change of one
// database one at a time; the lock is per storage object, so every Invites over it shares it.
const locks = new WeakMap<object, Promise<unknown>>();
function serial<T>(key: object, fn: () => Promise<T>): Promise<T> {
  const run = (locks.get(key) ?? Promise.resolve()).then(fn, fn);
  locks.set(
    key,
    run.catch(() => undefined),
  );
  return run;
}

/** The SHA-256 (hex) under which a token's invite is stored. */
export function inviteKey(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

/** A fresh 256-bit token of letters and digits (XEP-0401: "alpha-numeric"). */
function newToken(): string {
  let out = "";
  while (out.length < TOKEN_LENGTH) {
    for (const b of randomBytes(64)) {
      // 248 = 4 × 62: dropping bytes above it keeps every character equally likely.
      if (b < 248 && out.length < TOKEN_LENGTH) out += ALPHABET[b % 62];
    }
  }
  return out;
}

/** Invite links of one server. */
export class Invites {
  constructor(
    private readonly storage: Storage,
    private readonly config: Pick<Config, "domain" | "tlsPort" | "http" | "register">,
    private readonly events?: InviteEvents,
  ) {}

  /** Makes an invite valid for `expiresInHours` (default `register.invite-hours`). */
  async create(opts: { by: string; expiresInHours?: number; note?: string }): Promise<NewInvite> {
    const hours = opts.expiresInHours ?? this.config.register.inviteHours;
    if (!Number.isInteger(hours) || hours < 1 || hours > INVITE_HOURS_MAX) {
      throw new HatoError(
        HatoErrors.INVITE_INVALID,
        `an invite expires after 1 to ${INVITE_HOURS_MAX} hours (got ${String(hours)})`,
      );
    }
    const note = opts.note?.trim();
    if (note !== undefined && (note.length > INVITE_NOTE_MAX || CONTROL.test(note))) {
      throw new HatoError(
        HatoErrors.INVITE_INVALID,
        `a note is one line of at most ${INVITE_NOTE_MAX} characters`,
      );
    }
    const token = newToken();
    const now = Date.now();
    const stored: Stored = {
      id: randomBytes(6).toString("hex"),
      createdBy: opts.by,
      createdAt: new Date(now).toISOString(),
      expiresAt: new Date(now + hours * 3_600_000).toISOString(),
      ...(note ? { note } : {}),
    };
    await this.storage.kv.set(STORE, "", inviteKey(token), JSON.stringify(stored));
    await this.events?.fire("invite-created", {
      by: opts.by,
      id: stored.id,
      expiresAt: stored.expiresAt,
      ...(note ? { note } : {}),
    });
    return { id: stored.id, token, ...this.links(token), expiresAt: stored.expiresAt };
  }

  /** The landing page URL and the xmpp: URI of a token. */
  links(token: string): { url: string; uri: string } {
    const { domain, tlsPort, http } = this.config;
    const host = http.publicHost || (tlsPort === 443 ? domain : `${domain}:${tlsPort}`);
    // The page takes the domain from the host name unless told (a web host apart from it).
    const name = host.startsWith("[") ? host.slice(0, host.indexOf("]") + 1) : host.split(":")[0];
    const query = name === domain ? "" : `?domain=${encodeURIComponent(domain)}`;
    return {
      url: `https://${host}/invite${query}#${token}`,
      uri: `xmpp:${domain}?register;preauth=${token}`,
    };
  }

  /** Every invite, newest first, with its state now. */
  async list(): Promise<Invite[]> {
    const out: Invite[] = [];
    for (const key of await this.storage.kv.keys(STORE, "")) {
      const s = await this.read(key);
      if (s) out.push(withState(s, Date.now()));
    }
    return out.sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  }

  /** Withdraws an open (or expired) invite; false if there is none by that id or it was used. */
  revoke(id: string, by = "cli"): Promise<boolean> {
    return serial(this.storage.kv, async () => {
      const found = await this.find(id);
      if (found === undefined || found.stored.usedAt || found.stored.revokedAt) return false;
      const revoked = { ...found.stored, revokedBy: by, revokedAt: new Date().toISOString() };
      await this.storage.kv.set(STORE, "", found.key, JSON.stringify(revoked));
      await this.events?.fire("invite-revoked", { by, id });
      return true;
    });
  }

  /**
   * Checks a token now (XEP-0445 §4: the only time expiry counts): the invite's key to
   * redeem it with later in the same stream, or why it is refused.
   */
  async check(
    token: string,
  ): Promise<{ ok: true; key: string; id: string } | { ok: false; reason: InviteRefusal }> {
    if (!TOKEN.test(token)) return { ok: false, reason: "malformed" };
    const key = inviteKey(token);
    const s = await this.read(key);
    if (s === undefined) return { ok: false, reason: "unknown" };
    const state = withState(s, Date.now()).state;
    return state === "open" ? { ok: true, key, id: s.id } : { ok: false, reason: state };
  }

  /**
   * Uses the invite checked as `key` for `username`: marks it used, runs `createAccount`, and
   * gives the invite back if that fails (XEP-0445: not used until registration succeeded).
   * Two redeemers of one invite: the first wins, the second gets "used". Expiry is not checked
   * again (XEP-0445 §4); a revocation since the check is.
   */
  async redeem(
    key: string,
    username: string,
    address: string,
    createAccount: () => Promise<void>,
  ): Promise<{ ok: true; id: string } | { ok: false; reason: InviteRefusal }> {
    const claimed = await serial(this.storage.kv, async () => {
      const s = await this.read(key);
      if (s === undefined) return { ok: false as const, reason: "unknown" as const };
      if (s.revokedAt) return { ok: false as const, reason: "revoked" as const };
      if (s.usedAt) return { ok: false as const, reason: "used" as const };
      const used = { ...s, usedBy: username, usedAt: new Date().toISOString() };
      await this.storage.kv.set(STORE, "", key, JSON.stringify(used));
      return { ok: true as const, stored: s };
    });
    if (!claimed.ok) return claimed;
    try {
      await createAccount();
    } catch (err) {
      await serial(this.storage.kv, () =>
        this.storage.kv.set(STORE, "", key, JSON.stringify(claimed.stored)),
      );
      throw err;
    }
    await this.events?.fire("invite-redeemed", { id: claimed.stored.id, username, address });
    return { ok: true, id: claimed.stored.id };
  }

  private async find(id: string): Promise<{ key: string; stored: Stored } | undefined> {
    for (const key of await this.storage.kv.keys(STORE, "")) {
      const stored = await this.read(key);
      if (stored?.id === id) return { key, stored };
    }
    return undefined;
  }

  private async read(key: string): Promise<Stored | undefined> {
    const text = await this.storage.kv.get(STORE, "", key);
    if (text === undefined) return undefined;
    try {
      return JSON.parse(text) as Stored;
    } catch {
      throw new HatoError(HatoErrors.INVITE_CORRUPT, `invite record ${key} is not JSON`);
    }
  }
}

function withState(s: Stored, now: number): Invite {
  const state = s.usedAt
    ? "used"
    : s.revokedAt
      ? "revoked"
      : Date.parse(s.expiresAt) <= now
        ? "expired"
        : "open";
  return { ...s, state };
}
