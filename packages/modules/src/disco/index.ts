// XEP-0030: Service Discovery — the server's identity, features and items (connected components).
import { type HatoModule, StanzaError } from "@hato/core";
import { NS_DISCO_INFO, NS_DISCO_ITEMS, xml } from "@hato/xml";

/** Answers disco#info and disco#items for the server from what the modules registered. */
export const disco: HatoModule = {
  name: "disco",
  load(api) {
    api.addFeature(NS_DISCO_INFO);
    api.addFeature(NS_DISCO_ITEMS);
    api.addAccountFeature(NS_DISCO_INFO);
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
    // An account's bare JID (XEP-0030 §3; XEP-0357 §5 asks its own): answered to the account
    // itself only; anyone else gets what an address without this service gets, so the answer
    // tells nobody whether the account exists.
    api.handleIq("get", "bare", NS_DISCO_INFO, "query", (ev) => {
      if (ev.from.local !== ev.to.local || ev.from.domain !== ev.to.domain)
        throw new StanzaError(
          "service-unavailable",
          `${NS_DISCO_INFO} query is not supported here`,
        );
      const node = ev.stanza.getChild("query", NS_DISCO_INFO)!.attr("node");
      if (node !== undefined)
        throw new StanzaError("item-not-found", `no disco node "${node}" here`);
      return xml(
        "query",
        { xmlns: NS_DISCO_INFO },
        xml("identity", { category: "account", type: "registered" }),
        ...[...api.accountFeatures()].sort().map((f) => xml("feature", { var: f })),
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
