// XEP-0115 entity capabilities: our disco#info identity and features and their hash.

import { type Element, xml } from "@hato/xml";
import { toBase64 } from "./base64.js";
import {
  NS_AVATAR_METADATA,
  NS_CAPS,
  NS_CHATSTATES,
  NS_CORRECT,
  NS_DISCO_INFO,
  NS_MARKERS,
  NS_OMEMO_DEVICELIST,
  NS_PING,
  NS_RECEIPTS,
} from "./ns.js";
import { subtle, utf8 } from "./platform.js";

/** This SDK's version (XEP-0092 answers to our own server). */
export const SDK_VERSION = "0.1.0";

/** The caps node naming this software (XEP-0115 §4). */
export const CAPS_NODE = "https://hato.chat/sdk";

export interface Identity {
  category: string;
  type: string;
  name?: string;
  lang?: string;
}

/** What the SDK answers to disco#info: a client that chats, with avatar notifications. */
export const IDENTITY: Identity = { category: "client", type: "web", name: "Hato" };
export const FEATURES: readonly string[] = [
  NS_DISCO_INFO,
  NS_CAPS,
  NS_PING,
  NS_RECEIPTS,
  NS_MARKERS,
  NS_CORRECT,
  NS_CHATSTATES,
  `${NS_AVATAR_METADATA}+notify`,
];

// §5.1 sorts by "i;octet" collation: compare UTF-8 bytes, not UTF-16 code units.
function octets(a: string, b: string): number {
  const x = utf8(a);
  const y = utf8(b);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return x.length - y.length;
}

/** The §5.1 verification string (identities and features; no extended forms). */
export function verificationString(
  identities: readonly Identity[],
  features: readonly string[],
): string {
  let s = "";
  const ids = identities.map((i) => `${i.category}/${i.type}/${i.lang ?? ""}/${i.name ?? ""}`);
  for (const i of ids.sort(octets)) s += `${i}<`;
  for (const f of [...features].sort(octets)) s += `${f}<`;
  return s;
}

/** The SHA-1 caps hash (base64) of identities and features. */
export async function capsHash(
  identities: readonly Identity[],
  features: readonly string[],
): Promise<string> {
  const digest = await subtle().digest("SHA-1", utf8(verificationString(identities, features)));
  return toBase64(new Uint8Array(digest));
}

/** The <c/> element for presence. */
export function capsElement(ver: string): Element {
  return xml("c", { xmlns: NS_CAPS, hash: "sha-1", node: CAPS_NODE, ver });
}

/** Added with OMEMO on: PEP notifications of device lists (ours and contacts'). */
export const OMEMO_FEATURES: readonly string[] = [`${NS_OMEMO_DEVICELIST}+notify`];

/** The disco#info result payload; `node` is echoed when the query named one. */
export function discoInfo(
  node: string | undefined,
  features: readonly string[] = FEATURES,
): Element {
  const q = xml("query", { xmlns: NS_DISCO_INFO, node });
  q.append(
    xml("identity", { category: IDENTITY.category, type: IDENTITY.type, name: IDENTITY.name }),
  );
  for (const f of features) q.append(xml("feature", { var: f }));
  return q;
}
