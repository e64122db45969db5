// XEP-0163 Personal Eventing Protocol with XEP-0115 caps, XEP-0223, XEP-0402 and XEP-0398.
import { type HatoModule, Priority, type StanzaEvent } from "@hato/core";
import { type Jid, jid } from "@hato/jid";
import { xml } from "@hato/xml";
import { accessError, rosterLookup } from "./access.js";
import { registerAvatarConversion } from "./avatar-conversion.js";
import { registerBookmarks } from "./bookmarks.js";
import { CapsTracker } from "./caps.js";
import { registerHandlers } from "./handlers.js";
import { Notifier } from "./notify.js";
import { NS_BOOKMARKS2, NS_CAPS, NS_PEP_VCARD_CONVERSION, NS_PUBSUB } from "./ns.js";
import { PepService } from "./service.js";

/** What an account's bare JID advertises (XEP-0163 §6, XEP-0060 §10, XEP-0402, XEP-0398). */
const ACCOUNT_FEATURES = [
  ...[
    "access-open",
    "access-presence",
    "access-roster",
    "access-whitelist",
    "auto-create",
    "auto-subscribe",
    "config-node",
    "create-and-configure",
    "create-nodes",
    "delete-items",
    "delete-nodes",
    "filtered-notifications",
    "item-ids",
    "last-published",
    "member-affiliation",
    "modify-affiliations",
    "multi-items",
    "persistent-items",
    "presence-notifications",
    "publish",
    "publish-options",
    "purge-nodes",
    "retract-items",
    "retrieve-affiliations",
    "retrieve-default",
    "retrieve-items",
  ].map((f) => `${NS_PUBSUB}#${f}`),
  `${NS_BOOKMARKS2}#compat`,
  `${NS_BOOKMARKS2}#compat-pep`,
  NS_PEP_VCARD_CONVERSION,
];

/** PEP on every account's bare JID, with caps-filtered notifications and format sync. */
export const pep: HatoModule = {
  name: "pep",
  load(api) {
    const caps = new CapsTracker(
      {
        serverJid: api.serverJid,
        log: api.log,
        send: (iq, to) => api.route(iq, api.serverJid, to),
        cacheSize: api.config.caps.cacheSize,
        queriesPerSession: api.config.caps.queriesPerSession,
      },
      (full) => {
        const who = jid(full);
        for (const owner of notifier.ownersOf(who)) sendLast(owner, who);
      },
    );
    api.onUnload(() => caps.close());
    const notifier = new Notifier(api, caps);
    const service = new PepService(api, notifier);
    const sendLast = (owner: string, who: Jid) => {
      notifier.sendLast(owner, who).catch((err) => api.log.error("last item not sent", { err }));
    };

    registerHandlers(api, service);
    registerBookmarks(api, service);
    registerAvatarConversion(api, service);

    // Answers to our caps queries come back to the server's address.
    api.hook(
      "iq/host",
      (ev) => {
        const type = ev.stanza.attr("type");
        return (type === "result" || type === "error") && caps.handleReply(ev);
      },
      Priority.POLICY,
    );

    // Own sessions: their broadcast presence carries their caps (taken later by presence).
    api.hook(
      "presence-broadcast",
      ({ session, stanza }) => {
        if (stanza.attr("type") === "unavailable") {
          notifier.forget(session.jid.toString());
          caps.forget(session.jid.toString());
          return;
        }
        caps.observe(session.jid, stanza);
      },
      Priority.POLICY - 2,
    );

    // Contacts' sessions: presence arriving at an account makes them candidates for its events.
    const watch = (ev: StanzaEvent) => {
      const owner = ev.to.local;
      if (ev.from.resource === "" || ev.from.bare.equals(ev.to.bare)) return;
      const type = ev.stanza.attr("type");
      if (type === "unavailable") notifier.unwatch(owner, ev.from.toString());
      if (type !== undefined) return;
      const fresh = notifier.watch(owner, ev.from);
      // A directed presence without caps says nothing about them: keep what the session had.
      const fired =
        ev.stanza.getChild("c", NS_CAPS) !== undefined && caps.observe(ev.from, ev.stanza);
      if (fresh && !fired && caps.features(ev.from.toString())) sendLast(owner, ev.from);
    };
    api.hook("presence/bare", (ev) => void watch(ev), Priority.OBSERVE);
    api.hook("presence/full", (ev) => void watch(ev), Priority.OBSERVE);

    api.hook("session-closed", ({ session }) => {
      notifier.forget(session.jid.toString());
      caps.forget(session.jid.toString());
    });

    api.hook("disco-account-info", async (info) => {
      if (info.node === undefined) {
        info.identities.push({ category: "pubsub", type: "pep" });
        for (const f of ACCOUNT_FEATURES) info.features.add(f);
        return;
      }
      if (info.node.length > service.limits.maxIdLength) return;
      const node = await service.node(info.username, info.node);
      if (node === undefined) return;
      const owner = jid(`${info.username}@${api.domain}`);
      const roster = rosterLookup(api.storage, info.username);
      if (await accessError(owner, node.config, info.from.bare, roster)) return;
      info.identities.push({ category: "pubsub", type: "leaf" });
      info.features.add(NS_PUBSUB);
    });
    api.hook("disco-account-items", async (list) => {
      if (list.node !== undefined) return;
      const owner = jid(`${list.username}@${api.domain}`);
      const roster = rosterLookup(api.storage, list.username);
      for (const node of await api.storage.pubsub.nodes(list.username)) {
        if (await accessError(owner, node.config, list.from.bare, roster)) continue;
        list.items.push(xml("item", { jid: owner.toString(), node: node.name }));
      }
    });
  },
};
