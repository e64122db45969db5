// XEP-0280: Message Carbons — every carbons-enabled session of a user sees both sides of its chats.
import { type HatoModule, Priority, type Session, StanzaError, type StanzaEvent } from "@hato/core";
import { type Element, NS_CLIENT, xml } from "@hato/xml";

export const NS_CARBONS = "urn:xmpp:carbons:2";
export const NS_FORWARD = "urn:xmpp:forward:0";
const NS_HINTS = "urn:xmpp:hints";
const NS_MUC_USER = "http://jabber.org/protocol/muc#user";
const NS_CONFERENCE = "jabber:x:conference";

/**
 * §6 eligibility: chat messages, normal ones with a body, direct MUC invitations; never a
 * message marked private or no-copy, never a carbon itself, never a MUC private message.
 */
export function eligibleForCarbons(stanza: Element, incoming: boolean): boolean {
  let body = false;
  for (const c of stanza.elements()) {
    if (c.xmlns === NS_CARBONS) return false; // <private/>, or a <sent/>/<received/> carbon
    if (c.xmlns === NS_HINTS && c.name === "no-copy") return false;
    if (incoming && c.xmlns === NS_MUC_USER) return false;
    if (c.name === "body" && (c.xmlns === NS_CLIENT || c.xmlns === undefined)) body = true;
    if (c.name === "x" && c.xmlns === NS_CONFERENCE) body = true;
  }
  const type = stanza.attr("type") ?? "normal";
  return type === "chat" || (type === "normal" && body);
}

export const carbons: HatoModule = {
  name: "carbons",
  load(api) {
    const { sessions } = api;
    const enabled = new WeakSet<Session>();
    api.addFeature(NS_CARBONS);

    const toggle = (on: boolean) => (ev: StanzaEvent) => {
      // §4: only the account's own sessions switch their carbons; a request to someone
      // else's bare JID is refused the same way whether that account exists or not.
      if (ev.origin === undefined || !ev.from.bare.equals(ev.to)) {
        throw new StanzaError("forbidden", "only your own sessions can enable or disable carbons");
      }
      if (on) enabled.add(ev.origin);
      else enabled.delete(ev.origin);
      return undefined;
    };
    api.handleIq("set", "bare", NS_CARBONS, "enable", toggle(true));
    api.handleIq("set", "bare", NS_CARBONS, "disable", toggle(false));

    const copy = (kind: "sent" | "received", stanza: Element, to: Session): Element =>
      xml(
        "message",
        {
          xmlns: NS_CLIENT,
          from: to.jid.bare.toString(),
          to: to.jid.toString(),
          type: stanza.attr("type"),
        },
        xml(kind, { xmlns: NS_CARBONS }, xml("forwarded", { xmlns: NS_FORWARD }, stanza.clone())),
      );

    /** The user's sessions that RFC 6121 §8.5 delivery gives this message to directly. */
    const directTargets = (ev: StanzaEvent): Session[] => {
      if (ev.to.resource !== "") {
        const s = sessions.get(ev.to.local, ev.to.resource);
        if (s) return [s];
      }
      return sessions.highestPriority(ev.to.local);
    };

    const fanOut = (
      kind: "sent" | "received",
      ev: StanzaEvent,
      user: string,
      skip: readonly Session[],
    ) => {
      for (const s of sessions.ofUser(user)) {
        if (!enabled.has(s) || !s.available || skip.includes(s)) continue;
        s.send(copy(kind, ev.stanza, s));
      }
    };

    // §8: what a user's client sends reaches the user's other carbons-enabled sessions. Hooked
    // before classification so messages to any address are copied, after policy has refused
    // what it refuses.
    api.hook(
      "pre-route",
      (ev) => {
        const origin = ev.origin;
        if (origin === undefined || ev.stanza.name !== "message") return false;
        if (!eligibleForCarbons(ev.stanza, false)) return false;
        const own = ev.to.local === origin.username && ev.to.domain === api.domain;
        fanOut("sent", ev, origin.username, own ? [origin, ...directTargets(ev)] : [origin]);
        return false;
      },
      Priority.OBSERVE,
    );

    // §7: a message for the user reaches its other carbons-enabled sessions. Runs after the
    // archive has stamped its stanza-id, so the copies carry it too.
    const received = (ev: StanzaEvent, direct: Session[]) => {
      const eligible = eligibleForCarbons(ev.stanza, true);
      // §9: the receiving server removes <private/> before delivery.
      ev.stanza.removeChildren((c) => c.name === "private" && c.xmlns === NS_CARBONS);
      // Between the user's own sessions the sent copies already did the job.
      // A message routed again after a session ended unacknowledged was copied when it came.
      if (eligible && !ev.rerouted && !ev.from.bare.equals(ev.to.bare))
        fanOut("received", ev, ev.to.local, direct);
    };
    api.hook(
      "message/full",
      (ev) => {
        const target = sessions.get(ev.to.local, ev.to.resource);
        // With the session gone, delivery hands the message to message/bare, which copies it.
        if (target) received(ev, [target]);
        return false;
      },
      Priority.OBSERVE,
    );
    api.hook(
      "message/bare",
      (ev) => {
        received(ev, sessions.highestPriority(ev.to.local));
        return false;
      },
      Priority.OBSERVE,
    );
  },
};
