// Typed event bus with named priorities (Prosody's hooks, with names checked by type and at run time).

import type { Jid } from "@hato/jid";
import type { Element } from "@hato/xml";
import { HatoError, HatoErrors } from "./errors.js";
import type { Session } from "./session.js";

/** Named priorities: higher runs first; the first handler that returns true takes the event. */
export const Priority = {
  /** Blocking and policy: refuse before anything else sees the stanza. */
  POLICY: 100,
  /** Ordinary feature handlers. */
  DEFAULT: 0,
  /** Observers that watch without taking (carbons, archiving). */
  OBSERVE: -10,
  /** Delivery to sessions or storage. */
  DELIVERY: -100,
  /** Last resort answers. */
  FALLBACK: -1000,
} as const;

export type StanzaKind = "message" | "presence" | "iq";
/** Where a stanza is addressed: the server itself, an account (bare JID), or one session. */
export type Target = "host" | "bare" | "full";
export type IqRequestType = "get" | "set";

/**
 * Stanza events: `message/bare`, `presence/full`, `iq/host`, and for IQ requests the
 * payload-specific `iq-get/host/urn:xmpp:ping:ping` (namespace, colon, element name).
 */
export type StanzaEventName =
  | `${StanzaKind}/${Target}`
  | `iq-${IqRequestType}/${Target}/${string}:${string}`;

/** A stanza travelling through the router, with addresses already checked and prepared. */
export interface StanzaEvent {
  readonly stanza: Element;
  /** The stamped sender: the session's full JID, or the server's domain. */
  readonly from: Jid;
  readonly to: Jid;
  /** The local session it came from; undefined when the server or a module generated it. */
  readonly origin: Session | undefined;
  /**
   * XEP-0198 §4: the server routes this message again because the session it was delivered
   * to ended without acknowledging it. It already went through archiving (its <stanza-id/>
   * is the server's own), carbons and, if it was stored offline, the offline <delay/>: those
   * modules leave it as it is. Only the core sets this; no client can.
   */
  readonly rerouted?: boolean;
}

/** What deleting an account removed, by kind. */
export interface PurgeCounts {
  archive: number;
  offline: number;
  roster: number;
  /** PEP nodes (with their items). */
  pep: number;
  /** Uploaded files (slots, released, quarantined), bytes and metadata. */
  files: number;
  /** Items for this account removed from other accounts' rosters. */
  inOtherRosters: number;
}

/** Events that are not stanzas. */
export interface ServerEvents {
  /**
   * Every stanza the router accepts, before it is classified and before the domain check:
   * policy (blocking, forged wrappers) takes it here to refuse or drop it for every address
   * and payload at once. Handlers must be cheap; most stanzas pass straight through.
   */
  "pre-route": StanzaEvent;
  "session-bound": { session: Session };
  "session-available": { session: Session };
  /**
   * A client sent presence without `to` (RFC 6121 §4.2-§4.5): available or unavailable. The
   * session's `available`, `priority` and `presence` already reflect it.
   */
  "presence-broadcast": { session: Session; stanza: Element };
  "session-closed": { session: Session; reason: string };
  /**
   * The session's connection died and it waits for its client to resume it (XEP-0198);
   * `session.hibernated` is true. It stays registered and keeps its presence; stanzas sent to
   * it are queued. Push (XEP-0357) wakes the client from here.
   */
  "session-hibernated": { session: Session };
  /** A hibernated or still connected session was taken over by a new connection (XEP-0198). */
  "session-resumed": { session: Session };
  /**
   * disco#info to an account's bare JID (XEP-0030 §3.1, asked by `from`, optionally of a
   * `node`): modules add what the account offers. Nothing added for a node is item-not-found.
   */
  "disco-account-info": {
    username: string;
    from: Jid;
    node: string | undefined;
    identities: { category: string; type: string; name?: string }[];
    features: Set<string>;
  };
  /** disco#items of an account's bare JID: modules add `<item/>` elements `from` may see. */
  "disco-account-items": {
    username: string;
    from: Jid;
    node: string | undefined;
    items: Element[];
  };
  /**
   * An item was stored in an account's PEP node (XEP-0163), before the publisher gets its
   * answer: the key transparency log appends device keys here. Observers only.
   */
  "pep-published": { owner: string; node: string; id: string; payload: Element };
  /** An account's vcard-temp (XEP-0054) was stored; `vcard` is the stored `<vCard/>`. */
  "vcard-updated": { username: string; vcard: Element };
  "user-created": { username: string };
  /**
   * An account is gone with its data. `purged` counts what went (account deletion through
   * `Accounts.del`); `rosters` lists the other accounts whose roster lost the account's item,
   * with their new roster version, so the roster module can push the removal (RFC 6121).
   */
  "user-deleted": {
    username: string;
    purged?: PurgeCounts;
    rosters?: { username: string; version: number; subscription: string }[];
  };
  /** An admin released the reserved name of a deleted account (`hato user release`). */
  "user-released": { username: string };
  /**
   * A retention run deleted old messages and files (docs/policy.md): counts per user, never
   * content. Observers only (the audit log).
   */
  "retention-purged": {
    archive: number;
    offline: number;
    files: number;
    users: Record<string, { archive: number; offline: number; files: number }>;
  };
  /** A client proved its credentials (SASL success sent); observers only. */
  "auth-succeeded": { username: string; address: string; mechanism: string };
  /**
   * A login was refused: wrong credentials (`not-authorized`) or a lockout
   * (`temporary-auth-failure`). `username` is the name the client gave, when it gave one.
   * Never the password. Observers only.
   */
  "auth-failed": { username?: string; address: string; mechanism: string; condition: string };
  "server-started": Record<string, never>;
  "server-stopping": Record<string, never>;
  /**
   * An uploaded file got its verdict (XEP-0363 upload, scanned before release): `clean`,
   * `infected` (quarantined), `refused` (could not be scanned in full; deleted), `unavailable`
   * (no scanner answered; refused, or kept as `not-scanned` when `scan.when-down` is accept).
   * For the admin's audit; observers only.
   */
  /**
   * The organisation's policy refused something (docs/policy.md): who, which rule, and the
   * text the user was given. For the audit log; observers only.
   */
  "policy-denied": {
    user: string;
    rule: string;
    text: string;
    /** The client's address, when the rule is about addresses (logins per minute). */
    address?: string;
    /**
     * How many denials of this kind this event stands for: rate-limit denials are coalesced
     * (the first at once, then one event per user and limit per minute); 1 when absent.
     */
    count?: number;
  };
  /**
   * A session's client software is as known as it will be (`session.software`, from its
   * XEP-0092 answer and caps node; undefined fields where the client said nothing). Once per
   * session, within `sessions.client-identity-seconds` of binding.
   */
  "session-client": { session: Session };
  /**
   * A policy reload was tried (`how`: the admin command, a file change, or an edit in the
   * admin console/API/CLI by `actor`): applied, with the validated documents before and after
   * (for a diff), or refused with its errors.
   */
  "policy-reloaded": {
    how: "command" | "file" | "admin";
    actor?: string;
    ok: boolean;
    before: unknown;
    after: unknown;
    errors: string[];
  };
  /** An invite link was made (docs/invites.md); `by` is who asked (an admin, or "cli"). */
  "invite-created": { by: string; id: string; expiresAt: string; note?: string };
  "invite-revoked": { by: string; id: string };
  /** Someone registered `username` with an invite (XEP-0445), from `address`. */
  "invite-redeemed": { id: string; username: string; address: string };
  /** Someone registered in-band without an invite (`registration: open`). */
  "user-registered": { username: string; address: string };
  /** An in-band registration or an invite token was refused; `reason` is the text they got. */
  "registration-refused": { address: string; reason: string; username?: string; invite?: string };
  "upload-verdict": {
    user: string;
    slot: string;
    name: string;
    size: number;
    sha256: string;
    verdict: "clean" | "infected" | "refused" | "unavailable" | "not-scanned";
    engine: string;
    reason?: string;
  };
}

export type EventName = StanzaEventName | keyof ServerEvents;
export type EventPayload<E extends EventName> = E extends keyof ServerEvents
  ? ServerEvents[E]
  : StanzaEvent;

/** true takes the event; anything else lets it pass to the next handler. */
// biome-ignore lint/suspicious/noConfusingVoidType: a handler that returns nothing passes the event on
export type HandlerResult = boolean | undefined | void;
export type Handler<E extends EventName> = (
  payload: EventPayload<E>,
) => HandlerResult | Promise<HandlerResult>;

interface Entry {
  handler: Handler<EventName>;
  priority: number;
  owner: string;
}

const SERVER_EVENTS = new Set<string>([
  "pre-route",
  "session-bound",
  "session-available",
  "presence-broadcast",
  "session-closed",
  "session-client",
  "session-hibernated",
  "session-resumed",
  "disco-account-info",
  "disco-account-items",
  "vcard-updated",
  "pep-published",
  "user-created",
  "user-deleted",
  "user-released",
  "auth-succeeded",
  "auth-failed",
  "server-started",
  "server-stopping",
  "upload-verdict",
  "policy-denied",
  "policy-reloaded",
  "retention-purged",
  "invite-created",
  "invite-revoked",
  "invite-redeemed",
  "user-registered",
  "registration-refused",
]);
const STANZA_EVENT =
  /^(?:(?:message|presence|iq)\/(?:host|bare|full)|iq-(?:get|set)\/(?:host|bare|full)\/.+:[^:]+)$/;

/** Throws at registration time for a name no one will ever fire (a typo would go unnoticed). */
export function checkEventName(name: string): asserts name is EventName {
  if (!SERVER_EVENTS.has(name) && !STANZA_EVENT.test(name)) {
    throw new HatoError(HatoErrors.EVENT_UNKNOWN, `unknown event name "${name}"`);
  }
}

/** Handlers by event name, kept sorted by priority (stable for equal priorities). */
export class EventBus {
  private readonly handlers = new Map<string, Entry[]>();
  private readonly onError: (owner: string, event: string, err: unknown) => void;

  constructor(onError: (owner: string, event: string, err: unknown) => void) {
    this.onError = onError;
  }

  /** Adds a handler; returns a function that removes it. */
  on<E extends EventName>(
    event: E,
    handler: Handler<E>,
    priority: number,
    owner: string,
  ): () => void {
    checkEventName(event);
    const entry: Entry = { handler: handler as Handler<EventName>, priority, owner };
    const list = this.handlers.get(event) ?? [];
    let i = list.length;
    while (i > 0 && list[i - 1]!.priority < priority) i--;
    list.splice(i, 0, entry);
    this.handlers.set(event, list);
    return () => {
      const cur = this.handlers.get(event);
      const at = cur?.indexOf(entry) ?? -1;
      if (cur && at >= 0) cur.splice(at, 1);
    };
  }

  has(event: EventName): boolean {
    return (this.handlers.get(event)?.length ?? 0) > 0;
  }

  /**
   * Runs handlers in priority order until one returns true. Stays synchronous while the
   * handlers are (the hot path for online delivery) and becomes a promise only when a
   * handler returns one. A handler that throws is logged and counts as not taking.
   */
  fire<E extends EventName>(event: E, payload: EventPayload<E>): boolean | Promise<boolean> {
    const list = this.handlers.get(event);
    if (list === undefined || list.length === 0) return false;
    // Copy so a handler that unhooks during dispatch does not skip its neighbour.
    const snapshot = list.length === 1 ? list : list.slice();
    for (let i = 0; i < snapshot.length; i++) {
      const entry = snapshot[i]!;
      let result: HandlerResult | Promise<HandlerResult>;
      try {
        result = entry.handler(payload);
      } catch (err) {
        this.onError(entry.owner, event, err);
        continue;
      }
      if (result === true) return true;
      if (result instanceof Promise) return this.continueAsync(event, payload, snapshot, i, result);
    }
    return false;
  }

  private async continueAsync(
    event: string,
    payload: unknown,
    list: Entry[],
    index: number,
    pending: Promise<HandlerResult>,
  ): Promise<boolean> {
    try {
      if ((await pending) === true) return true;
    } catch (err) {
      this.onError(list[index]!.owner, event, err);
    }
    for (let i = index + 1; i < list.length; i++) {
      const entry = list[i]!;
      try {
        if ((await entry.handler(payload as never)) === true) return true;
      } catch (err) {
        this.onError(entry.owner, event, err);
      }
    }
    return false;
  }
}
