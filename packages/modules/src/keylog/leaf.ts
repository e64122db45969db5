// Key log leaves (docs/key-transparency.md): their canonical JSON, the signed head's bytes, and
// reading the identity key out of an OMEMO bundle (legacy axolotl and urn:xmpp:omemo:2).

import { createHash } from "node:crypto";
import type { Element } from "@hato/xml";

export const NS_AXOLOTL = "eu.siacs.conversations.axolotl";
export const NS_OMEMO2 = "urn:xmpp:omemo:2";
const LEGACY_BUNDLES = `${NS_AXOLOTL}.bundles:`;
const OMEMO2_BUNDLES = `${NS_OMEMO2}:bundles`;

/** What a leaf says: this device of this address had this identity key from `at` on. */
export interface LeafFields {
  jid: string;
  ns: string;
  device: number;
  ik: string;
  at: string;
}

/** The leaf's canonical JSON: keys sorted, no spaces (the SDK writes the same bytes). */
export function canonicalLeaf(l: LeafFields): string {
  return (
    `{"at":${JSON.stringify(l.at)},"device":${l.device},"ik":${JSON.stringify(l.ik)},` +
    `"jid":${JSON.stringify(l.jid)},"ns":${JSON.stringify(l.ns)}}`
  );
}

/** What a tree head's signature covers: a fixed label, then the head's canonical JSON. */
export function headMessage(h: { size: number; root: string; timestamp: number }): Buffer {
  return Buffer.from(
    `hato-keylog-sth:0\n{"root":${JSON.stringify(h.root)},"size":${h.size},"timestamp":${h.timestamp}}`,
    "utf8",
  );
}

/** OMEMO device ids are 32-bit unsigned; 0 is not a device. */
const MAX_DEVICE = 0xffffffff;
/** An identity key is 32 or 33 bytes: a bit of room, never kilobytes. */
const MAX_IK_BASE64 = 128;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** A bundle publication that carries a device key, or why it cannot be logged. */
export type BundleKey =
  | { ok: true; ns: string; device: number; ik: string }
  | { ok: false; text: string };

function parseDevice(text: string): number | undefined {
  if (!/^[0-9]{1,10}$/.test(text)) return undefined;
  const n = Number(text);
  return n >= 1 && n <= MAX_DEVICE ? n : undefined;
}

function ikHash(el: Element | undefined): string | undefined {
  const text = el?.text().replace(/\s+/g, "") ?? "";
  if (text === "" || text.length > MAX_IK_BASE64 || !BASE64.test(text)) return undefined;
  // Any length is logged as published (real keys are 33 bytes): the log records, it does not judge.
  const bytes = Buffer.from(text, "base64");
  if (bytes.length === 0) return undefined;
  return createHash("sha256").update(bytes).digest("hex");
}

/**
 * The device key in a publication to `node` (item `id`, payload `payload`): undefined when the
 * node is not an OMEMO bundle node at all.
 */
export function bundleKey(node: string, id: string, payload: Element): BundleKey | undefined {
  let ns: string;
  let device: number | undefined;
  let ikEl: Element | undefined;
  if (node.startsWith(LEGACY_BUNDLES)) {
    ns = NS_AXOLOTL;
    device = parseDevice(node.slice(LEGACY_BUNDLES.length));
    if (payload.name === "bundle" && payload.xmlns === NS_AXOLOTL) {
      ikEl = payload.getChild("identityKey", NS_AXOLOTL);
    }
  } else if (node === OMEMO2_BUNDLES) {
    ns = NS_OMEMO2;
    device = parseDevice(id);
    if (payload.name === "bundle" && payload.xmlns === NS_OMEMO2) {
      ikEl = payload.getChild("ik", NS_OMEMO2);
    }
  } else {
    return undefined;
  }
  if (device === undefined) {
    return {
      ok: false,
      text: `an OMEMO bundle's device id must be a number from 1 to ${MAX_DEVICE}`,
    };
  }
  const ik = ikHash(ikEl);
  if (ik === undefined) {
    const el = ns === NS_AXOLOTL ? "identityKey" : "ik";
    return {
      ok: false,
      text: `an OMEMO bundle needs its <${el}/>: one identity key in base64 (at most ${MAX_IK_BASE64} characters)`,
    };
  }
  return { ok: true, ns, device, ik };
}
