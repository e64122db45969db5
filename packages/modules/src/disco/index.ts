// XEP-0030: Service Discovery — the server's identity and features, and those of each account.
import { type HatoModule, StanzaError } from "@hato/core";
import { type Element, NS_DISCO_INFO, NS_DISCO_ITEMS, xml } from "@hato/xml";

/**
 * Answers disco#info and disco#items for the server from what the modules registered, and
 * for accounts' bare JIDs from what modules add through the disco-account-* events (PEP).
 * An account that does not exist answers exactly like one with nothing to show, so disco
 * does not reveal which accounts exist.
 */
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
      return infoQuery(undefined, identities, features);
    });
    api.handleIq("get", "host", NS_DISCO_ITEMS, "query", (ev) => {
      const node = ev.stanza.getChild("query", NS_DISCO_ITEMS)!.attr("node");
      if (node !== undefined)
        throw new StanzaError("item-not-found", `no disco node "${node}" here`);
      return xml("query", { xmlns: NS_DISCO_ITEMS });
    });

    api.handleIq("get", "bare", NS_DISCO_INFO, "query", async (ev) => {
      const node = ev.stanza.getChild("query", NS_DISCO_INFO)!.attr("node");
      const info = {
        username: ev.to.local,
        from: ev.from,
        node,
        identities: [] as { category: string; type: string; name?: string }[],
        features: new Set<string>(),
      };
      await api.fire("disco-account-info", info);
      if (node !== undefined && info.identities.length === 0 && info.features.size === 0) {
        throw new StanzaError("item-not-found", `no disco node "${node}" here`);
      }
      if (node === undefined) {
        info.features.add(NS_DISCO_INFO);
        info.features.add(NS_DISCO_ITEMS);
      }
      return infoQuery(node, info.identities, info.features);
    });
    api.handleIq("get", "bare", NS_DISCO_ITEMS, "query", async (ev) => {
      const node = ev.stanza.getChild("query", NS_DISCO_ITEMS)!.attr("node");
      const list = { username: ev.to.local, from: ev.from, node, items: [] as Element[] };
      await api.fire("disco-account-items", list);
      return xml("query", { xmlns: NS_DISCO_ITEMS, node }, ...list.items);
    });
  },
};

function infoQuery(
  node: string | undefined,
  identities: readonly { category: string; type: string; name?: string }[],
  features: ReadonlySet<string>,
): Element {
  return xml(
    "query",
    { xmlns: NS_DISCO_INFO, node },
    ...identities.map((i) => xml("identity", { category: i.category, type: i.type, name: i.name })),
    ...[...features].sort().map((f) => xml("feature", { var: f })),
  );
}
