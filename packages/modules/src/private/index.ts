// XEP-0049: Private XML Storage — each account keeps XML fragments only it can read.
import { type HatoModule, StanzaError, type StanzaEvent } from "@hato/core";
import {
  type Element,
  NS_CLIENT,
  NS_COMPONENT,
  NS_SERVER,
  NS_STREAM,
  NS_XML,
  parseElement,
  serialize,
  xml,
} from "@hato/xml";
import { unsupportedIq } from "../unknown-account.js";

export const NS_PRIVATE = "jabber:iq:private";
/** Shared storage format: kv store "private", key "{namespace}element-name", the serialised element. */
const STORE = "private";
/** Namespaces of the protocol itself, which clients may not store as their own data. */
const REFUSED = new Set([NS_PRIVATE, NS_CLIENT, NS_SERVER, NS_COMPONENT, NS_STREAM, NS_XML]);

export const privateStorage: HatoModule = {
  name: "private",
  load(api) {
    const { maxItems, maxBytes } = api.config.private;
    const queues = new Map<string, Promise<unknown>>();

    /** The one element the request is about, checked; the account's own requests only. */
    function target(ev: StanzaEvent): { user: string; el: Element; key: string } {
      const query = ev.stanza.elements()[0]!;
      if (ev.from.local !== ev.to.local || ev.from.domain !== ev.to.domain) {
        throw unsupportedIq(query);
      }
      const children = query.elements();
      if (children.length !== 1) {
        throw new StanzaError(
          "not-acceptable",
          "the query must hold exactly one element, in the namespace of the data",
        );
      }
      const el = children[0]!;
      const ns = el.xmlns ?? "";
      if (ns === "" || REFUSED.has(ns) || ns.startsWith("urn:ietf:params:xml:ns:xmpp-")) {
        throw new StanzaError(
          "not-acceptable",
          ns === "" || ns === NS_PRIVATE
            ? "the stored element needs a namespace of its own"
            : `data in the ${ns} namespace cannot be stored`,
        );
      }
      return { user: ev.to.local, el, key: `{${ns}}${el.name}` };
    }

    api.handleIq("get", "bare", NS_PRIVATE, "query", async (ev) => {
      const { user, el, key } = target(ev);
      const text = await api.storage.kv.get(STORE, user, key);
      let data = el;
      if (text !== undefined) {
        try {
          data = parseElement(text);
        } catch (err) {
          api.log.error("stored private XML unreadable", { user, key, err });
        }
      }
      // Nothing stored: the empty element as asked for.
      return xml("query", { xmlns: NS_PRIVATE }, data);
    });

    api.handleIq("set", "bare", NS_PRIVATE, "query", (ev) => {
      const { user, el, key } = target(ev);
      const run = () => store(user, el, key);
      const result = (queues.get(user) ?? Promise.resolve()).then(run, run);
      const tail = result.catch(() => {});
      queues.set(user, tail);
      void tail.then(() => {
        if (queues.get(user) === tail) queues.delete(user);
      });
      return result;
    });

    async function store(user: string, el: Element, key: string): Promise<undefined> {
      const empty =
        Object.keys(el.attrs).length === 0 &&
        el.children.every((c) => typeof c === "string" && c.trim() === "");
      const text = serialize(el);
      const bytes = Buffer.byteLength(text);
      if (!empty) {
        if (bytes > maxBytes) {
          throw new StanzaError(
            "not-acceptable",
            `private XML may take at most ${maxBytes} bytes in all; this element alone is ${bytes}`,
          );
        }
        let total = bytes;
        let count = 1;
        for (const k of await api.storage.kv.keys(STORE, user)) {
          if (k === key) continue;
          count++;
          total += Buffer.byteLength((await api.storage.kv.get(STORE, user, k)) ?? "");
        }
        if (count > maxItems) {
          throw new StanzaError(
            "resource-constraint",
            `at most ${maxItems} private XML elements may be stored; remove one first`,
            "cancel",
          );
        }
        if (total > maxBytes) {
          throw new StanzaError(
            "resource-constraint",
            `private XML may take at most ${maxBytes} bytes in all; ${total} would be stored`,
            "cancel",
          );
        }
      }
      // An empty element stores nothing: it is what a get returns when nothing is stored.
      if (!(await api.storage.kv.set(STORE, user, key, empty ? undefined : text))) {
        throw new StanzaError("internal-server-error", "the data could not be stored");
      }
      return undefined;
    }
  },
};
