// RFC 6121 Appendix A: the subscription state machine, with §3.4 pre-approval, as pure functions.
import type { SubState } from "../roster/service.js";

export type SubscriptionType = "subscribe" | "subscribed" | "unsubscribe" | "unsubscribed";

export const SUBSCRIPTION_TYPES: ReadonlySet<string> = new Set([
  "subscribe",
  "subscribed",
  "unsubscribe",
  "unsubscribed",
]);

const hasTo = (s: SubState) => s.subscription === "to" || s.subscription === "both";
const hasFrom = (s: SubState) => s.subscription === "from" || s.subscription === "both";
const withTo = (s: SubState, on: boolean): SubState["subscription"] => {
  const from = hasFrom(s);
  return on ? (from ? "both" : "to") : from ? "from" : "none";
};
const withFrom = (s: SubState, on: boolean): SubState["subscription"] => {
  const to = hasTo(s);
  return on ? (to ? "both" : "from") : to ? "to" : "none";
};

export interface Outbound {
  next: SubState;
  /** Route the stanza to the contact. */
  route: boolean;
  /** The contact just lost its subscription to the user: tell it the user is unavailable. */
  lostFrom: boolean;
  /** The contact just gained its subscription: send it the user's current presence. */
  gainedFrom: boolean;
}

/** The user sends a subscription stanza to a contact (Appendix A.2, §3.4). */
export function outbound(type: SubscriptionType, s: SubState): Outbound {
  const next = { ...s };
  const r: Outbound = { next, route: false, lostFrom: false, gainedFrom: false };
  switch (type) {
    case "subscribe":
      // A.2.1: always routed; the contact's server answers for an existing subscription.
      if (!hasTo(s)) next.out = true;
      r.route = true;
      break;
    case "unsubscribe":
      // A.2.2
      next.out = false;
      next.subscription = withTo(s, false);
      r.route = true;
      break;
    case "subscribed":
      // A.2.3: approve a pending request; without one, pre-approve (§3.4) or ignore.
      if (s.in) {
        next.in = false;
        next.approved = false;
        next.subscription = withFrom(s, true);
        r.route = true;
        r.gainedFrom = true;
      } else if (!hasFrom(s)) next.approved = true;
      break;
    case "unsubscribed":
      // A.2.4: deny a pending request or cancel the contact's subscription; cancels a
      // pre-approval too (§3.4).
      next.approved = false;
      if (s.in) {
        next.in = false;
        r.route = true;
      }
      if (hasFrom(s)) {
        next.subscription = withFrom(s, false);
        r.route = true;
        r.lostFrom = true;
      }
      break;
  }
  return r;
}

export interface Inbound {
  next: SubState;
  /** Deliver the stanza to the user's available resources. */
  deliver: boolean;
  /** Answer on the user's behalf with `subscribed` (§3.1.3 rule 2, §3.4 pre-approval). */
  autoApprove: boolean;
  /** Store the request until the user answers (§3.1.3 rule 4). */
  store: boolean;
  /** The contact lost its subscription to the user (send the user's unavailable). */
  lostFrom: boolean;
  /** The contact gained a subscription (send it the user's presence). */
  gainedFrom: boolean;
}

/** A contact's subscription stanza arrives for the user (Appendix A.3, §3.4). */
export function inbound(type: SubscriptionType, s: SubState): Inbound {
  const next = { ...s };
  const r: Inbound = {
    next,
    deliver: false,
    autoApprove: false,
    store: false,
    lostFrom: false,
    gainedFrom: false,
  };
  switch (type) {
    case "subscribe":
      if (hasFrom(s)) r.autoApprove = true;
      else if (s.approved) {
        next.approved = false;
        next.subscription = withFrom(s, true);
        r.autoApprove = true;
        r.gainedFrom = true;
      } else if (!s.in) {
        next.in = true;
        r.deliver = true;
        r.store = true;
      }
      break;
    case "unsubscribe":
      if (s.in || hasFrom(s)) {
        next.in = false;
        next.subscription = withFrom(s, false);
        r.deliver = true;
        r.lostFrom = hasFrom(s);
      }
      break;
    case "subscribed":
      if (s.out) {
        next.out = false;
        next.subscription = withTo(s, true);
        r.deliver = true;
      }
      break;
    case "unsubscribed":
      if (s.out || hasTo(s)) {
        next.out = false;
        next.subscription = withTo(s, false);
        r.deliver = true;
      }
      break;
  }
  return r;
}
