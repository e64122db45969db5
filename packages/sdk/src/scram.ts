// SCRAM client (RFC 5802, RFC 7677) on WebCrypto, without channel binding (gs2 header "n,,").

import { fromBase64, toBase64 } from "./base64.js";
import { randomBytes, subtle, utf8 } from "./platform.js";

/** The SCRAM hashes the SDK offers, best first. */
export const SCRAM_MECHANISMS = { "SCRAM-SHA-256": "SHA-256", "SCRAM-SHA-1": "SHA-1" } as const;
export type ScramHash = (typeof SCRAM_MECHANISMS)[keyof typeof SCRAM_MECHANISMS];

/** Iteration counts outside this range are refused: too low is weak, too high a DoS. */
export const MIN_ITERATIONS = 4096;
export const MAX_ITERATIONS = 1_000_000;

const GS2_HEADER = "n,,";

/** One SCRAM exchange: first() → final(serverFirst) → verify(serverFinal). */
export interface ScramClient {
  /** client-first-message. */
  first(): string;
  /** client-final-message for the server's first message; throws on a malformed or unsafe one. */
  final(serverFirst: string): Promise<string>;
  /** Whether server-final-message proves the server knows the password. */
  verify(serverFinal: string): Promise<boolean>;
}

/** RFC 5802 §5.1: "=" and "," in a username travel as =3D and =2C. */
function escapeUser(user: string): string {
  return user.replace(/=/g, "=3D").replace(/,/g, "=2C");
}

/** RFC 4013 mapping and NFKC (the server runs the full SASLprep and refuses what it prohibits). */
export function prepPassword(pw: string): string {
  return pw
    .replace(/[\u00A0\u1680\u2000-\u200B\u202F\u205F\u3000]/gu, " ")
    .replace(
      /\u00AD|\u034F|\u1806|[\u180B-\u180D]|\u200B|\u200C|\u200D|\u2060|[\uFE00-\uFE0F]|\uFEFF/gu,
      "",
    )
    .normalize("NFKC");
}

async function hmac(hash: ScramHash, key: Uint8Array, data: Uint8Array): Promise<Uint8Array> {
  const k = await subtle().importKey("raw", key, { name: "HMAC", hash }, false, ["sign"]);
  return new Uint8Array(await subtle().sign("HMAC", k, data));
}

async function pbkdf2(
  hash: ScramHash,
  pw: Uint8Array,
  salt: Uint8Array,
  iterations: number,
): Promise<Uint8Array> {
  const k = await subtle().importKey("raw", pw, "PBKDF2", false, ["deriveBits"]);
  const bits = hash === "SHA-256" ? 256 : 160;
  return new Uint8Array(
    await subtle().deriveBits({ name: "PBKDF2", hash, salt, iterations }, k, bits),
  );
}

function attributes(msg: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of msg.split(",")) {
    const eq = part.indexOf("=");
    if (eq !== 1) throw new Error(`malformed SCRAM attribute: ${part.slice(0, 20)}`);
    out.set(part[0]!, part.slice(2));
  }
  return out;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i]! ^ b[i]!;
  return d === 0;
}

/** Starts a SCRAM exchange; `cnonce` is for test vectors only. */
export function scramClient(
  hash: ScramHash,
  user: string,
  password: string,
  cnonce?: string,
): ScramClient {
  const nonce = cnonce ?? toBase64(randomBytes(18));
  const firstBare = `n=${escapeUser(user)},r=${nonce}`;
  let serverSignature: Uint8Array | undefined;
  return {
    first: () => GS2_HEADER + firstBare,
    async final(serverFirst) {
      const a = attributes(serverFirst);
      if (a.has("m")) throw new Error("SCRAM: unsupported mandatory extension");
      const r = a.get("r");
      const salt = fromBase64(a.get("s") ?? "", 1024);
      const i = Number(a.get("i"));
      if (r === undefined || !r.startsWith(nonce) || r.length === nonce.length) {
        throw new Error("SCRAM: the server nonce does not extend ours");
      }
      if (salt === undefined || salt.length === 0) throw new Error("SCRAM: bad salt");
      if (!Number.isInteger(i) || i < MIN_ITERATIONS || i > MAX_ITERATIONS) {
        throw new Error(
          `SCRAM: iteration count ${a.get("i")} outside ${MIN_ITERATIONS}..${MAX_ITERATIONS}`,
        );
      }
      const withoutProof = `c=${toBase64(utf8(GS2_HEADER))},r=${r}`;
      const authMessage = utf8(`${firstBare},${serverFirst},${withoutProof}`);
      const salted = await pbkdf2(hash, utf8(prepPassword(password)), salt, i);
      const clientKey = await hmac(hash, salted, utf8("Client Key"));
      const storedKey = new Uint8Array(await subtle().digest(hash, clientKey));
      const clientSig = await hmac(hash, storedKey, authMessage);
      const proof = clientKey.map((b, k) => b ^ clientSig[k]!);
      const serverKey = await hmac(hash, salted, utf8("Server Key"));
      serverSignature = await hmac(hash, serverKey, authMessage);
      return `${withoutProof},p=${toBase64(proof)}`;
    },
    async verify(serverFinal) {
      if (serverSignature === undefined) return false;
      const a = attributes(serverFinal);
      const v = fromBase64(a.get("v") ?? "", 64);
      return v !== undefined && sameBytes(v, serverSignature);
    },
  };
}
