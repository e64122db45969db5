// Sessions of local users and the registry that finds them by JID (RFC 6120 §7, RFC 6121 §8.5).

import type { Jid } from "@hato/jid";
import type { Element } from "@hato/xml";
import type { StreamError } from "./errors.js";

/**
 * The client software a session says it runs: its XEP-0092 Software Version answer (`name`,
 * `version`, `os`) and the XEP-0115 caps node of its first presence. Claimed, not proven.
 */
export interface ClientSoftware {
  name?: string;
  version?: string;
  os?: string;
  node?: string;
}

/** One bound client session, as modules see it. */
export interface Session {
  readonly id: string;
  /** The full JID; set once the resource is bound. */
  readonly jid: Jid;
  readonly username: string;
  readonly resource: string;
  /** The peer's IP address. */
  readonly address: string;
  /** True after initial presence (RFC 6121 §4.2); only available sessions get bare-JID messages. */
  readonly available: boolean;
  /** Presence priority, -128..127 (RFC 6121 §4.7.2.3). */
  readonly priority: number;
  /**
   * The last presence the client broadcast (sent without `to`), with `from` stamped, while it
   * is available; undefined before initial presence and after unavailable presence.
   */
  readonly presence: Element | undefined;
  /**
   * True while the connection is gone but the session waits for the client to resume it
   * (XEP-0198); stanzas sent meanwhile are queued for it, and push (XEP-0357) may wake it.
   */
  readonly hibernated: boolean;
  /** The client software, once the client said (c2s/client-identity.ts); may stay undefined. */
  readonly software?: ClientSoftware;
  /**
   * Queues a stanza for this session; `written` runs once its bytes reached the socket or,
   * with stream management (XEP-0198), once the session's unacknowledged queue holds it (from
   * there it is resent on resumption or routed again when the session ends, never dropped).
   */
  send(stanza: Element, written?: (ok: boolean) => void): void;
  /** Closes the session, with a stream error when given. */
  close(error?: StreamError): void;
}

/** Sessions by account and resource. */
export class SessionRegistry {
  private readonly byUser = new Map<string, Map<string, Session>>();
  private count = 0;

  /** The session with this full JID, if it is bound here. */
  get(username: string, resource: string): Session | undefined {
    return this.byUser.get(username)?.get(resource);
  }

  /** Every bound session of an account (empty when offline). */
  ofUser(username: string): Iterable<Session> {
    return this.byUser.get(username)?.values() ?? [];
  }

  countOfUser(username: string): number {
    return this.byUser.get(username)?.size ?? 0;
  }

  get size(): number {
    return this.count;
  }

  /** Every session, for admin views and shutdown. */
  *all(): Iterable<Session> {
    for (const m of this.byUser.values()) yield* m.values();
  }

  /** Adds a session; returns the one it replaced (same resource), if any. */
  add(session: Session): Session | undefined {
    let m = this.byUser.get(session.username);
    if (m === undefined) {
      m = new Map();
      this.byUser.set(session.username, m);
    }
    const old = m.get(session.resource);
    m.set(session.resource, session);
    if (old === undefined) this.count++;
    return old;
  }

  /** Removes a session if it is still the one registered under its JID. */
  remove(session: Session): boolean {
    const m = this.byUser.get(session.username);
    if (m?.get(session.resource) !== session) return false;
    m.delete(session.resource);
    if (m.size === 0) this.byUser.delete(session.username);
    this.count--;
    return true;
  }

  /**
   * The sessions that should get a message to the bare JID (RFC 6121 §8.5.2.1.1):
   * available ones with the highest non-negative priority.
   */
  highestPriority(username: string): Session[] {
    let best = -1;
    let out: Session[] = [];
    for (const s of this.ofUser(username)) {
      if (!s.available || s.priority < 0) continue;
      if (s.priority > best) {
        best = s.priority;
        out = [s];
      } else if (s.priority === best) out.push(s);
    }
    return out;
  }

  /** Available sessions with non-negative priority (headline delivery, RFC 6121 §8.5.2.1.2). */
  nonNegative(username: string): Session[] {
    const out: Session[] = [];
    for (const s of this.ofUser(username)) if (s.available && s.priority >= 0) out.push(s);
    return out;
  }
}
