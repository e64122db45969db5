// Roster state shared by the roster IQs and presence subscriptions (RFC 6121 §2-§3):
// per-user serialised updates, pending inbound requests, and pushes to interested resources.
import type { ModuleApi, Session } from "@hato/core";
import type { RosterItem, Subscription } from "@hato/storage";
import { type Element, serialize, xml } from "@hato/xml";
import { itemElement, queryElement, verString } from "./items.js";

/** kv store of inbound subscription requests not yet answered: key = requester's bare JID. */
export const PENDING_STORE = "roster-pending";

/** One side's view of a subscription (RFC 6121 Appendix A), with pre-approval (§3.4). */
export interface SubState {
  subscription: Subscription;
  /** Pending Out: we asked the contact (the item's `ask`). */
  out: boolean;
  /** Pending In: the contact asked us and awaits an answer. */
  in: boolean;
  approved: boolean;
}

/** Roster services of one server, shared by the roster and presence modules. */
export interface RosterService {
  /** Marks a session as having requested the roster (RFC 6121 §2.1.6 interested resource). */
  interested(session: Session): void;
  /** Runs `fn` after every earlier update of this user's roster has finished. */
  locked<T>(username: string, fn: () => Promise<T>): Promise<T>;
  /** The `ver` of this version of the user's roster; undefined when the account is gone. */
  ver(username: string, version: number): Promise<string | undefined>;
  /**
   * Sends a roster push for one item (or its removal) to the user's interested resources;
   * `ver` comes from ver(), read under the user's lock so pushes keep their order.
   */
  push(username: string, ver: string, item: RosterItem | { jid: string; removed: true }): void;
  /** Reads the subscription state of `contact` (a bare JID) in `username`'s roster. */
  state(username: string, contact: string): Promise<{ item?: RosterItem; state: SubState }>;
  /**
   * Writes a new state (item fields and pending request); pushes when the item changed.
   * Returns false if nothing could be written (the user has no account any more).
   */
  write(
    username: string,
    contact: string,
    before: { item?: RosterItem; state: SubState },
    after: SubState,
    pendingStanza?: Element,
  ): Promise<boolean>;
}

const services = new WeakMap<object, RosterService>();

/** The roster service of the server this API belongs to (created on first use). */
export function rosterService(api: ModuleApi): RosterService {
  let s = services.get(api.sessions);
  if (s === undefined) {
    s = createService(api);
    services.set(api.sessions, s);
  }
  return s;
}

function createService(api: ModuleApi): RosterService {
  const interested = new WeakSet<Session>();
  const chains = new Map<string, Promise<unknown>>();
  let pushId = 0;

  const service: RosterService = {
    interested: (session) => void interested.add(session),

    locked(username, fn) {
      const prev = chains.get(username) ?? Promise.resolve();
      const run = prev.then(fn, fn);
      const tail = run.catch(() => {});
      chains.set(username, tail);
      void tail.then(() => {
        if (chains.get(username) === tail) chains.delete(username);
      });
      return run;
    },

    async ver(username, version) {
      const account = await api.storage.accounts.get(username);
      return account && verString(account.createdAt, version);
    },

    push(username, ver, item) {
      const el =
        "removed" in item
          ? xml("item", { jid: item.jid, subscription: "remove" })
          : itemElement(item);
      for (const s of api.sessions.ofUser(username)) {
        if (!interested.has(s)) continue;
        s.send(
          xml(
            "iq",
            { type: "set", id: `push${++pushId}`, to: s.jid.toString() },
            queryElement(ver, [el.clone()]),
          ),
        );
      }
    },

    async state(username, contact) {
      const [item, pending] = await Promise.all([
        api.storage.roster.item(username, contact),
        api.storage.kv.get(PENDING_STORE, username, contact),
      ]);
      return {
        item,
        state: {
          subscription: item?.subscription ?? "none",
          out: item?.ask === true,
          in: pending !== undefined,
          approved: item?.approved === true,
        },
      };
    },

    async write(username, contact, before, after, pendingStanza) {
      const b = before.state;
      if (b.in !== after.in || (after.in && pendingStanza)) {
        const ok = await api.storage.kv.set(
          PENDING_STORE,
          username,
          contact,
          after.in ? serializePending(pendingStanza) : undefined,
        );
        if (!ok && after.in) return false;
      }
      if (
        b.subscription === after.subscription &&
        b.out === after.out &&
        b.approved === after.approved &&
        before.item !== undefined
      )
        return true;
      // No item and nothing to record in one: a pending request alone lives in kv only.
      if (
        before.item === undefined &&
        after.subscription === "none" &&
        !after.out &&
        !after.approved
      )
        return true;
      const item: RosterItem = {
        jid: contact,
        subscription: after.subscription,
        groups: before.item?.groups ?? [],
      };
      if (before.item?.name !== undefined) item.name = before.item.name;
      if (after.out) item.ask = true;
      if (after.approved) item.approved = true;
      const version = await api.storage.roster.set(username, contact, item);
      const ver = version === undefined ? undefined : await service.ver(username, version);
      if (ver === undefined) return false;
      service.push(username, ver, item);
      return true;
    },
  };
  return service;
}

function serializePending(stanza: Element | undefined): string {
  return stanza ? serialize(stanza) : "";
}
