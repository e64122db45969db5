// RFC 6121 Appendix A, row by row: every state and every subscription stanza, both directions.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { SubState } from "../roster/service.js";
import { inbound, outbound, type SubscriptionType } from "./state-machine.js";

// Appendix A's state names, written as (subscription, Pending Out, Pending In).
const STATES: Record<string, SubState> = {
  None: { subscription: "none", out: false, in: false, approved: false },
  "None+PendingOut": { subscription: "none", out: true, in: false, approved: false },
  "None+PendingIn": { subscription: "none", out: false, in: true, approved: false },
  "None+PendingOut+PendingIn": { subscription: "none", out: true, in: true, approved: false },
  To: { subscription: "to", out: false, in: false, approved: false },
  "To+PendingIn": { subscription: "to", out: false, in: true, approved: false },
  From: { subscription: "from", out: false, in: false, approved: false },
  "From+PendingOut": { subscription: "from", out: true, in: false, approved: false },
  Both: { subscription: "both", out: false, in: false, approved: false },
};
const nameOf = (s: SubState) =>
  Object.entries(STATES).find(
    ([, v]) => v.subscription === s.subscription && v.out === s.out && v.in === s.in,
  )![0];

/** [state, next state, routed/delivered?] for each state in STATES order. */
type Table = Record<string, [string, boolean]>;

const OUTBOUND: Record<SubscriptionType, Table> = {
  // A.2.1
  subscribe: {
    None: ["None+PendingOut", true],
    "None+PendingOut": ["None+PendingOut", true],
    "None+PendingIn": ["None+PendingOut+PendingIn", true],
    "None+PendingOut+PendingIn": ["None+PendingOut+PendingIn", true],
    To: ["To", true],
    "To+PendingIn": ["To+PendingIn", true],
    From: ["From+PendingOut", true],
    "From+PendingOut": ["From+PendingOut", true],
    Both: ["Both", true],
  },
  // A.2.2
  unsubscribe: {
    None: ["None", true],
    "None+PendingOut": ["None", true],
    "None+PendingIn": ["None+PendingIn", true],
    "None+PendingOut+PendingIn": ["None+PendingIn", true],
    To: ["None", true],
    "To+PendingIn": ["None+PendingIn", true],
    From: ["From", true],
    "From+PendingOut": ["From", true],
    Both: ["From", true],
  },
  // A.2.3 (without a pending request nothing is routed)
  subscribed: {
    None: ["None", false],
    "None+PendingOut": ["None+PendingOut", false],
    "None+PendingIn": ["From", true],
    "None+PendingOut+PendingIn": ["From+PendingOut", true],
    To: ["To", false],
    "To+PendingIn": ["Both", true],
    From: ["From", false],
    "From+PendingOut": ["From+PendingOut", false],
    Both: ["Both", false],
  },
  // A.2.4
  unsubscribed: {
    None: ["None", false],
    "None+PendingOut": ["None+PendingOut", false],
    "None+PendingIn": ["None", true],
    "None+PendingOut+PendingIn": ["None+PendingOut", true],
    To: ["To", false],
    "To+PendingIn": ["To", true],
    From: ["None", true],
    "From+PendingOut": ["None+PendingOut", true],
    Both: ["To", true],
  },
};

const INBOUND: Record<SubscriptionType, Table> = {
  // A.3.1 (From, From+PendingOut and Both are answered by the server, not delivered)
  subscribe: {
    None: ["None+PendingIn", true],
    "None+PendingOut": ["None+PendingOut+PendingIn", true],
    "None+PendingIn": ["None+PendingIn", false],
    "None+PendingOut+PendingIn": ["None+PendingOut+PendingIn", false],
    To: ["To+PendingIn", true],
    "To+PendingIn": ["To+PendingIn", false],
    From: ["From", false],
    "From+PendingOut": ["From+PendingOut", false],
    Both: ["Both", false],
  },
  // A.3.2
  unsubscribe: {
    None: ["None", false],
    "None+PendingOut": ["None+PendingOut", false],
    "None+PendingIn": ["None", true],
    "None+PendingOut+PendingIn": ["None+PendingOut", true],
    To: ["To", false],
    "To+PendingIn": ["To", true],
    From: ["None", true],
    "From+PendingOut": ["None+PendingOut", true],
    Both: ["To", true],
  },
  // A.3.3
  subscribed: {
    None: ["None", false],
    "None+PendingOut": ["To", true],
    "None+PendingIn": ["None+PendingIn", false],
    "None+PendingOut+PendingIn": ["To+PendingIn", true],
    To: ["To", false],
    "To+PendingIn": ["To+PendingIn", false],
    From: ["From", false],
    "From+PendingOut": ["Both", true],
    Both: ["Both", false],
  },
  // A.3.4
  unsubscribed: {
    None: ["None", false],
    "None+PendingOut": ["None", true],
    "None+PendingIn": ["None+PendingIn", false],
    "None+PendingOut+PendingIn": ["None+PendingIn", true],
    To: ["None", true],
    "To+PendingIn": ["None+PendingIn", true],
    From: ["From", false],
    "From+PendingOut": ["From", true],
    Both: ["From", true],
  },
};

describe("RFC 6121 Appendix A subscription states", () => {
  for (const [type, table] of Object.entries(OUTBOUND) as [SubscriptionType, Table][]) {
    it(`outbound ${type} (A.2)`, () => {
      for (const [from, [to, routed]] of Object.entries(table)) {
        const r = outbound(type, STATES[from]!);
        assert.equal(nameOf(r.next), to, `${from} + outbound ${type}`);
        assert.equal(r.route, routed, `${from} + outbound ${type} routed`);
      }
    });
  }
  for (const [type, table] of Object.entries(INBOUND) as [SubscriptionType, Table][]) {
    it(`inbound ${type} (A.3)`, () => {
      for (const [from, [to, delivered]] of Object.entries(table)) {
        const r = inbound(type, STATES[from]!);
        assert.equal(nameOf(r.next), to, `${from} + inbound ${type}`);
        assert.equal(r.deliver, delivered, `${from} + inbound ${type} delivered`);
      }
    });
  }

  it("an inbound subscribe to an existing subscription is approved by the server (§3.1.3 rule 2)", () => {
    for (const s of ["From", "From+PendingOut", "Both"]) {
      assert.equal(inbound("subscribe", STATES[s]!).autoApprove, true, s);
    }
    assert.equal(inbound("subscribe", STATES.None!).autoApprove, false);
  });

  it("pre-approval (§3.4): recorded by subscribed without a request, used by the next subscribe, cancelled by unsubscribed", () => {
    const pre = outbound("subscribed", STATES.None!);
    assert.equal(pre.next.approved, true);
    assert.equal(pre.route, false);
    assert.equal(outbound("subscribed", STATES.To!).next.approved, true);
    assert.equal(
      outbound("subscribed", STATES.Both!).next.approved,
      false,
      "nothing to pre-approve",
    );
    const used = inbound("subscribe", pre.next);
    assert.equal(nameOf(used.next), "From");
    assert.equal(used.next.approved, false);
    assert.equal(used.autoApprove, true);
    assert.equal(used.deliver, false);
    assert.equal(used.gainedFrom, true);
    const toApproved = { ...STATES.To!, approved: true };
    assert.equal(nameOf(inbound("subscribe", toApproved).next), "Both");
    assert.equal(outbound("unsubscribed", pre.next).next.approved, false);
  });

  it("losing or gaining the contact's subscription is flagged, so presence follows", () => {
    assert.equal(outbound("unsubscribed", STATES.Both!).lostFrom, true);
    assert.equal(outbound("unsubscribed", STATES["None+PendingIn"]!).lostFrom, false);
    assert.equal(outbound("subscribed", STATES["To+PendingIn"]!).gainedFrom, true);
    assert.equal(inbound("unsubscribe", STATES.From!).lostFrom, true);
    assert.equal(inbound("unsubscribe", STATES["None+PendingIn"]!).lostFrom, false);
  });
});
