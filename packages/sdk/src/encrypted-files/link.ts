// XEP-0454 (OMEMO Media Sharing) links: `aesgcm://host/path#<hex iv><hex key>`, the upload's
// https GET URL with the scheme swapped and the file's IV and AES-256 key in the fragment.
// The body of an encrypted message is untrusted: links are parsed strictly.

import type { EncryptedFileInfo } from "../types.js";
import { typeFromName } from "../upload.js";

/** A parsed aesgcm:// link. */
export interface AesgcmLink {
  /** The link as it was sent (trimmed). */
  link: string;
  /** The https URL of the ciphertext. */
  url: string;
  /** The file name from the URL's last path segment ("" when there is none). */
  name: string;
  /** 12 bytes (XEP-0454), or 16 from older clients. */
  iv: Uint8Array;
  /** 32 bytes: AES-256. */
  key: Uint8Array;
}

/** Longest link we look at: real upload URLs are a few hundred characters. */
export const MAX_LINK_CHARS = 2048;

/** A DNS name of letters, digits and hyphens (labels up to 63), or an IPv4 address; an optional port. */
const HOST =
  /^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*(?::[1-9][0-9]{0,4})?$/i;
/** A path (and query) of visible ASCII only: no spaces, controls, fragments or backslashes. */
const PATH = /^\/[!$&'()*+,\-./0-9:;=?@A-Z_a-z~%]*$/;

/** Bytes of a hex string (even length, hex digits only), or undefined. */
export function fromHex(s: string): Uint8Array | undefined {
  if (s.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(s)) return undefined;
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(s.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** Lower-case hex of bytes. */
export function toHex(b: Uint8Array): string {
  let s = "";
  for (const x of b) s += x.toString(16).padStart(2, "0");
  return s;
}

/**
 * The link in a message body, or undefined when the body is not exactly one well-formed
 * aesgcm:// link (how Conversations, Dino and Profanity send a file): a bad length, a non-hex
 * fragment, a user name or an odd host in it make the body plain text.
 */
export function parseAesgcmLink(body: string): AesgcmLink | undefined {
  const link = body.trim();
  if (link.length > MAX_LINK_CHARS || !/^aesgcm:\/\//i.test(link)) return undefined;
  const rest = link.slice("aesgcm://".length);
  const hash = rest.indexOf("#");
  if (hash < 0) return undefined;
  const fragment = rest.slice(hash + 1);
  // 12-byte IV (XEP-0454) or a 16-byte one (older clients), then the 32-byte key.
  if (fragment.length !== 88 && fragment.length !== 96) return undefined;
  const bytes = fromHex(fragment);
  if (bytes === undefined) return undefined;
  const ivLength = bytes.length - 32;
  const beforeHash = rest.slice(0, hash);
  const slash = beforeHash.indexOf("/");
  if (slash <= 0) return undefined;
  const host = beforeHash.slice(0, slash);
  const path = beforeHash.slice(slash);
  if (!HOST.test(host) || !PATH.test(path)) return undefined;
  const port = host.includes(":") ? Number(host.slice(host.indexOf(":") + 1)) : 443;
  if (port > 65535) return undefined;
  const url = `https://${host}${path}`;
  return {
    link,
    url,
    name: nameOf(path),
    iv: bytes.slice(0, ivLength),
    key: bytes.slice(ivLength),
  };
}

/** The decoded last path segment (without the query), "" when there is none. */
function nameOf(path: string): string {
  const p = path.replace(/\?.*$/, "");
  const last = p.slice(p.lastIndexOf("/") + 1);
  try {
    return decodeURIComponent(last);
  } catch {
    return last;
  }
}

/** The aesgcm:// link for an https upload URL and the file's IV and key (XEP-0454 §4). */
export function formatAesgcmLink(httpsUrl: string, iv: Uint8Array, key: Uint8Array): string {
  if (!/^https:\/\//i.test(httpsUrl)) throw new Error("an aesgcm link needs an https URL");
  if (httpsUrl.includes("#")) throw new Error("the upload URL already has a fragment");
  return `aesgcm://${httpsUrl.slice("https://".length)}#${toHex(iv)}${toHex(key)}`;
}

/**
 * The https origin of an http(s) or ws(s) URL, lower-case and without the default port
 * (`wss://Chat.example.org:443/ws` → `https://chat.example.org`), or "" for anything else.
 */
export function httpsOrigin(url: string): string {
  const m = /^(?:https?|wss?):\/\/([^/?#@\s]+)/i.exec(url.trim());
  return m === null ? "" : `https://${m[1]!.toLowerCase().replace(/:443$/, "")}`;
}

/** The encrypted file of a decrypted body that is exactly one aesgcm:// link, else undefined. */
export function encryptedFileOf(body: string): EncryptedFileInfo | undefined {
  const l = parseAesgcmLink(body);
  if (l === undefined) return undefined;
  const type = typeFromName(l.name);
  return {
    link: l.link,
    url: l.url,
    ...(l.name !== "" ? { name: l.name } : {}),
    ...(type !== undefined ? { type } : {}),
  };
}
