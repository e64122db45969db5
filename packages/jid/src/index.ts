// @hato/jid: XMPP addresses (RFC 7622) with PRECIS (RFC 8264–8266) and IDNA2008 domains.
import { enforceDomain } from "./domain.js";
import {
  enforceLocal,
  enforceNickname,
  enforceNicknameKey,
  enforceResource,
  type Prepared,
} from "./precis.js";

export { Jid, type JidResult, jid, makeJid, parseJid } from "./jid.js";

function orNull(p: Prepared): string | null {
  return typeof p === "string" ? p : null;
}

/** Local part: UsernameCaseMapped (RFC 8265 §3.3) minus " & ' / : < > @ (RFC 7622 §3.3.1). */
export function prepLocal(s: string): string | null {
  return orNull(enforceLocal(s));
}

/** Resource part: OpaqueString (RFC 8265 §4.2). */
export function prepResource(s: string): string | null {
  return orNull(enforceResource(s));
}

/** Domain part (RFC 7622 §3.2): IDNA2008 U-labels, or an IPv4 or bracketed IPv6 literal. */
export function prepDomain(s: string): string | null {
  return orNull(enforceDomain(s));
}

/** Nickname enforcement (RFC 8266 §2.4): spaces tidied, NFKC, case kept for display. */
export function prepNickname(s: string): string | null {
  return orNull(enforceNickname(s));
}

/** Nickname comparison key (RFC 8266 §2.5): equal keys mean the same nickname. */
export function nicknameKey(s: string): string | null {
  return orNull(enforceNicknameKey(s));
}
