// XEP-0060 requests PEP clients send to an account's bare JID: pubsub and pubsub#owner IQs.
import { type ModuleApi, StanzaError, type StanzaEvent } from "@hato/core";
import { parseJid } from "@hato/jid";
import { type Element, xml } from "@hato/xml";
import { unsupportedIq } from "../unknown-account.js";
import { accessError, membersOf, rosterLookup } from "./access.js";
import { applyForm, configForm, defaultConfig, readForm } from "./config-form.js";
import { PubsubError, unsupported } from "./errors.js";
import { itemElement } from "./notify.js";
import { NS_DATA, NS_NODE_CONFIG, NS_PUBLISH_OPTIONS, NS_PUBSUB, NS_PUBSUB_OWNER } from "./ns.js";
import type { PepService } from "./service.js";

const isOwner = (ev: StanzaEvent) => ev.from.bare.equals(ev.to.bare);
const requireOwner = (ev: StanzaEvent) => {
  if (!isOwner(ev)) {
    throw new StanzaError("forbidden", "only the account itself may change its PEP nodes");
  }
};
const onlyChild = (el: Element) => {
  const kids = el.elements();
  if (kids.length === 0) throw new StanzaError("bad-request", "the pubsub element is empty");
  return kids[0]!;
};
const bool = (v: string | undefined) =>
  v === "1" || v === "true" ? true : v === "0" || v === "false" ? false : undefined;

/** Registers the pubsub and pubsub#owner IQ handlers on accounts' bare JIDs. */
export function registerHandlers(api: ModuleApi, pep: PepService): void {
  const nodeOrFail = async (owner: string, name: string) => {
    const node = await pep.node(owner, name);
    if (node === undefined) throw new StanzaError("item-not-found", `no node "${name}"`);
    return node;
  };

  api.handleIq("get", "bare", NS_PUBSUB, "pubsub", async (ev) => {
    const pubsub = ev.stanza.getChild("pubsub", NS_PUBSUB)!;
    const req = onlyChild(pubsub);
    if (req.name !== "items")
      throw unsupported(req.name, `pubsub ${req.name} is not supported here`);
    const owner = ev.to.local;
    const name = pep.checkId("node", req.attr("node"));
    // An account that does not exist answers like a blocking one (XEP-0191 §3.4), so a
    // blocked requester cannot tell the two apart.
    if (!isOwner(ev) && (await api.storage.accounts.get(owner)) === undefined)
      throw unsupportedIq(pubsub);
    const node = await nodeOrFail(owner, name);
    const denied = await accessError(
      ev.to.bare,
      node.config,
      ev.from.bare,
      rosterLookup(api.storage, owner),
    );
    if (denied) throw denied;
    const maxAttr = req.attr("max_items");
    let max: number | undefined;
    if (maxAttr !== undefined) {
      if (!/^\d{1,9}$/.test(maxAttr))
        throw new StanzaError("bad-request", "max_items must be a number");
      max = Math.min(Number(maxAttr), pep.limits.maxItems);
    }
    const wanted = req
      .getChildren("item", NS_PUBSUB)
      .map((i) => pep.checkId("item id", i.attr("id")));
    if (wanted.length > pep.limits.maxItems) {
      throw new StanzaError(
        "not-acceptable",
        `at most ${pep.limits.maxItems} item ids per request`,
      );
    }
    const items = await pep.items(owner, name, {
      ids: wanted.length > 0 ? wanted : undefined,
      max,
    });
    return xml(
      "pubsub",
      { xmlns: NS_PUBSUB },
      xml("items", { node: name }, ...items.map(itemElement)),
    );
  });

  api.handleIq("set", "bare", NS_PUBSUB, "pubsub", async (ev) => {
    const pubsub = ev.stanza.getChild("pubsub", NS_PUBSUB)!;
    const req = onlyChild(pubsub);
    const owner = ev.to.local;
    switch (req.name) {
      case "publish": {
        requireOwner(ev);
        const name = pep.checkId("node", req.attr("node"));
        const items = req.getChildren("item", NS_PUBSUB);
        if (items.length === 0) {
          throw new PubsubError("bad-request", "item-required", "publish one item");
        }
        if (items.length > 1) {
          throw new PubsubError("bad-request", "invalid-payload", "publish one item at a time");
        }
        const payloads = items[0]!.elements();
        if (payloads.length === 0) {
          throw new PubsubError("bad-request", "payload-required", "the item needs a payload");
        }
        if (payloads.length > 1) {
          throw new PubsubError(
            "bad-request",
            "invalid-payload",
            "an item holds one payload element",
          );
        }
        const x = pubsub.getChild("publish-options", NS_PUBSUB)?.getChild("x", NS_DATA);
        const options = x === undefined ? undefined : readForm(x, NS_PUBLISH_OPTIONS);
        pep.charge(owner);
        const id = await pep.publish(owner, name, items[0]!.attr("id"), payloads[0]!, {
          origin: "client",
          options,
        });
        return xml(
          "pubsub",
          { xmlns: NS_PUBSUB },
          xml("publish", { node: name }, xml("item", { id })),
        );
      }
      case "retract": {
        requireOwner(ev);
        const name = pep.checkId("node", req.attr("node"));
        const items = req.getChildren("item", NS_PUBSUB);
        if (items.length !== 1) {
          throw new PubsubError("bad-request", "item-required", "retract exactly one item");
        }
        const id = pep.checkId("item id", items[0]!.attr("id"));
        pep.charge(owner);
        await pep.retract(owner, name, id, bool(req.attr("notify")), "client");
        return undefined;
      }
      case "create": {
        requireOwner(ev);
        const name = req.attr("node");
        if (name === undefined) {
          throw new PubsubError(
            "not-acceptable",
            "nodeid-required",
            "instant nodes are not supported; name the node",
          );
        }
        pep.checkId("node", name);
        pep.charge(owner);
        if (await pep.node(owner, name))
          throw new StanzaError("conflict", `node "${name}" exists already`);
        const x = pubsub.getChild("configure", NS_PUBSUB)?.getChild("x", NS_DATA);
        const config = x
          ? applyForm(defaultConfig(), readForm(x, NS_NODE_CONFIG), pep.limits)
          : defaultConfig();
        await pep.create(owner, name, config);
        return undefined;
      }
      default:
        throw unsupported(
          req.name,
          `pubsub ${req.name} is not supported on PEP nodes; subscriptions are implicit (+notify)`,
        );
    }
  });

  api.handleIq("get", "bare", NS_PUBSUB_OWNER, "pubsub", async (ev) => {
    requireOwner(ev);
    const req = onlyChild(ev.stanza.getChild("pubsub", NS_PUBSUB_OWNER)!);
    const owner = ev.to.local;
    if (req.name === "default") {
      return xml(
        "pubsub",
        { xmlns: NS_PUBSUB_OWNER },
        xml("default", null, configForm(defaultConfig())),
      );
    }
    const name = pep.checkId("node", req.attr("node"));
    const node = await nodeOrFail(owner, name);
    switch (req.name) {
      case "configure":
        return xml(
          "pubsub",
          { xmlns: NS_PUBSUB_OWNER },
          xml("configure", { node: name }, configForm(node.config)),
        );
      case "affiliations":
        return xml(
          "pubsub",
          { xmlns: NS_PUBSUB_OWNER },
          xml(
            "affiliations",
            { node: name },
            xml("affiliation", { jid: ev.to.bare.toString(), affiliation: "owner" }),
            ...membersOf(node.config).map((jid) =>
              xml("affiliation", { jid, affiliation: "member" }),
            ),
          ),
        );
      default:
        throw unsupported(req.name, `pubsub#owner ${req.name} is not supported here`);
    }
  });

  api.handleIq("set", "bare", NS_PUBSUB_OWNER, "pubsub", async (ev) => {
    requireOwner(ev);
    const req = onlyChild(ev.stanza.getChild("pubsub", NS_PUBSUB_OWNER)!);
    const owner = ev.to.local;
    const name = pep.checkId("node", req.attr("node"));
    pep.charge(owner);
    const node = await nodeOrFail(owner, name);
    switch (req.name) {
      case "configure": {
        const x = req.getChild("x", NS_DATA);
        if (x === undefined) throw new StanzaError("bad-request", "configure needs a data form");
        if (x.attr("type") === "cancel") return undefined;
        node.config = applyForm(node.config, readForm(x, NS_NODE_CONFIG), pep.limits);
        await api.storage.pubsub.putNode(owner, node);
        return undefined;
      }
      case "delete":
        await api.storage.pubsub.deleteNode(owner, name);
        if (node.config.notify_delete !== "false") {
          await pep.notifier.broadcast(owner, node, xml("delete", { node: name }));
        }
        return undefined;
      case "purge":
        await api.storage.pubsub.purge(owner, name);
        await pep.notifier.broadcast(owner, node, xml("purge", { node: name }));
        return undefined;
      case "affiliations": {
        const members = new Set(membersOf(node.config));
        for (const a of req.getChildren("affiliation", NS_PUBSUB_OWNER)) {
          const parsed = parseJid(a.attr("jid") ?? "");
          if (!parsed.ok)
            throw new StanzaError("jid-malformed", `not a JID: ${a.attr("jid") ?? ""}`);
          const bare = parsed.jid.bare;
          if (bare.equals(ev.to.bare)) {
            throw new StanzaError("not-acceptable", "the owner's own affiliation cannot change");
          }
          const what = a.attr("affiliation");
          if (what === "member") members.add(bare.toString());
          else if (what === "none") members.delete(bare.toString());
          else
            throw new StanzaError(
              "not-acceptable",
              `affiliation must be member or none, not ${what ?? "missing"}`,
            );
        }
        if (members.size > pep.limits.maxAffiliations) {
          throw new StanzaError(
            "not-acceptable",
            `a node may have at most ${pep.limits.maxAffiliations} members`,
          );
        }
        node.config = { ...node.config, members: [...members].sort() };
        await api.storage.pubsub.putNode(owner, node);
        return undefined;
      }
      default:
        throw unsupported(req.name, `pubsub#owner ${req.name} is not supported here`);
    }
  });
}
