// XEP-0030: Service Discovery — the server's identity, features and items (connected
// components), and what the server offers on each account's bare JID.
import { type HatoModule, type ModuleApi, StanzaError, type StanzaEvent } from "@hato/core";
import { type Element, NS_DISCO_INFO, NS_DISCO_ITEMS, xml } from "@hato/xml";

/**
 * Answers disco#info and disco#items for the server from what the modules registered, and
 * for accounts' bare JIDs from the account features (addFeature(ns, "account")) and what
 * modules add through the disco-account-* events (PEP).
 */
export const disco: HatoModule = {
  name: "disco",
  load(api) {
    api.addFeature(NS_DISCO_INFO);
    api.addFeature(NS_DISCO_ITEMS);
    api.addFeature(NS_DISCO_INFO, "account");
    api.addFeature(NS_DISCO_ITEMS, "account");
    api.addIdentity({ category: "server", type: "im", name: "Hato" });
    api.handleIq("get", "host", NS_DISCO_INFO, "query", (ev) => {
      const node = ev.stanza.getChild("query", NS_DISCO_INFO)!.attr("node");
      if (node !== undefined)
        throw new StanzaError("item-not-found", `no disco node "${node}" here`);
      const { features, identities, forms } = api.discoInfo();
      const query = infoQuery(undefined, identities, features);
      for (const form of forms) query.append(form);
      return query;
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

    api.handleIq("get", "bare", NS_DISCO_INFO, "query", async (ev) => {
      await mayAsk(api, ev, NS_DISCO_INFO);
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
        info.identities.unshift({ category: "account", type: "registered" });
        for (const f of api.discoInfo().accountFeatures) info.features.add(f);
      }
      return infoQuery(node, info.identities, info.features);
    });
    api.handleIq("get", "bare", NS_DISCO_ITEMS, "query", async (ev) => {
      await mayAsk(api, ev, NS_DISCO_ITEMS);
      const node = ev.stanza.getChild("query", NS_DISCO_ITEMS)!.attr("node");
      const list = { username: ev.to.local, from: ev.from, node, items: [] as Element[] };
      await api.fire("disco-account-items", list);
      return xml("query", { xmlns: NS_DISCO_ITEMS, node }, ...list.items);
    });
  },
};

/**
 * §3.1: the server answers for an account to the account itself and to contacts allowed to
 * see its presence. Everyone else gets what the router says for an unhandled IQ, which is
 * also what an account that does not exist and a blocking account answer: so disco tells a
 * stranger neither whether the account exists nor whether it blocked them.
 */
async function mayAsk(api: ModuleApi, ev: StanzaEvent, ns: string): Promise<void> {
  if (ev.from.bare.equals(ev.to)) return;
  const item = await api.storage.roster.item(ev.to.local, ev.from.bare.toString());
  if (item?.subscription !== "from" && item?.subscription !== "both") {
    throw new StanzaError("service-unavailable", `${ns} query is not supported here`);
  }
}

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
