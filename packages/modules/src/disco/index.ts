// XEP-0030: Service Discovery — the server's identity, features and items (connected
// components), and the account features the server offers on each account's bare JID.
import { type HatoModule, StanzaError } from "@hato/core";
import { NS_DISCO_INFO, NS_DISCO_ITEMS, xml } from "@hato/xml";

/** Answers disco#info and disco#items for the server from what the modules registered. */
export const disco: HatoModule = {
  name: "disco",
  load(api) {
    api.addFeature(NS_DISCO_INFO);
    api.addFeature(NS_DISCO_ITEMS);
    api.addIdentity({ category: "server", type: "im", name: "Hato" });
    api.handleIq("get", "host", NS_DISCO_INFO, "query", (ev) => {
      const node = ev.stanza.getChild("query", NS_DISCO_INFO)!.attr("node");
      if (node !== undefined)
        throw new StanzaError("item-not-found", `no disco node "${node}" here`);
      const { features, identities } = api.discoInfo();
      return xml(
        "query",
        { xmlns: NS_DISCO_INFO },
        ...identities.map((i) =>
          xml("identity", { category: i.category, type: i.type, name: i.name }),
        ),
        ...[...features].sort().map((f) => xml("feature", { var: f })),
      );
    });
    // §3.1: the server answers for an account: to the account itself and to contacts allowed
    // to see its presence; everyone else gets what the router says for an unhandled IQ, so
    // the answer tells them nothing about whether the account exists.
    api.addFeature(NS_DISCO_INFO, "account");
    api.handleIq("get", "bare", NS_DISCO_INFO, "query", async (ev) => {
      const node = ev.stanza.getChild("query", NS_DISCO_INFO)!.attr("node");
      if (!ev.from.bare.equals(ev.to)) {
        const item = await api.storage.roster.item(ev.to.local, ev.from.bare.toString());
        if (item?.subscription !== "from" && item?.subscription !== "both") {
          throw new StanzaError(
            "service-unavailable",
            `${NS_DISCO_INFO} query is not supported here`,
          );
        }
      }
      if (node !== undefined)
        throw new StanzaError("item-not-found", `no disco node "${node}" here`);
      const { accountFeatures } = api.discoInfo();
      return xml(
        "query",
        { xmlns: NS_DISCO_INFO },
        xml("identity", { category: "account", type: "registered" }),
        ...[...accountFeatures].sort().map((f) => xml("feature", { var: f })),
      );
    });
    api.handleIq("get", "host", NS_DISCO_ITEMS, "query", (ev) => {
      const node = ev.stanza.getChild("query", NS_DISCO_ITEMS)!.attr("node");
      if (node !== undefined)
        throw new StanzaError("item-not-found", `no disco node "${node}" here`);
      // XEP-0114 components are services of this server: list the ones connected now.
      return xml(
        "query",
        { xmlns: NS_DISCO_ITEMS },
        ...api.connectedComponents().map((jid) => xml("item", { jid })),
      );
    });
  },
};
