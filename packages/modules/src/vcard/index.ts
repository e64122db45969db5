// XEP-0054: vcard-temp — each account stores one vCard; anyone may read it, only its owner write it.
// XEP-0153 avatars need nothing more here: clients put the photo's hash in their presence.
import { type HatoModule, StanzaError, type StanzaEvent } from "@hato/core";
import { type Element, parseElement, serialize, xml } from "@hato/xml";
import { unsupportedIq } from "../unknown-account.js";

export const NS_VCARD = "vcard-temp";
/** Shared storage format: kv store "vcard", key "vcard", the serialised <vCard xmlns='vcard-temp'>. */
const STORE = "vcard";
const KEY = "vcard";

export const vcard: HatoModule = {
  name: "vcard",
  load(api) {
    const { maxBytes } = api.config.vcard;
    api.addFeature(NS_VCARD);

    const own = (ev: StanzaEvent) =>
      ev.from.local === ev.to.local && ev.from.domain === ev.to.domain;

    async function stored(username: string): Promise<Element | undefined> {
      const text = await api.storage.kv.get(STORE, username, KEY);
      if (text === undefined) return undefined;
      try {
        return parseElement(text);
      } catch (err) {
        api.log.error("stored vCard unreadable", { user: username, err });
        return undefined;
      }
    }

    api.handleIq("get", "bare", NS_VCARD, "vCard", async (ev) => {
      const card = await stored(ev.to.local);
      if (card) return card;
      // §3.1: one's own missing vCard is an empty one. §3.3: someone else's missing vCard gets
      // the same error as an account that does not exist, so nobody can harvest account names.
      if (own(ev)) return xml("vCard", { xmlns: NS_VCARD });
      throw unsupportedIq(ev.stanza.elements()[0]!);
    });

    api.handleIq("set", "bare", NS_VCARD, "vCard", async (ev) => {
      const payload = ev.stanza.elements()[0]!;
      if (!own(ev)) throw unsupportedIq(payload);
      const card = xml("vCard", { xmlns: NS_VCARD });
      for (const c of payload.children) card.children.push(typeof c === "string" ? c : c.clone());
      const text = serialize(card);
      const bytes = Buffer.byteLength(text);
      if (bytes > maxBytes) {
        throw new StanzaError(
          "not-acceptable",
          `a vCard may be at most ${maxBytes} bytes; this one is ${bytes} (make the photo smaller)`,
        );
      }
      const empty = card.elements().length === 0;
      const ok = await api.storage.kv.set(STORE, ev.to.local, KEY, empty ? undefined : text);
      if (!ok) throw new StanzaError("internal-server-error", "the vCard could not be stored");
      void api.fire("vcard-updated", { username: ev.to.local, vcard: card });
      return undefined;
    });
  },
};
