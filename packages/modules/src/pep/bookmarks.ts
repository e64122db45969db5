// XEP-0402 PEP native bookmarks kept in sync with XEP-0048 (PEP node and XEP-0049 private XML).
import { type ModuleApi, Priority } from "@hato/core";
import { parseJid } from "@hato/jid";
import { type Element, parseElement, serialize, xml } from "@hato/xml";
import type { NodeConfig } from "./config-form.js";
import { NS_BOOKMARKS, NS_BOOKMARKS2, NS_PRIVATE } from "./ns.js";
import type { PepService } from "./service.js";

/** The XEP-0049 key of XEP-0048 bookmarks in the "private" store (shared format). */
export const PRIVATE_KEY = `{${NS_BOOKMARKS}}storage`;

/** XEP-0402 §5 / XEP-0223 configuration of both bookmark nodes. */
const BOOKMARK_CONFIG: NodeConfig = {
  access_model: "whitelist",
  max_items: "max",
  persist_items: "true",
  send_last_published_item: "never",
  notify_retract: "true",
  notify_delete: "true",
  publish_model: "publishers",
  deliver_payloads: "true",
  deliver_notifications: "true",
};
const LEGACY_CONFIG: NodeConfig = { ...BOOKMARK_CONFIG, max_items: "1" };
const truthy = (v: string | undefined) => v === "true" || v === "1";

/** One XEP-0402 item payload from a XEP-0048 `<conference/>` (keeping old extensions). */
function toNative(c: Element, old: Element | undefined): Element {
  const out = xml("conference", {
    xmlns: NS_BOOKMARKS2,
    name: c.attr("name"),
    autojoin: truthy(c.attr("autojoin")) ? "true" : undefined,
  });
  const nick = c.getChildText("nick", NS_BOOKMARKS);
  const password = c.getChildText("password", NS_BOOKMARKS);
  if (nick !== undefined) out.append(xml("nick", { xmlns: NS_BOOKMARKS2 }, nick));
  if (password !== undefined) out.append(xml("password", { xmlns: NS_BOOKMARKS2 }, password));
  const ext = old?.getChild("extensions", NS_BOOKMARKS2);
  if (ext) out.append(ext.clone());
  return out;
}

/** One XEP-0048 `<conference/>` from a XEP-0402 item. */
function toLegacy(jid: string, c: Element): Element {
  const out = xml("conference", {
    xmlns: NS_BOOKMARKS,
    jid,
    name: c.attr("name"),
    autojoin: truthy(c.attr("autojoin")) ? "true" : "false",
  });
  const nick = c.getChildText("nick", NS_BOOKMARKS2);
  const password = c.getChildText("password", NS_BOOKMARKS2);
  if (nick !== undefined) out.append(xml("nick", { xmlns: NS_BOOKMARKS }, nick));
  if (password !== undefined) out.append(xml("password", { xmlns: NS_BOOKMARKS }, password));
  return out;
}

/**
 * Keeps `urn:xmpp:bookmarks:1` (one item per room), the `storage:bookmarks` PEP node (one
 * item "current") and the private XML copy equal, whichever of the three a client writes.
 */
export function registerBookmarks(api: ModuleApi, pep: PepService): void {
  // Bookmarks may hold room passwords: a client that publishes them without publish-options
  // still gets a private node.
  pep.nodeDefaults.set(NS_BOOKMARKS2, BOOKMARK_CONFIG);
  pep.nodeDefaults.set(NS_BOOKMARKS, LEGACY_CONFIG);

  /** Rebuilds both XEP-0048 copies from the XEP-0402 node. */
  const fromNative = async (owner: string) => {
    const items = await pep.items(owner, NS_BOOKMARKS2, {});
    const old = await api.storage.kv.get("private", owner, PRIVATE_KEY);
    const storage = xml("storage", { xmlns: NS_BOOKMARKS });
    for (const it of items) storage.append(toLegacy(it.id, parseElement(it.payload)));
    // URL bookmarks have no XEP-0402 form: keep the ones the legacy copy had.
    if (old) for (const u of parseElement(old).getChildren("url", NS_BOOKMARKS)) storage.append(u);
    await api.storage.kv.set("private", owner, PRIVATE_KEY, serialize(storage));
    await pep.publish(owner, NS_BOOKMARKS, "current", storage, {
      origin: "sync",
      createWith: LEGACY_CONFIG,
    });
  };

  /** Applies a XEP-0048 list to the XEP-0402 node, item by item, with notifications. */
  const fromLegacy = async (owner: string, storage: Element, writePrivate: boolean) => {
    if (writePrivate) await api.storage.kv.set("private", owner, PRIVATE_KEY, serialize(storage));
    const current = new Map<string, string>();
    for (const it of await pep.items(owner, NS_BOOKMARKS2, {})) current.set(it.id, it.payload);
    const wanted = new Map<string, Element>();
    for (const c of storage.getChildren("conference", NS_BOOKMARKS)) {
      const r = parseJid(c.attr("jid") ?? "");
      if (!r.ok || r.jid.resource !== "" || r.jid.toString().length > pep.limits.maxIdLength)
        continue;
      if (wanted.size >= pep.limits.maxItems) break;
      const jid = r.jid.toString();
      const old = current.get(jid);
      wanted.set(jid, toNative(c, old === undefined ? undefined : parseElement(old)));
    }
    for (const [jid, payload] of wanted) {
      if (current.get(jid) === serialize(payload)) continue;
      await pep.publish(owner, NS_BOOKMARKS2, jid, payload, {
        origin: "sync",
        createWith: BOOKMARK_CONFIG,
      });
    }
    for (const jid of current.keys()) {
      if (!wanted.has(jid)) await pep.retract(owner, NS_BOOKMARKS2, jid, true, "sync");
    }
  };

  pep.onPublished.push(async (p) => {
    if (p.origin !== "client") return;
    if (p.node === NS_BOOKMARKS2) await fromNative(p.owner);
    else if (
      p.node === NS_BOOKMARKS &&
      p.payload.name === "storage" &&
      p.payload.xmlns === NS_BOOKMARKS
    ) {
      await fromLegacy(p.owner, p.payload, true);
    }
  });
  pep.onRetracted.push(async (r) => {
    if (r.origin === "client" && r.node === NS_BOOKMARKS2) await fromNative(r.owner);
  });

  // XEP-0049 writes: the private-storage module stores the element; this copies it to PEP
  // first (the request is not taken, so that module still answers it).
  api.hook(
    `iq-set/bare/${NS_PRIVATE}:query`,
    async (ev) => {
      if (!ev.from.bare.equals(ev.to.bare)) return false;
      const storage = ev.stanza.getChild("query", NS_PRIVATE)?.getChild("storage", NS_BOOKMARKS);
      if (storage === undefined) return false;
      try {
        pep.charge(ev.to.local);
        await fromLegacy(ev.to.local, storage, false);
      } catch (err) {
        api.log.warn("bookmarks from private XML not copied to PEP", { err });
      }
      return false;
    },
    Priority.DEFAULT + 1,
  );
}
