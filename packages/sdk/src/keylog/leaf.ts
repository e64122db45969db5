// Key log leaves and heads as bytes (docs/key-transparency.md): the same canonical JSON the
// server hashes and signs, so the client recomputes every hash itself and trusts none it is sent.

import { subtle, utf8 } from "../platform.js";
import { type Hash, hashLeaf } from "./merkle.js";

/** One logged device key: this device of this address had this identity key from `at` on. */
export interface KeyLeaf {
  jid: string;
  ns: string;
  device: number;
  /** SHA-256 (hex) of the identity public key bytes as published. */
  ik: string;
  at: string;
}

/** A signed tree head as the server serves it; persist it to check the next one against. */
export interface SignedHead {
  size: number;
  /** Tree hash, hex. */
  root: string;
  /** ms since the epoch. */
  timestamp: number;
  /** Ed25519 signature, base64. */
  signature: string;
  /** The server's Ed25519 public key (raw, base64); pin it on first use. */
  key: string;
}

/** The leaf's canonical JSON: keys sorted, no spaces. */
export function canonicalLeaf(l: KeyLeaf): string {
  return (
    `{"at":${JSON.stringify(l.at)},"device":${l.device},"ik":${JSON.stringify(l.ik)},` +
    `"jid":${JSON.stringify(l.jid)},"ns":${JSON.stringify(l.ns)}}`
  );
}

/** The RFC 9162 leaf hash of a leaf. */
export function leafHashOf(l: KeyLeaf): Promise<Hash> {
  return hashLeaf(utf8(canonicalLeaf(l)));
}

/** The bytes a head's signature covers: a fixed label, then the head's canonical JSON. */
export function headMessage(h: { size: number; root: string; timestamp: number }): Uint8Array {
  return utf8(
    `hato-keylog-sth:0\n{"root":${JSON.stringify(h.root)},"size":${h.size},"timestamp":${h.timestamp}}`,
  );
}

/** Lowercase hex of bytes. */
export function toHex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

/** Bytes of 64 lowercase hex digits (a SHA-256), or undefined. */
export function hashFromHex(s: string): Hash | undefined {
  if (!/^[0-9a-f]{64}$/.test(s)) return undefined;
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) out[i] = Number.parseInt(s.slice(i * 2, i * 2 + 2), 16);
  return out;
}

/** SHA-256 (hex) of an identity key's bytes: what a leaf's `ik` holds. */
export async function identityKeyHash(ik: Uint8Array): Promise<string> {
  return toHex(new Uint8Array(await subtle().digest("SHA-256", ik)));
}
