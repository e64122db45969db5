// Forged-wrapper guard (the CVE-2017-5589 class): Carbons and MAM wrappers come only from the account itself.
import { type HatoModule, Priority, StanzaError } from "@hato/core";
import type { Element } from "@hato/xml";
import { NS_CARBONS } from "./index.js";

/** MAM result namespaces old and new clients still accept. */
const MAM_RESULT = new Set([
  "urn:xmpp:mam:2",
  "urn:xmpp:mam:1",
  "urn:xmpp:mam:0",
  "urn:xmpp:mam:tmp",
]);

/** The first child that a client would take as a carbon or an archive result, if any. */
export function forgeableWrapper(stanza: Element): Element | undefined {
  return stanza
    .elements()
    .find(
      (c) =>
        (c.xmlns === NS_CARBONS && (c.name === "sent" || c.name === "received")) ||
        (c.name === "result" && c.xmlns !== undefined && MAM_RESULT.has(c.xmlns)),
    );
}

/**
 * Clients trust a <sent/>, <received/> or <result/> wrapper as their own server's word about
 * their own account; from anyone else it would let them put words in other people's mouths.
 * The server sends its own carbons and results straight to sessions, never through the router,
 * so whatever arrives here with such a wrapper from another account is forged.
 */
export const wrapperGuard: HatoModule = {
  name: "wrapper-guard",
  load(api) {
    api.hook(
      "pre-route",
      (ev) => {
        if (ev.stanza.name !== "message" || ev.from.bare.equals(ev.to.bare)) return false;
        const wrapper = forgeableWrapper(ev.stanza);
        if (wrapper === undefined) return false;
        api.log.warn("forged wrapper refused", {
          from: ev.from.toString(),
          to: ev.to.toString(),
          wrapper: `{${wrapper.xmlns}}${wrapper.name}`,
        });
        api.bounce(
          ev,
          new StanzaError(
            "not-acceptable",
            `a <${wrapper.name} xmlns='${wrapper.xmlns}'/> wrapper may only come from the recipient's own account; this message looks forged and was not delivered`,
          ),
        );
        return true;
      },
      Priority.POLICY,
    );
  },
};
