// OMEMO 2 key material and its PEP form (XEP-0384 0.8): our keys, the <bundle/> and
// <devices/> elements, parsing them from hostile input, and reading or publishing the nodes
// urn:xmpp:omemo:2:devices (item "current") and urn:xmpp:omemo:2:bundles (item = device id).

import { type Element, xml } from "@hato/xml";
import { fromBase64, toBase64 } from "../base64.js";
import { NS_OMEMO2, NS_OMEMO2_BUNDLES, NS_OMEMO2_DEVICES, NS_PUBSUB } from "../ns.js";
import { newDeviceId, OMEMO_LIMITS } from "../omemo/keys.js";
import { type PepRequest, publishOpen } from "../omemo/pep.js";
import { ed25519Pair, ed25519Sign, type RawPair, x25519Pair } from "./crypto.js";
import type { Omemo2Own, Omemo2Store } from "./store.js";
import type { PeerBundle } from "./x3dh.js";

export { NS_OMEMO2, NS_OMEMO2_BUNDLES, NS_OMEMO2_DEVICES };

/**
 * An Ed25519 identity whose public key has the sign bit 0. Implementations that verify the
 * signed pre-key's signature with XEdDSA over the key's Montgomery form (Converse.js 14's
 * libomemo, libsignal-based ones) can only recover such keys; plain Ed25519 verifiers
 * (python-omemo) accept every key. Half the seeds qualify, so this costs about two draws.
 */
export async function identityPair(): Promise<RawPair> {
  for (;;) {
    const pair = await ed25519Pair();
    if ((pair.pub[31]! & 0x80) === 0) return pair;
  }
}

/** Creates our identity, signed pre-key and pre-keys. */
export async function createOwn2(store: Omemo2Store, deviceId: number): Promise<Omemo2Own> {
  const identity = await identityPair();
  const spk = await x25519Pair();
  const own: Omemo2Own = {
    deviceId,
    identity,
    signedPreKey: {
      id: 1 + (newDeviceId() % 0xffffff),
      pair: spk,
      signature: await ed25519Sign(identity.priv, spk.pub),
    },
    nextPreKeyId: 1,
  };
  await topUp2(store, own);
  await store.saveOwn(own);
  return own;
}

/** Generates pre-keys until the store holds OMEMO_LIMITS.preKeys; returns how many were made. */
export async function topUp2(store: Omemo2Store, own: Omemo2Own): Promise<number> {
  let made = 0;
  for (let n = (await store.preKeyIds()).length; n < OMEMO_LIMITS.preKeys; n++) {
    await store.storePreKey(own.nextPreKeyId++, await x25519Pair());
    made++;
  }
  return made;
}

export async function bundleElement2(store: Omemo2Store, own: Omemo2Own): Promise<Element> {
  const pks: Element[] = [];
  for (const id of (await store.preKeyIds()).sort((a, b) => a - b)) {
    const p = await store.loadPreKey(id);
    if (p !== undefined) pks.push(xml("pk", { id: String(id) }, toBase64(p.pub)));
  }
  return xml(
    "bundle",
    { xmlns: NS_OMEMO2 },
    xml("spk", { id: String(own.signedPreKey.id) }, toBase64(own.signedPreKey.pair.pub)),
    xml("spks", null, toBase64(own.signedPreKey.signature)),
    xml("ik", null, toBase64(own.identity.pub)),
    xml("prekeys", null, ...pks),
  );
}

/** A published bundle: identity key, signed pre-key and all pre-keys. */
export interface Bundle2 {
  ik: Uint8Array;
  spk: PeerBundle["spk"];
  preKeys: PeerBundle["pk"][];
}

const key32 = (text: string | undefined): Uint8Array | undefined => {
  const b = text === undefined ? undefined : fromBase64(text.trim(), 64);
  return b?.length === 32 ? b : undefined;
};

const keyId = (v: string | undefined): number | undefined => {
  const n = Number(v);
  return v !== undefined && /^\d{1,10}$/.test(v) && n >= 0 && n <= 0xffffffff ? n : undefined;
};

/** Parses a <bundle xmlns='urn:xmpp:omemo:2'/>; throws with the reason when it is unusable. */
export function parseBundle2(el: Element | undefined): Bundle2 {
  if (el === undefined || el.name !== "bundle" || el.xmlns !== NS_OMEMO2)
    throw new Error("no OMEMO 2 bundle published");
  const spkEl = el.getChild("spk", NS_OMEMO2);
  const spk = key32(spkEl?.text());
  const spkId = keyId(spkEl?.attr("id"));
  const sigText = el.getChildText("spks", NS_OMEMO2);
  const signature = sigText === undefined ? undefined : fromBase64(sigText.trim(), 128);
  const ik = key32(el.getChildText("ik", NS_OMEMO2));
  if (spk === undefined || spkId === undefined || signature?.length !== 64 || ik === undefined)
    throw new Error("the bundle lacks a valid identity key, signed pre-key or signature");
  const preKeys: Bundle2["preKeys"] = [];
  const list = el.getChild("prekeys", NS_OMEMO2)?.getChildren("pk", NS_OMEMO2) ?? [];
  for (const p of list.slice(0, OMEMO_LIMITS.bundlePreKeys)) {
    const id = keyId(p.attr("id"));
    const pub = key32(p.text());
    if (id !== undefined && pub !== undefined) preKeys.push({ id, pub });
  }
  if (preKeys.length === 0) throw new Error("the bundle has no pre-keys");
  return { ik, spk: { id: spkId, pub: spk, signature }, preKeys };
}

export function devicesElement(ids: number[]): Element {
  return xml(
    "devices",
    { xmlns: NS_OMEMO2 },
    ...ids.map((id) => xml("device", { id: String(id) })),
  );
}

/** Device ids in a <devices/> (invalid ids skipped, at most OMEMO_LIMITS.devices). */
export function parseDevices(el: Element | undefined): number[] {
  const out: number[] = [];
  if (el?.name !== "devices" || el.xmlns !== NS_OMEMO2) return out;
  for (const d of el.getChildren("device", NS_OMEMO2)) {
    const id = Number(d.attr("id"));
    if (Number.isInteger(id) && id > 0 && id <= 0x7fffffff && !out.includes(id)) out.push(id);
    if (out.length >= OMEMO_LIMITS.devices) break;
  }
  return out;
}

/** The payload of item `id` (or the newest item) of `node` at `jid`. */
async function fetchItem(
  request: PepRequest,
  to: string | undefined,
  node: string,
  id: string | undefined,
): Promise<Element | undefined> {
  const res = await request(
    "get",
    to,
    xml(
      "pubsub",
      { xmlns: NS_PUBSUB },
      xml("items", { node }, id ? xml("item", { id }) : undefined),
    ),
  );
  const items = res.getChild("pubsub", NS_PUBSUB)?.getChild("items", NS_PUBSUB);
  const all = items?.getChildren("item", NS_PUBSUB) ?? [];
  const item = id === undefined ? all.at(-1) : all.find((i) => i.attr("id") === id);
  return item?.elements()[0];
}

/** `jid`'s OMEMO 2 device ids; undefined when the node cannot be read. */
export async function fetchDevices2(
  request: PepRequest,
  to: string | undefined,
): Promise<number[] | undefined> {
  try {
    return parseDevices(await fetchItem(request, to, NS_OMEMO2_DEVICES, "current"));
  } catch {
    return undefined;
  }
}

export async function fetchBundle2(
  request: PepRequest,
  to: string | undefined,
  device: number,
): Promise<Bundle2> {
  return parseBundle2(await fetchItem(request, to, NS_OMEMO2_BUNDLES, String(device)));
}

/** Publishes `payload` as item `id` of `node`, open to anyone (XEP-0384: anyone may build a session). */
export function publish2(
  request: PepRequest,
  node: string,
  id: string,
  payload: Element,
): Promise<Element> {
  // Every device's bundle is an item of one node: keep them all.
  const options = node === NS_OMEMO2_BUNDLES ? { "pubsub#max_items": "max" } : undefined;
  return publishOpen(request, node, id, payload, options);
}
