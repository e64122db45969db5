// OMEMO 2's payload (XEP-0384 "OMEMO Payload") and what it wraps: an XEP-0420 Stanza
// Content Encryption envelope with the <body/>, random padding (<rpad/>) and the sender's bare
// JID (<from/>), which the receiver checks so that a message cannot be replayed as another's.

import { type Element, parseElement, serialize, xml } from "@hato/xml";
import { toBase64 } from "../base64.js";
import { fromUtf8, randomBytes, utf8 } from "../platform.js";
import { aesCbc, concat, hkdf, hmacSha256, sameBytes } from "./crypto.js";

export const NS_SCE = "urn:xmpp:sce:1";
const NS_CLIENT = "jabber:client";
const ZERO = new Uint8Array(32);
/** Most bytes of a decrypted envelope we parse. */
const MAX_ENVELOPE = 256 * 1024;

async function keys(key: Uint8Array): Promise<[Uint8Array, Uint8Array, Uint8Array]> {
  const m = await hkdf(key, ZERO, "OMEMO Payload", 80);
  return [m.slice(0, 32), m.slice(32, 64), m.slice(64)];
}

/** Encrypts `plain` under a fresh 32-byte key; `keyMaterial` = key ‖ 16-byte HMAC tag (48 bytes). */
export async function sealPayload(
  plain: Uint8Array,
): Promise<{ payload: Uint8Array; keyMaterial: Uint8Array }> {
  const key = randomBytes(32);
  const [enc, auth, iv] = await keys(key);
  const payload = await aesCbc("encrypt", enc, iv, plain);
  const tag = (await hmacSha256(auth, payload)).slice(0, 16);
  return { payload, keyMaterial: concat(key, tag) };
}

/** Decrypts a payload with key ‖ tag; throws when the tag does not match. */
export async function openPayload(
  keyMaterial: Uint8Array,
  payload: Uint8Array,
): Promise<Uint8Array> {
  if (keyMaterial.length !== 48)
    throw new Error(`the key material is ${keyMaterial.length} bytes, not 48`);
  const [enc, auth, iv] = await keys(keyMaterial.slice(0, 32));
  const tag = (await hmacSha256(auth, payload)).slice(0, 16);
  if (!sameBytes(tag, keyMaterial.slice(32)))
    throw new Error("the payload failed authentication (HMAC mismatch): tampered or corrupt");
  try {
    return await aesCbc("decrypt", enc, iv, payload);
  } catch {
    throw new Error("the payload does not decrypt (bad padding)");
  }
}

/** The XEP-0420 envelope for a chat body from `from` (bare JID), padded to hide its length. */
export function envelope(body: string, from: string): Uint8Array {
  const pad = randomBytes(1 + (randomBytes(1)[0]! % 200));
  const el = xml(
    "envelope",
    { xmlns: NS_SCE },
    xml("content", null, xml("body", { xmlns: NS_CLIENT }, body)),
    xml("rpad", null, toBase64(pad)),
    xml("from", { jid: from }),
  );
  return utf8(serialize(el));
}

/** The body of an envelope, checking that its <from/> is `sender`. Throws with the reason. */
export function openEnvelope(bytes: Uint8Array, sender: string): string | undefined {
  if (bytes.length > MAX_ENVELOPE) throw new Error("the SCE envelope is too large");
  let el: Element;
  try {
    el = parseElement(fromUtf8(bytes));
  } catch (err) {
    throw new Error(`the SCE envelope is not well-formed XML (${(err as Error).message})`);
  }
  if (el.name !== "envelope" || el.xmlns !== NS_SCE)
    throw new Error("the decrypted payload is not an SCE <envelope/>");
  const from = el.getChild("from", NS_SCE)?.attr("jid");
  if (from === undefined || from.split("/")[0] !== sender)
    throw new Error(
      `the SCE envelope's <from/> (${from ?? "missing"}) is not the sender ${sender}`,
    );
  const content = el.getChild("content", NS_SCE);
  if (content === undefined) throw new Error("the SCE envelope has no <content/>");
  return content.getChild("body", NS_CLIENT)?.text();
}
