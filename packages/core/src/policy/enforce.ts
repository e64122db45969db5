// The policy rules whose features exist, enforced where they bite: end-to-end encryption for
// 1:1 messages and client-version queries (at pre-route). Max sessions is enforced at bind
// (c2s/stream.ts), file rules in the upload module's slot checks.

import { StanzaError } from "../errors.js";
import { Priority, type StanzaEvent } from "../events.js";
import type { HatoModule, ModuleApi } from "../module-api.js";

const NS_OMEMO_LEGACY = "eu.siacs.conversations.axolotl";
const NS_OMEMO_2 = "urn:xmpp:omemo:2";
const NS_VERSION = "jabber:iq:version";

export const ENCRYPTION_TEXT = "your organisation requires end-to-end encryption for 1:1 messages";
export const VERSION_TEXT =
  "this user's organisation does not let others ask which client they use";

/** Refuses `ev` with `err`, and tells the audit log (`policy-denied`). */
export function deny(api: ModuleApi, ev: StanzaEvent, rule: string, err: StanzaError): true {
  api.bounce(ev, err);
  void api.fire("policy-denied", { user: ev.from.local, rule, text: err.text ?? err.condition });
  return true;
}

/** A 1:1 message with a plaintext body and no OMEMO payload. */
function isPlaintextChat(ev: StanzaEvent): boolean {
  const s = ev.stanza;
  if (s.name !== "message") return false;
  const type = s.attr("type") ?? "normal";
  if (type !== "chat" && type !== "normal") return false;
  if (s.getChild("body") === undefined) return false;
  return (
    s.getChild("encrypted", NS_OMEMO_LEGACY) === undefined &&
    s.getChild("encrypted", NS_OMEMO_2) === undefined
  );
}

export const policyModule: HatoModule = {
  name: "policy",
  load(api) {
    api.hook(
      "pre-route",
      (ev) => {
        // Only what a local user's session sends: the server's own messages (announcements,
        // notices from modules) have no origin and are exempt.
        if (ev.origin === undefined || ev.from.local === "" || ev.from.domain !== api.domain)
          return false;
        const policy = api.policy.current;
        if (isPlaintextChat(ev) && ev.to.local !== "") {
          const local = ev.to.domain === api.domain;
          if (
            policy.forUser(ev.from.local).rules.encryption === "required" ||
            (local && policy.forUser(ev.to.local).rules.encryption === "required")
          )
            return deny(
              api,
              ev,
              "encryption",
              new StanzaError("policy-violation", ENCRYPTION_TEXT, "modify"),
            );
        }
        // XEP-0092 to another user's client: refused when that user's rule says so. The asker
        // already sees the resource (a full JID), so `forbidden` reveals nothing new and says
        // honestly that a rule refused it.
        if (
          ev.stanza.name === "iq" &&
          ev.stanza.attr("type") === "get" &&
          ev.to.resource !== "" &&
          ev.to.domain === api.domain &&
          ev.to.local !== "" &&
          ev.to.local !== ev.from.local &&
          ev.stanza.getChild("query", NS_VERSION) !== undefined &&
          !policy.forUser(ev.to.local).rules.versionQueries
        )
          return deny(
            api,
            ev,
            "version-queries",
            new StanzaError("forbidden", VERSION_TEXT, "auth"),
          );
        return false;
      },
      Priority.POLICY,
    );
  },
};
