// RFC 6121 §2 roster management, with XEP-0237 roster versioning and §3.4 pre-approval features.
import { type HatoModule, Priority, StanzaError } from "@hato/core";
import { parseJid } from "@hato/jid";
import { NS_ROSTER, xml } from "@hato/xml";
import { itemElement, parseRosterSet, queryElement } from "./items.js";
import { PENDING_STORE, rosterService } from "./service.js";

export const NS_ROSTERVER = "urn:xmpp:features:rosterver";
export const NS_PREAPPROVAL = "urn:xmpp:features:pre-approval";

export const roster: HatoModule = {
  name: "roster",
  load(api) {
    const service = rosterService(api);
    const limits = api.config.roster;
    api.addStreamFeature("bind", xml("ver", { xmlns: NS_ROSTERVER }));
    api.addStreamFeature("bind", xml("sub", { xmlns: NS_PREAPPROVAL }));

    // §2.1.5 / §2.3.3: only the account itself reads or writes its roster.
    const own = (from: { bare: { toString(): string } }, to: { toString(): string }) => {
      if (from.bare.toString() !== to.toString()) {
        throw new StanzaError("forbidden", "only the account itself may use its roster");
      }
    };

    // §2.2 roster get; §2.6 (XEP-0237): an unchanged version gets an empty result.
    api.handleIq("get", "bare", NS_ROSTER, "query", async (ev) => {
      own(ev.from, ev.to);
      const query = ev.stanza.elements()[0]!;
      if (query.elements().length > 0) {
        throw new StanzaError("bad-request", "a roster get carries no items");
      }
      if (ev.origin) service.interested(ev.origin);
      const asked = query.attr("ver");
      const r = await api.storage.roster.get(ev.to.local);
      const current = await service.ver(ev.to.local, r.version);
      // Only the exact current string means "unchanged"; any other value gets the roster.
      if (asked !== undefined && current !== undefined && asked === current) return undefined;
      return queryElement(asked === undefined ? undefined : current, r.items.map(itemElement));
    });

    // §2.3 add or update, §2.5 remove.
    api.handleIq("set", "bare", NS_ROSTER, "query", async (ev) => {
      own(ev.from, ev.to);
      const user = ev.to.local;
      const set = parseRosterSet(ev.stanza.elements()[0]!, ev.to.toString(), limits);
      return service.locked(user, async () => {
        const item = await api.storage.roster.item(user, set.jid);
        if (set.remove) {
          const pending = await api.storage.kv.get(PENDING_STORE, user, set.jid);
          if (item === undefined && pending === undefined) {
            throw new StanzaError("item-not-found", `${set.jid} is not in your roster`);
          }
          if (pending !== undefined)
            await api.storage.kv.set(PENDING_STORE, user, set.jid, undefined);
          if (item !== undefined) {
            const version = await api.storage.roster.set(user, set.jid, undefined);
            const ver = version === undefined ? undefined : await service.ver(user, version);
            if (ver !== undefined) service.push(user, ver, { jid: set.jid, removed: true });
          }
          // §2.5.2: cancel both directions of the subscription, and any request either way.
          const me = ev.to;
          const contact = parseJid(set.jid);
          if (!contact.ok) return undefined;
          const to = contact.jid;
          const sub = item?.subscription ?? "none";
          if (sub === "to" || sub === "both" || item?.ask) {
            api.route(
              xml("presence", { type: "unsubscribe", from: me.toString(), to: set.jid }),
              me,
              to,
            );
          }
          if (sub === "from" || sub === "both" || pending !== undefined) {
            api.route(
              xml("presence", { type: "unsubscribed", from: me.toString(), to: set.jid }),
              me,
              to,
            );
          }
          if (sub === "from" || sub === "both") {
            for (const s of api.sessions.ofUser(user)) {
              if (!s.available) continue;
              api.route(
                xml("presence", { type: "unavailable", from: s.jid.toString(), to: set.jid }),
                s.jid,
                to,
              );
            }
          }
          return undefined;
        }
        if (item === undefined && (await api.storage.roster.count(user)) >= limits.maxItems) {
          throw new StanzaError(
            "not-allowed",
            `your roster is full: at most ${limits.maxItems} contacts`,
          );
        }
        const next = {
          jid: set.jid,
          subscription: item?.subscription ?? "none",
          groups: set.groups,
          ...(set.name !== undefined && { name: set.name }),
          ...(item?.ask && { ask: true }),
          ...(item?.approved && { approved: true }),
        };
        const version = await api.storage.roster.set(user, set.jid, next);
        const ver = version === undefined ? undefined : await service.ver(user, version);
        if (ver === undefined) throw new StanzaError("item-not-found", "no such account");
        service.push(user, ver, next);
        return undefined;
      });
    });

    // §2.1.6: a roster push comes from the server on the account's behalf, never from
    // another entity; such a "push" never reaches the client, and the sender learns nothing.
    api.hook(
      "iq-set/full/jabber:iq:roster:query",
      (ev) => {
        if (ev.from.bare.equals(ev.to.bare)) return false;
        api.bounce(ev, new StanzaError("service-unavailable", "that session is not online"));
        return true;
      },
      Priority.POLICY,
    );

    // A deleted account left other rosters (Accounts.del removed the items): each holder's
    // interested sessions get the removal push (§2.5.2), and those who saw its presence get
    // its unavailable presence, as when a contact is removed.
    api.hook(
      "user-deleted",
      async ({ username, rosters }) => {
        const bare = `${username}@${api.domain}`;
        for (const r of rosters ?? []) {
          const ver = await service.ver(r.username, r.version);
          if (ver !== undefined) service.push(r.username, ver, { jid: bare, removed: true });
          if (r.subscription !== "to" && r.subscription !== "both") continue;
          for (const s of api.sessions.ofUser(r.username))
            s.send(xml("presence", { from: bare, to: s.jid.toString(), type: "unavailable" }));
        }
      },
      Priority.OBSERVE,
    );
  },
};
