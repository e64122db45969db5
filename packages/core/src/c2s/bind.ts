// RFC 6120 §7: resource binding — which full JID a new session gets, or why it gets none.

import { randomBytes } from "node:crypto";
import { type Jid, parseJid, prepResource } from "@hato/jid";
import { type Element, NS_BIND } from "@hato/xml";
import { StanzaError } from "../errors.js";
import type { Session, SessionRegistry } from "../session.js";

/** The bound address, and the session it replaces when the resource was in use. */
export interface Binding {
  jid: Jid;
  replacing: Session | undefined;
}

/**
 * Chooses the resource for a bind request: the client's (prepared) or a random one. A
 * resource in use is taken over (RFC 6120 §7.7.2.2, option 3: the old session is closed
 * with `conflict`); a new one past the per-account limit is refused.
 */
export function chooseBinding(
  iq: Element,
  username: string,
  domain: string,
  sessions: SessionRegistry,
  maxSessions: number,
): Binding | StanzaError {
  const requested = iq.getChild("bind", NS_BIND)!.getChildText("resource");
  let resource: string;
  if (requested === undefined || requested.trim() === "") {
    resource = randomBytes(9).toString("base64url");
  } else {
    const prepared = prepResource(requested);
    if (prepared === null) {
      return new StanzaError("bad-request", "the requested resource is not a valid resourcepart");
    }
    resource = prepared;
  }
  const replacing = sessions.get(username, resource);
  if (replacing === undefined && sessions.countOfUser(username) >= maxSessions) {
    return new StanzaError(
      "resource-constraint",
      `this account already has ${maxSessions} sessions`,
      "cancel",
    );
  }
  const jid = parseJid(`${username}@${domain}/${resource}`);
  if (!jid.ok) return new StanzaError("bad-request", jid.reason);
  return { jid: jid.jid, replacing };
}
