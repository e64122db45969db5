// OMEMO key material (XEP-0384 0.3.0): device ids, identity and pre-keys, and the bundle
// and device list as published in PEP.

import { type Element, xml } from "@hato/xml";
import { fromBase64, toBase64 } from "../base64.js";
import { NS_OMEMO } from "../ns.js";
import { randomBytes } from "../platform.js";
import { bytes } from "./bytes.js";
import { loadSignal } from "./load.js";
import type { libsignal } from "./signal.js";
import type { KeyPair, OmemoStore, OwnDevice } from "./store.js";

export const OMEMO_LIMITS = { preKeys: 100, bundlePreKeys: 200, devices: 100 };

/** A random device id in 1 … 2^31-1 that none of `taken` has. */
export function newDeviceId(taken: Iterable<number> = []): number {
  const used = new Set(taken);
  for (;;) {
    const b = randomBytes(4);
    const id = ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) & 0x7fffffff;
    if (id !== 0 && !used.has(id)) return id;
  }
}

const pairIn = (p: libsignal.KeyPairType): KeyPair => ({
  pub: bytes(p.pubKey),
  priv: bytes(p.privKey),
});

/** Creates this device's identity, signed pre-key and first pre-keys in `store`. */
export async function createOwnDevice(store: OmemoStore, deviceId: number): Promise<OwnDevice> {
  const { libsignal } = await loadSignal();
  const identity = await libsignal.KeyHelper.generateIdentityKeyPair();
  const spkId = 1 + (newDeviceId() % 0xffffff);
  const spk = await libsignal.KeyHelper.generateSignedPreKey(identity, spkId);
  const own: OwnDevice = {
    deviceId,
    identity: pairIn(identity),
    signedPreKey: { id: spkId, pair: pairIn(spk.keyPair), signature: bytes(spk.signature) },
    nextPreKeyId: 1,
    created: new Date().toISOString(),
  };
  await topUpPreKeys(store, own);
  await store.saveOwn(own);
  return own;
}

/** Generates pre-keys until `store` holds OMEMO_LIMITS.preKeys; returns how many were made. */
export async function topUpPreKeys(store: OmemoStore, own: OwnDevice): Promise<number> {
  const { libsignal } = await loadSignal();
  const have = (await store.preKeyIds()).length;
  let made = 0;
  for (let n = have; n < OMEMO_LIMITS.preKeys; n++) {
    const pk = await libsignal.KeyHelper.generatePreKey(own.nextPreKeyId);
    await store.storePreKey(own.nextPreKeyId, pairIn(pk.keyPair));
    own.nextPreKeyId++;
    made++;
  }
  return made;
}

/** Our bundle element (§4.3 of 0.3.0): signed pre-key, its signature, identity key, pre-keys. */
export async function bundleElement(store: OmemoStore, own: OwnDevice): Promise<Element> {
  const ids = (await store.preKeyIds()).sort((a, b) => a - b);
  const preKeys: Element[] = [];
  for (const id of ids) {
    const p = await store.loadPreKey(id);
    if (p !== undefined)
      preKeys.push(xml("preKeyPublic", { preKeyId: String(id) }, toBase64(p.pub)));
  }
  return xml(
    "bundle",
    { xmlns: NS_OMEMO },
    xml(
      "signedPreKeyPublic",
      { signedPreKeyId: String(own.signedPreKey.id) },
      toBase64(own.signedPreKey.pair.pub),
    ),
    xml("signedPreKeySignature", null, toBase64(own.signedPreKey.signature)),
    xml("identityKey", null, toBase64(own.identity.pub)),
    xml("prekeys", null, ...preKeys),
  );
}

/** A remote device's bundle, checked for shape (keys 33 bytes, signature 64). */
export interface Bundle {
  identityKey: Uint8Array;
  signedPreKey: { id: number; pub: Uint8Array; signature: Uint8Array };
  preKeys: { id: number; pub: Uint8Array }[];
}

const key33 = (t: string | undefined) => {
  const b = t === undefined ? undefined : fromBase64(t.trim(), 64);
  return b?.length === 33 ? b : undefined;
};
const keyId = (s: string | undefined) => {
  const n = Number(s);
  return Number.isInteger(n) && n >= 0 && n <= 0xffffffff ? n : undefined;
};

/** Parses a <bundle/>; throws with the reason when it is unusable. */
export function parseBundle(el: Element | undefined): Bundle {
  if (el === undefined) throw new Error("no bundle published");
  const spkEl = el.getChild("signedPreKeyPublic", NS_OMEMO);
  const spk = key33(spkEl?.text());
  const spkId = keyId(spkEl?.attr("signedPreKeyId"));
  const sigText = el.getChildText("signedPreKeySignature", NS_OMEMO);
  const signature = sigText === undefined ? undefined : fromBase64(sigText.trim(), 128);
  const identityKey = key33(el.getChildText("identityKey", NS_OMEMO));
  if (spk === undefined || spkId === undefined || signature?.length !== 64 || !identityKey)
    throw new Error("the bundle lacks a valid identity key, signed pre-key or signature");
  const preKeys: Bundle["preKeys"] = [];
  const list = el.getChild("prekeys", NS_OMEMO)?.getChildren("preKeyPublic", NS_OMEMO) ?? [];
  for (const p of list.slice(0, OMEMO_LIMITS.bundlePreKeys)) {
    const id = keyId(p.attr("preKeyId"));
    const pub = key33(p.text());
    if (id !== undefined && pub !== undefined) preKeys.push({ id, pub });
  }
  if (preKeys.length === 0) throw new Error("the bundle has no pre-keys");
  return { identityKey, signedPreKey: { id: spkId, pub: spk, signature }, preKeys };
}

/** The device list element: <list xmlns='eu.siacs.conversations.axolotl'><device id/>…</list>. */
export function deviceListElement(ids: number[]): Element {
  return xml("list", { xmlns: NS_OMEMO }, ...ids.map((id) => xml("device", { id: String(id) })));
}

/** Device ids in a <list/> (invalid ids skipped, at most OMEMO_LIMITS.devices). */
export function parseDeviceList(el: Element | undefined): number[] {
  const out: number[] = [];
  for (const d of el?.getChildren("device", NS_OMEMO) ?? []) {
    const id = Number(d.attr("id"));
    if (Number.isInteger(id) && id > 0 && id <= 0x7fffffff && !out.includes(id)) out.push(id);
    if (out.length >= OMEMO_LIMITS.devices) break;
  }
  return out;
}
