// RFC 6121 §3: presence subscriptions between local accounts, with §3.4 pre-approval and flood limits.
import { type ModuleApi, StanzaError, type StanzaEvent } from "@hato/core";
import type { Jid } from "@hato/jid";
import { type Element, parseElement, xml } from "@hato/xml";
import { PENDING_STORE, type RosterService } from "../roster/service.js";
import { inbound, outbound, type SubscriptionType } from "./state-machine.js";

/** What the subscription handlers need from the presence module. */
export interface PresenceOps {
  /** Sends the current presence of each available session of `owner` to `to` (routed). */
  sendPresenceOf(owner: string, to: Jid): void;
  /** Sends unavailable presence from each available session of `owner` to `to` (routed). */
  sendUnavailableOf(owner: string, to: Jid): void;
}

/** Subscription handling of one server. */
export function subscriptions(api: ModuleApi, service: RosterService, ops: PresenceOps) {
  const { maxPendingRequests, subscribePerMinute } = api.config.presence;
  const maxItems = api.config.roster.maxItems;
  const rates = new Map<string, { start: number; count: number }>();

  const deliver = (username: string, stanza: Element) => {
    for (const s of api.sessions.ofUser(username)) if (s.available) s.send(stanza);
  };
  // §3.1.2: the server stamps subscription stanzas with bare JIDs, children kept.
  const stamped = (stanza: Element, type: string, from: Jid, to: Jid) => {
    const el = stanza.clone();
    el.attrs.type = type;
    el.attrs.from = from.toString();
    el.attrs.to = to.toString();
    return el;
  };

  /** True when `username` cannot take one more pending request from `contact`. */
  async function pendingFull(username: string, contact: string): Promise<boolean> {
    if ((await api.storage.kv.get(PENDING_STORE, username, contact)) !== undefined) return false;
    return (await api.storage.kv.keys(PENDING_STORE, username)).length >= maxPendingRequests;
  }

  /** A contact's subscription stanza for a local user (contact's-server side, §3.1.3 etc.). */
  async function handleInbound(stanza: Element, type: SubscriptionType, from: Jid, to: Jid) {
    const user = to.local;
    const contact = from.bare;
    const key = contact.toString();
    if ((await api.storage.accounts.get(user)) === undefined) {
      // §8.5.1: a request to no account is answered with unsubscribed; the rest is ignored.
      if (type === "subscribe") {
        api.route(xml("presence", { type: "unsubscribed" }), to.bare, contact);
      }
      return;
    }
    const el = stamped(stanza, type, contact, to.bare);
    let refused = false;
    await service.locked(user, async () => {
      const before = await service.state(user, key);
      const r = inbound(type, before.state);
      if (r.store && (await pendingFull(user, key))) {
        refused = true;
        return;
      }
      if (!(await service.write(user, key, before, r.next, r.store ? el : undefined))) return;
      if (r.deliver) deliver(user, el);
      if (r.autoApprove) {
        api.route(
          xml("presence", { type: "subscribed", from: to.bare.toString(), to: key }),
          to.bare,
          contact,
        );
      }
      if (r.gainedFrom) ops.sendPresenceOf(user, contact);
      if (r.lostFrom) ops.sendUnavailableOf(user, contact);
    });
    if (refused) {
      api.route(
        xml(
          "presence",
          { type: "error", from: to.bare.toString(), to: key },
          new StanzaError(
            "resource-constraint",
            `${to.bare} has too many unanswered subscription requests`,
          ).toElement(),
        ),
        to.bare,
        contact,
      );
    }
  }

  /** A local user's client sent a subscription stanza (user's-server side, §3.1.2 etc.). */
  async function handleOutbound(ev: StanzaEvent, type: SubscriptionType): Promise<void> {
    const user = ev.from.local;
    const me = ev.from.bare;
    const contact = ev.to.bare;
    const key = contact.toString();
    if (contact.equals(me)) return; // one's own presence needs no subscription
    if (type === "subscribe") {
      const now = Date.now();
      let rate = rates.get(user);
      if (rate === undefined || now - rate.start >= 60_000) {
        rate = { start: now, count: 0 };
        rates.set(user, rate);
      }
      if (++rate.count > subscribePerMinute) {
        api.bounce(
          ev,
          new StanzaError(
            "policy-violation",
            `too many subscription requests: at most ${subscribePerMinute} a minute`,
            "wait",
          ),
        );
        return;
      }
      if (
        contact.domain === api.domain &&
        contact.local !== "" &&
        (await api.storage.accounts.get(contact.local)) !== undefined
      ) {
        const theirs = await service.state(contact.local, me.toString());
        const s = theirs.state;
        const auto = s.approved || s.subscription === "from" || s.subscription === "both";
        if (!auto && (await pendingFull(contact.local, me.toString()))) {
          api.bounce(
            ev,
            new StanzaError(
              "resource-constraint",
              `${contact} has too many unanswered subscription requests`,
            ),
          );
          return;
        }
      }
    }
    let result: ReturnType<typeof outbound> | undefined;
    const err = await service.locked(user, async () => {
      const before = await service.state(user, key);
      const r = outbound(type, before.state);
      const createsItem =
        before.item === undefined &&
        (r.next.subscription !== "none" || r.next.out || r.next.approved);
      if (createsItem && (await api.storage.roster.count(user)) >= maxItems) {
        return new StanzaError("not-allowed", `your roster is full: at most ${maxItems} contacts`);
      }
      if (!(await service.write(user, key, before, r.next))) return undefined;
      result = r;
      return undefined;
    });
    if (err) {
      api.bounce(ev, err);
      return;
    }
    if (!result?.route) return;
    const el = stamped(ev.stanza, type, me, contact);
    if (contact.domain === api.domain && contact.local !== "") {
      await handleInbound(el, type, me, contact);
    } else api.route(el, me, contact);
    if (result.gainedFrom) ops.sendPresenceOf(user, contact);
    if (result.lostFrom) ops.sendUnavailableOf(user, contact);
  }

  /** Sends the requests still waiting for an answer to a session that just became available. */
  async function redeliver(username: string, send: (el: Element) => void): Promise<void> {
    const keys = await api.storage.kv.keys(PENDING_STORE, username);
    for (const k of keys) {
      const text = await api.storage.kv.get(PENDING_STORE, username, k);
      if (text === undefined) continue;
      let el: Element;
      try {
        el = text === "" ? xml("presence", { type: "subscribe", from: k }) : parseElement(text);
      } catch {
        el = xml("presence", { type: "subscribe", from: k });
      }
      send(el);
    }
  }

  return {
    handleInbound,
    handleOutbound,
    redeliver,
    forget: (username: string) => void rates.delete(username),
  };
}
