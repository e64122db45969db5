// XEP-0030: Service Discovery — the server's identity, features and items (connected components).
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
