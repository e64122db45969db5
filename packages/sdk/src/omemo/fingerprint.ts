// What users compare to verify an OMEMO device: the identity key's fingerprint as
// Conversations and Dino show it, a short comparison code for a pair of devices, and the
// `xmpp:` URI that Conversations puts in its QR codes (with a strict parser, since a scanned
// code is input from anyone).

import { bare } from "../jid.js";
import { subtle, utf8 } from "../platform.js";

/** Limits on a scanned URI: anything past them is refused, not truncated. */
export const URI_LIMITS = { chars: 4096, devices: 32, params: 64, jid: 1023 };

/** A URI (or code) that cannot be used for verification; the message says why. */
export class VerificationError extends Error {}

/** One device in a verification URI: its id and its fingerprint (64 lower-case hex digits). */
export interface UriDevice {
  device: number;
  fingerprint: string;
}

/**
 * The fingerprint of an identity key: the 32 bytes of the Curve25519 key in lower-case hex,
 * without libsignal's 0x05 type byte (what Conversations and Dino show and put in QR codes).
 */
export function fingerprintHex(key: Uint8Array): string {
  return [...rawKey(key)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** The 32 bytes of a Curve25519 public key (libsignal's 0x05 type byte dropped). */
const rawKey = (key: Uint8Array) => (key.length === 33 && key[0] === 5 ? key.subarray(1) : key);

/** A fingerprint in groups of eight hex digits, as Conversations prints it. */
export function formatFingerprint(hex: string): string {
  return hex.match(/.{1,8}/g)?.join(" ") ?? "";
}

/** One side of a comparison: a bare JID and the identity key of one of its devices. */
export interface CodeSide {
  jid: string;
  key: Uint8Array;
}

const CODE_LABEL = "Hato OMEMO comparison code v1";

/** `jid` (UTF-8, length-prefixed) followed by the 32-byte key: unambiguous to concatenate. */
function sideBytes(s: CodeSide): Uint8Array {
  const j = utf8(bare(s.jid));
  const key = rawKey(s.key);
  const out = new Uint8Array(2 + j.length + key.length);
  out[0] = j.length >> 8;
  out[1] = j.length & 0xff;
  out.set(j, 2);
  out.set(key, 2 + j.length);
  return out;
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

/**
 * The short code two users compare for a pair of devices, the same on both sides: SHA-256 over
 * a label, a zero byte and both sides sorted (so the order does not matter), cut into six
 * 40-bit numbers, each shown as five decimal digits (mod 100000). Derivation in docs/e2ee.md.
 */
export async function comparisonCode(a: CodeSide, b: CodeSide): Promise<string> {
  const [x, y] = [sideBytes(a), sideBytes(b)].sort(compareBytes) as [Uint8Array, Uint8Array];
  const label = utf8(CODE_LABEL);
  const input = new Uint8Array(label.length + 1 + x.length + y.length);
  input.set(label, 0);
  input.set(x, label.length + 1);
  input.set(y, label.length + 1 + x.length);
  const h = new Uint8Array(await subtle().digest("SHA-256", input));
  const groups: string[] = [];
  for (let g = 0; g < 6; g++) {
    let n = 0;
    for (let i = 0; i < 5; i++) n = n * 256 + h[g * 5 + i]!;
    groups.push(String(n % 100000).padStart(5, "0"));
  }
  return groups.join(" ");
}

/** Percent-encodes what RFC 5122 does not allow bare in a JID inside an `xmpp:` URI. */
const encodeJid = (jid: string) =>
  jid
    .split("@")
    .map((p) => encodeURIComponent(p))
    .join("@");

/**
 * The URI Conversations shows as its QR code:
 * `xmpp:user@domain?omemo-sid-<device id>=<fingerprint hex>;omemo-sid-…`.
 */
export function verificationUri(
  jid: string,
  devices: { device: number; key: Uint8Array }[],
): string {
  const params = devices.map((d) => `omemo-sid-${d.device}=${fingerprintHex(d.key)}`);
  return `xmpp:${encodeJid(bare(jid))}${params.length ? `?${params.join(";")}` : ""}`;
}

const fail = (why: string): never => {
  throw new VerificationError(`not a usable verification code: ${why}`);
};

/**
 * Parses a scanned `xmpp:` URI strictly: a bare JID (local@domain), then `;`-separated
 * parameters of which `omemo-sid-<id>=<64 hex digits>` are read and others (Conversations adds
 * some, e.g. `roster`) ignored. Throws VerificationError with the reason for anything else.
 */
export function parseVerificationUri(uri: string): { jid: string; devices: UriDevice[] } {
  if (typeof uri !== "string") fail("not text");
  if (uri.length > URI_LIMITS.chars) fail(`longer than ${URI_LIMITS.chars} characters`);
  if (/[\u0000-\u0020\u007f]/.test(uri)) fail("it contains spaces or control characters");
  if (!/^xmpp:/i.test(uri)) fail("it is not an xmpp: URI");
  let rest = uri.slice(5);
  if (rest.startsWith("//")) fail("it names an account to act as (xmpp://…), not a contact");
  const hash = rest.indexOf("#");
  if (hash >= 0) rest = rest.slice(0, hash);
  const q = rest.indexOf("?");
  const path = q < 0 ? rest : rest.slice(0, q);
  let jid: string;
  try {
    jid = decodeURIComponent(path);
  } catch {
    return fail("the address is not valid percent-encoding");
  }
  const at = jid.indexOf("@");
  if (jid.length > URI_LIMITS.jid) fail("the address is too long");
  if (at <= 0 || at !== jid.lastIndexOf("@") || at === jid.length - 1)
    fail("the address is not of the form user@domain");
  if (/[/\s<>"'&\u0000-\u001f\u007f]/.test(jid))
    fail("the address contains characters a JID cannot have");
  const params = q < 0 ? [] : rest.slice(q + 1).split(";");
  if (params.length > URI_LIMITS.params) fail("too many parameters");
  const devices: UriDevice[] = [];
  for (const p of params) {
    if (!p.toLowerCase().startsWith("omemo-sid-")) continue;
    const m = /^omemo-sid-([1-9][0-9]{0,9})=([0-9a-fA-F]+)$/i.exec(p);
    if (m === null) fail(`malformed parameter "${p.slice(0, 40)}"`);
    const device = Number(m![1]);
    let hex = m![2]!.toLowerCase();
    if (hex.length === 66 && hex.startsWith("05")) hex = hex.slice(2); // with the type byte
    if (device > 0x7fffffff) fail(`device id ${m![1]} is out of range`);
    if (hex.length !== 64) fail(`the fingerprint of device ${device} is not 64 hex digits`);
    if (devices.some((d) => d.device === device)) fail(`device ${device} is listed twice`);
    devices.push({ device, fingerprint: hex });
    if (devices.length > URI_LIMITS.devices) fail(`more than ${URI_LIMITS.devices} devices`);
  }
  if (devices.length === 0) fail("it holds no OMEMO fingerprint (omemo-sid-…)");
  return { jid: bare(jid), devices };
}
