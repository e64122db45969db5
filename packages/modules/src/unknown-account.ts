// What a local address without an account answers (RFC 6120 §10.5.3.1), written down once so
// that blocking (XEP-0191 §3.4) and modules that serve accounts answer exactly the same.
import { StanzaError, type StanzaEvent } from "@hato/core";
import type { Element } from "@hato/xml";

/**
 * The router's answer to an IQ request no module handles. Modules answering IQs addressed to
 * other accounts' bare JIDs answer it for accounts that do not exist, so that nobody can
 * tell a missing account, a blocked sender and an unsupported request apart.
 */
export function unsupportedIq(payload: Element): StanzaError {
  return new StanzaError(
    "service-unavailable",
    `${payload.xmlns ?? ""} ${payload.name} is not supported here`,
  );
}

/**
 * The error a stanza to an account that does not exist gets from delivery and offline storage
 * (RFC 6121 §8.5.2, §8.5.3), or undefined where it is dropped without an answer.
 */
export function noSuchAccount(ev: StanzaEvent): StanzaError | undefined {
  const { stanza, to } = ev;
  const type = stanza.attr("type");
  const full = to.resource !== "";
  if (stanza.name === "iq") {
    if (type !== "get" && type !== "set") return undefined;
    return full
      ? new StanzaError("service-unavailable", "that session is not online")
      : unsupportedIq(stanza.elements()[0]!);
  }
  if (stanza.name !== "message") return undefined;
  switch (type ?? "normal") {
    case "error":
    case "headline":
      return undefined;
    case "groupchat":
      return new StanzaError(
        "service-unavailable",
        full ? "that session is not online" : "this address is not a group chat",
      );
    default:
      return new StanzaError("service-unavailable", "the recipient is not available");
  }
}
