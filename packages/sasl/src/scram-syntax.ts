// SCRAM message grammar (RFC 5802 §7): saslname escaping, strict base64, nonces, attributes.

/** Upper bound for any single SASL message we accept, in bytes. */
export const MAX_MESSAGE_BYTES = 4096;

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** Decodes UTF-8 strictly; null on any invalid sequence. */
export function decodeUtf8(buf: Uint8Array): string | null {
  try {
    return utf8.decode(buf);
  } catch {
    return null;
  }
}

/** Escapes "=" and "," as saslname requires. */
export function encodeSaslname(s: string): string {
  return s.replace(/=/g, "=3D").replace(/,/g, "=2C");
}

/** Decodes a saslname; null if empty, if it has a raw "," or NUL, or an escape other than =2C/=3D. */
export function decodeSaslname(s: string): string | null {
  if (s.length === 0 || s.includes(",") || s.includes("\0")) return null;
  if (/=(?!2C|3D)/.test(s)) return null;
  return s.replace(/=2C|=3D/g, (m) => (m === "=2C" ? "," : "="));
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Decodes canonical padded base64; null for anything Buffer.from would silently accept. */
export function decodeBase64(s: string): Buffer | null {
  if (!BASE64.test(s)) return null;
  const buf = Buffer.from(s, "base64");
  // Non-zero padding bits make two strings decode to the same bytes; only accept the canonical one.
  return buf.toString("base64") === s ? buf : null;
}

/** RFC 5802 "printable": %x21-2B / %x2D-7E, at least one character. */
export function isPrintable(s: string): boolean {
  return /^[\x21-\x2B\x2D-\x7E]+$/.test(s);
}

export interface Attribute {
  name: string;
  value: string;
}

/** Splits "x=value" into its name and value; null if it is not an attribute. */
export function parseAttribute(part: string | undefined): Attribute | null {
  if (part === undefined || part.length < 2 || part[1] !== "=") return null;
  const name = part[0]!;
  if (!/^[A-Za-z]$/.test(name)) return null;
  return { name, value: part.slice(2) };
}

/** Returns the value of `part` if it is the attribute `name`, else null. */
export function expectAttribute(part: string | undefined, name: string): string | null {
  const attr = parseAttribute(part);
  return attr && attr.name === name ? attr.value : null;
}
