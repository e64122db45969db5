// RFC 6121 §3-§4: presence subscriptions, broadcast, probes, directed presence and delivery.
import { type HatoModule, Priority, type Session, StanzaError, type StanzaEvent } from "@hato/core";
import { type Jid, parseJid } from "@hato/jid";
import type { RosterItem } from "@hato/storage";
import { type Element, xml } from "@hato/xml";
import { rosterService } from "../roster/service.js";
import { SUBSCRIPTION_TYPES, type SubscriptionType } from "./state-machine.js";
import { subscriptions } from "./subscriptions.js";

/** What the presence module remembers about one session. */
interface SessionState {
  /** Initial presence seen and no unavailable since (RFC 6121 §4.2, §4.5). */
  available: boolean;
  /** Entities this session sent directed available presence to (§4.6), by JID text. */
  directed: Map<string, Jid>;
  /** Broadcasts of this session, one after the other so contacts see them in order. */
  chain: Promise<void>;
}

const hasFrom = (i: RosterItem | undefined) =>
  i !== undefined && (i.subscription === "from" || i.subscription === "both");
const hasTo = (i: RosterItem) => i.subscription === "to" || i.subscription === "both";

export const presence: HatoModule = {
  name: "presence",
  load(api) {
    const { sessions } = api;
    const service = rosterService(api);
    const maxDirected = api.config.presence.maxDirected;
    const states = new WeakMap<Session, SessionState>();
    const stateOf = (s: Session): SessionState => {
      let st = states.get(s);
      if (st === undefined) {
        st = { available: false, directed: new Map(), chain: Promise.resolve() };
        states.set(s, st);
      }
      return st;
    };
    const serialise = (s: Session, fn: () => Promise<void>) => {
      const st = stateOf(s);
      st.chain = st.chain.then(fn).catch((err: unknown) => {
        api.log.error("presence broadcast failed", { user: s.username, err });
      });
      return st.chain;
    };
    const jidOf = (text: string): Jid | undefined => {
      const r = parseJid(text);
      return r.ok ? r.jid : undefined;
    };
    const addressed = (stanza: Element, from: Jid, to: Jid) => {
      const el = stanza.clone();
      el.attrs.from = from.toString();
      el.attrs.to = to.toString();
      return el;
    };

    const ops = {
      sendPresenceOf(owner: string, to: Jid) {
        for (const s of sessions.ofUser(owner)) {
          if (s.available && s.presence) api.route(addressed(s.presence, s.jid, to), s.jid, to);
        }
      },
      sendUnavailableOf(owner: string, to: Jid) {
        for (const s of sessions.ofUser(owner)) {
          if (!s.available) continue;
          api.route(xml("presence", { type: "unavailable", from: s.jid.toString() }), s.jid, to);
        }
      },
    };
    const subs = subscriptions(api, service, ops);
    api.hook("user-deleted", ({ username }) => subs.forget(username));

    /**
     * Sends a session's broadcast presence to the contacts subscribed to it (§4.2.2, §4.4.2,
     * §4.5.2), to the account's available resources, and for unavailable presence to the
     * entities it sent directed presence to (§4.6.3).
     */
    async function broadcast(session: Session, stanza: Element, unavailable: boolean) {
      const st = stateOf(session);
      const roster = await api.storage.roster.get(session.username);
      const covered = new Set<string>();
      for (const item of roster.items) {
        if (!hasFrom(item)) continue;
        const to = jidOf(item.jid);
        if (to === undefined) continue;
        covered.add(item.jid);
        api.route(addressed(stanza, session.jid, to), session.jid, to);
      }
      const me = session.jid.bare;
      api.route(addressed(stanza, session.jid, me), session.jid, me);
      if (unavailable) {
        for (const [key, to] of st.directed) {
          if (covered.has(to.bare.toString()) || to.bare.equals(me)) continue;
          void key;
          api.route(addressed(stanza, session.jid, to), session.jid, to);
        }
        st.directed.clear();
      }
      return roster.items;
    }

    // §4.2 initial presence, §4.4 later presence, §4.5 unavailable presence.
    api.hook("presence-broadcast", ({ session, stanza }) => {
      const unavailable = stanza.attr("type") === "unavailable";
      const st = stateOf(session);
      const initial = !unavailable && !st.available;
      const was = st.available;
      st.available = !unavailable;
      void serialise(session, async () => {
        if (unavailable && !was && st.directed.size === 0) return;
        const items = await broadcast(session, stanza, unavailable);
        if (!initial) return;
        // §4.2.2: probe the contacts this user is subscribed to (from this session's full
        // JID, which RFC 6121 allows, so the answers reach only the new session).
        for (const item of items) {
          if (!hasTo(item)) continue;
          const to = jidOf(item.jid);
          if (to) api.route(xml("presence", { type: "probe" }), session.jid, to);
        }
        // The account's other available resources, for the new one.
        for (const o of sessions.ofUser(session.username)) {
          if (o !== session && o.available && o.presence) {
            session.send(addressed(o.presence, o.jid, session.jid));
          }
        }
        // §3.1.3 rule 4: requests not yet answered, again at each new available resource.
        await subs.redeliver(session.username, (el) => session.send(el));
      });
      return true;
    });

    // §4.5.2 / §4.6.3: a session that ends without unavailable presence (closed or killed)
    // is announced as unavailable to everyone who could see it.
    api.hook("session-closed", ({ session }) => {
      const st = stateOf(session);
      const was = st.available && session.presence !== undefined;
      st.available = false;
      if (!was && st.directed.size === 0) return;
      const stanza = xml("presence", { type: "unavailable", from: session.jid.toString() });
      void serialise(session, async () => {
        if (was) await broadcast(session, stanza, true);
        else {
          for (const to of st.directed.values()) {
            api.route(addressed(stanza, session.jid, to), session.jid, to);
          }
          st.directed.clear();
        }
      });
    });

    /** §4.3.2: answer a probe for `ev.to`'s account. */
    async function probe(ev: StanzaEvent): Promise<void> {
      const owner = ev.to.local;
      const prober = ev.from;
      if (prober.bare.equals(ev.to.bare)) {
        ops.sendPresenceOf(owner, prober);
        return;
      }
      const item = await api.storage.roster.item(owner, prober.bare.toString());
      if (!hasFrom(item)) {
        // Not subscribed, or no such account: the same `unsubscribed` either way, whether
        // the account exists and whether it is online (§4.3.2 rules 1 and 2).
        api.route(
          xml("presence", {
            type: "unsubscribed",
            from: ev.to.bare.toString(),
            to: prober.bare.toString(),
          }),
          ev.to.bare,
          prober.bare,
        );
        return;
      }
      // Subscribed: the presence of each available resource; nothing when offline (rule 3's
      // second option, which spares the traffic of one unavailable per offline contact).
      ops.sendPresenceOf(owner, prober);
    }

    /** Subscription stanzas, probes and directed presence, to a bare or a full JID. */
    const handle = (ev: StanzaEvent): boolean | Promise<boolean> => {
      const type = ev.stanza.attr("type");
      if (type === undefined || type === "unavailable") {
        if (ev.origin !== undefined && !ev.from.bare.equals(ev.to.bare)) {
          const directed = stateOf(ev.origin).directed;
          const key = ev.to.toString();
          if (type === "unavailable") directed.delete(key);
          else if (!directed.has(key)) {
            if (directed.size >= maxDirected) {
              api.bounce(
                ev,
                new StanzaError(
                  "resource-constraint",
                  `directed presence goes to at most ${maxDirected} entities per session`,
                ),
              );
              return true;
            }
            directed.set(key, ev.to);
          }
        }
        return false;
      }
      if (type === "probe") return probe(ev).then(() => true);
      if (!SUBSCRIPTION_TYPES.has(type)) return false;
      const t = type as SubscriptionType;
      const done = ev.origin
        ? subs.handleOutbound(ev, t)
        : subs.handleInbound(ev.stanza, t, ev.from, ev.to);
      return done.then(() => true);
    };
    api.hook("presence/bare", handle);
    api.hook("presence/full", handle);

    // §8.5.2.1.1: presence to the bare JID reaches every available resource.
    api.hook(
      "presence/bare",
      (ev) => {
        for (const s of sessions.ofUser(ev.to.local)) if (s.available) s.send(ev.stanza);
        return true;
      },
      Priority.DELIVERY,
    );
    // §8.5.3.1: presence to a full JID reaches that session; otherwise it is dropped (§8.5.3.2.1).
    api.hook(
      "presence/full",
      (ev) => {
        sessions.get(ev.to.local, ev.to.resource)?.send(ev.stanza);
        return true;
      },
      Priority.DELIVERY,
    );

    // Privacy: an IQ request to a full JID reaches the session only if the sender may see
    // that user's presence (subscription from/both, or directed presence from this session);
    // everyone else gets delivery's answer for a session that is not online.
    api.hook(
      "iq/full",
      (ev) => {
        const type = ev.stanza.attr("type");
        if (type !== "get" && type !== "set") return false;
        if (ev.from.bare.equals(ev.to.bare)) return false;
        if (ev.from.local === "" && ev.from.domain === api.domain) return false;
        const session = sessions.get(ev.to.local, ev.to.resource);
        if (session) {
          const directed = stateOf(session).directed;
          if (directed.has(ev.from.toString()) || directed.has(ev.from.bare.toString()))
            return false;
        }
        return api.storage.roster.item(ev.to.local, ev.from.bare.toString()).then((item) => {
          if (hasFrom(item)) return false;
          api.bounce(ev, new StanzaError("service-unavailable", "that session is not online"));
          return true;
        });
      },
      Priority.POLICY,
    );
  },
};
