// An incoming <encrypted/> (eu.siacs.conversations.axolotl) read and its key unwrapped: every
// field is hostile until checked here. Omemo (omemo.ts) keeps the bookkeeping around it: the
// device lists, replacing used pre-keys, announcing new devices.

import type { Element } from "@hato/xml";
import { fromBase64 } from "../base64.js";
import { NS_OMEMO } from "../ns.js";
import { ab, bytes, preKeyMessageIdentity } from "./bytes.js";
import { loadSignal } from "./load.js";
import type { OmemoStore, OwnDevice } from "./store.js";
import { judgeKey, type KeyVerdict } from "./trust.js";

/** Most keys (recipient devices) one message may carry; more is refused as hostile. */
const MAX_KEYS = 500;

/** The parts of an <encrypted/> addressed to our device. */
export interface IncomingKey {
  /** The sender's device id. */
  sid: number;
  key: Uint8Array;
  iv: Uint8Array;
  /** A PreKeySignalMessage (starts a session) rather than a SignalMessage. */
  prekey: boolean;
  /** The base64 payload; absent in a key-transport message. */
  payload: string | undefined;
}

/** A refusal of an incoming message, with the sender's device when it was readable. */
export interface Refused {
  reason: string;
  device?: number;
}

/** Reads the header of `enc` for our device `ownId`; a Refused says what is wrong with it. */
export function readEncrypted(enc: Element, ownId: number): IncomingKey | Refused {
  const header = enc.getChild("header", NS_OMEMO);
  const sid = Number(header?.attr("sid"));
  if (header === undefined || !Number.isInteger(sid) || sid <= 0 || sid > 0x7fffffff)
    return { reason: "the OMEMO header lacks a valid sender device id (sid)" };
  const keyEls = header.getChildren("key", NS_OMEMO);
  if (keyEls.length > MAX_KEYS) return { reason: "too many keys in the OMEMO header", device: sid };
  const mine = keyEls.find((k) => Number(k.attr("rid")) === ownId);
  if (mine === undefined)
    return { reason: `the message was not encrypted for this device (${ownId})`, device: sid };
  const key = fromBase64(mine.text().trim(), 4096);
  const iv = fromBase64(header.getChildText("iv", NS_OMEMO)?.trim() ?? "", 64);
  if (key === undefined || key.length === 0 || iv === undefined || iv.length === 0)
    return { reason: "the OMEMO key or IV is not valid base64", device: sid };
  return {
    sid,
    key,
    iv,
    prekey: mine.attr("prekey") === "true" || mine.attr("prekey") === "1",
    payload: enc.getChildText("payload", NS_OMEMO),
  };
}

/** What unwrapping needs besides the message: where trust verdicts and used pre-keys go. */
export interface UnwrapHooks {
  /** A refused identity key (changed since we first saw it). */
  refused(presented: Uint8Array, reason: string): void;
  /** A one-time pre-key of ours the message used up. */
  usedPreKey(id: number): void;
}

/**
 * The message key of `m` from `sender`, through the Signal session (built from a PreKey message
 * when that is what came). The sender's identity key in a PreKey message is judged here first,
 * because the library does not await its own trust check. Throws with a sentence on refusal;
 * returns whether the sender's device is new to us.
 */
export async function unwrapKey(
  store: OmemoStore,
  own: OwnDevice,
  sender: string,
  m: IncomingKey,
  hooks: UnwrapHooks,
): Promise<{ keyMaterial: Uint8Array; isNew: boolean }> {
  let verdict: KeyVerdict | undefined;
  try {
    if (m.prekey) {
      const presented = preKeyMessageIdentity(m.key);
      if (presented === undefined) throw new Error("malformed PreKeySignalMessage");
      verdict = await judgeKey(store, sender, m.sid, presented);
      if (!verdict.ok) {
        hooks.refused(verdict.presented, verdict.reason);
        throw new Error(verdict.reason);
      }
    }
    const { SessionCipher, signalStorage, address } = await loadSignal();
    const cipher = new SessionCipher(
      signalStorage(store, own, sender, m.sid, (id) => hooks.usedPreKey(id)),
      address(sender, m.sid),
    );
    const keyMaterial = bytes(
      m.prekey
        ? await cipher.decryptPreKeyWhisperMessage(ab(m.key), "binary")
        : await cipher.decryptWhisperMessage(ab(m.key), "binary"),
    );
    return { keyMaterial, isNew: verdict?.ok === true && verdict.isNew };
  } catch (err) {
    throw new Error(`the Signal session refused the key: ${signalReason(err)}`);
  }
}

/** The library's error as a sentence (it throws Error objects and, at times, strings). */
function signalReason(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  if (/Bad MAC/i.test(msg))
    return "message authentication failed (Bad MAC): tampered, or not for this session";
  if (/Missing Signed PreKey/i.test(msg))
    return "the message was built on a signed pre-key of ours that has been retired (older than its grace period)";
  if (/counter was repeated|Message key not found/i.test(msg))
    return "this message was already decrypted (a replay) or its key is gone";
  if (/No session|No record/i.test(msg))
    return "no session with this device (it must send a pre-key message first)";
  return msg;
}
