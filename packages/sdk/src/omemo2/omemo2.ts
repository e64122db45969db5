// OMEMO 2 (XEP-0384 0.8+, namespace urn:xmpp:omemo:2) for 1:1 chats, beside the legacy
// namespace: keys published in PEP, the body wrapped in an XEP-0420 envelope, encrypted to
// every trusted device of the peer and our own other devices. Same contract as the legacy
// Omemo class (start, event, encrypt, decrypt), so the client treats both alike.

import { type Element, xml } from "@hato/xml";
import { fromBase64, toBase64 } from "../base64.js";
import { NS_EME, NS_HINTS, NS_PUBSUB_EVENT } from "../ns.js";
import { newDeviceId } from "../omemo/keys.js";
import { type Decrypted, OmemoError, type OmemoHost } from "../omemo/omemo.js";
import type { KeyVetter } from "../omemo/outgoing.js";
import type { PepRequest } from "../omemo/pep.js";
import type { RemoteIdentity, Trust } from "../omemo/store.js";
import { anyVerified, effectiveTrust, judgeKey, maySendTo } from "../omemo/trust.js";
import { sameBytes } from "./crypto.js";
import {
  bundleElement2,
  createOwn2,
  devicesElement,
  fetchBundle2,
  fetchDevices2,
  NS_OMEMO2,
  NS_OMEMO2_BUNDLES,
  NS_OMEMO2_DEVICES,
  parseDevices,
  publish2,
  topUp2,
} from "./keys.js";
import { envelope, openEnvelope, openPayload, sealPayload } from "./payload.js";
import {
  decodeAuthenticated,
  decodeKeyExchange,
  decodeMessage,
  encodeKeyExchange,
} from "./proto.js";
import { initActive, initPassive, ratchetDecrypt, ratchetEncrypt } from "./ratchet.js";
import type { Omemo2Own, Omemo2Session, Omemo2Store } from "./store.js";
import { agreeActive, agreePassive } from "./x3dh.js";

/** Most <key/> elements one message may carry; more is refused as hostile. */
const MAX_KEYS = 500;

const address = (jid: string, device: number) => `${jid}.${device}`;

/** One account's OMEMO 2 device. */
export class Omemo2 {
  private own: Omemo2Own | undefined;
  private settingUp = false;
  private readonly ready: Promise<void>;
  private markReady!: () => void;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly host: OmemoHost,
    readonly store: Omemo2Store,
  ) {
    this.ready = new Promise((resolve) => {
      this.markReady = resolve;
    });
  }

  get deviceId(): number | undefined {
    return this.own?.deviceId;
  }

  /** Our Ed25519 identity key (32 bytes), once start() has run. */
  get identityKey(): Uint8Array | undefined {
    return this.own?.identity.pub;
  }

  private vetter: KeyVetter | undefined;

  /** Asks `vet` before a device gets blind trust, as the legacy Omemo does (the key log watcher). */
  setKeyVetter(vet: KeyVetter | undefined): void {
    this.vetter = vet;
  }

  /** The identity key `jid`'s device presents in its bundle; undefined when it cannot be read. */
  async presentedKey(jid: string, device: number): Promise<Uint8Array | undefined> {
    const self = this.host.self();
    return fetchBundle2(this.pep, jid === self ? undefined : jid, device).then(
      (b) => b.ik,
      () => undefined,
    );
  }

  /** Creates our keys on first use, publishes our bundle and makes sure our device is listed. */
  async start(): Promise<void> {
    this.settingUp = true;
    try {
      const self = this.host.self();
      const listed = await this.devices(self);
      this.own =
        (await this.store.loadOwn()) ?? (await createOwn2(this.store, newDeviceId(listed)));
      if ((await topUp2(this.store, this.own)) > 0) await this.store.saveOwn(this.own);
      await this.publishBundle();
      if (!listed.includes(this.own.deviceId)) {
        const ids = [...listed, this.own.deviceId];
        await publish2(this.pep, NS_OMEMO2_DEVICES, "current", devicesElement(ids));
        await this.store.saveDevices(self, ids);
      }
    } finally {
      this.settingUp = false;
      this.markReady();
    }
  }

  /** A PEP notification; returns whether it was an OMEMO 2 device list. */
  event(m: Element): boolean {
    const items = m.getChild("event", NS_PUBSUB_EVENT)?.getChild("items", NS_PUBSUB_EVENT);
    if (items?.attr("node") !== NS_OMEMO2_DEVICES) return false;
    const self = this.host.self();
    const from = (m.attr("from") ?? self).split("/")[0]!;
    const ids = parseDevices(items.getChildren("item", NS_PUBSUB_EVENT).at(-1)?.elements()[0]);
    void this.store.saveDevices(from, ids).then(() => this.host.trust?.listed(from, ids));
    const own = this.own?.deviceId;
    if (from === self && own !== undefined && !ids.includes(own)) {
      publish2(this.pep, NS_OMEMO2_DEVICES, "current", devicesElement([...ids, own])).catch((e) =>
        this.host.error(`could not republish our OMEMO 2 device: ${String(e)}`),
      );
    }
    return true;
  }

  /** The device ids `jid` publishes for OMEMO 2 (the cached list when the node cannot be read). */
  async devices(jid: string): Promise<number[]> {
    const self = this.host.self();
    const ids = await fetchDevices2(this.pep, jid === self ? undefined : jid);
    if (ids === undefined) return (await this.store.loadDevices(jid)) ?? [];
    await this.store.saveDevices(jid, ids);
    return ids;
  }

  /** The elements of an encrypted message for `peer`; throws OmemoError when no device of it can read it. */
  encrypt(peer: string, body: string): Promise<Element[]> {
    return this.serially(() => this.encryptNow(peer, body));
  }

  /** Decrypts the <encrypted xmlns='urn:xmpp:omemo:2'/> of a message from `sender`; never throws. */
  decrypt(sender: string, enc: Element): Promise<Decrypted> {
    return this.serially(() => this.decryptNow(sender, enc));
  }

  /**
   * Runs session work one at a time: a session is loaded, advanced and stored, and two sends
   * (or a send and a receive) interleaved would reuse a message key or lose a ratchet step.
   */
  private serially<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async encryptNow(peer: string, body: string): Promise<Element[]> {
    const own = this.requireOwn();
    const self = this.host.self();
    const sealed = await sealPayload(envelope(body, self));
    const reasons: string[] = [];
    const groups: Element[] = [];
    let peerKeys = 0;
    const targets: string[] = peer === self ? [self] : [peer, self];
    for (const jid of targets) {
      const keys: Element[] = [];
      for (const device of await this.devices(jid)) {
        if (jid === self && device === own.deviceId) continue;
        try {
          const key = await this.encryptKey(own, jid, device, sealed.keyMaterial);
          if (key === undefined) reasons.push(`${jid} device ${device}: not trusted`);
          else keys.push(key);
        } catch (err) {
          reasons.push(`${jid} device ${device}: ${(err as Error).message}`);
        }
      }
      if (jid === peer) peerKeys = keys.length;
      if (keys.length > 0) groups.push(xml("keys", { jid }, ...keys));
    }
    if (peerKeys === 0) {
      throw new OmemoError(
        `cannot encrypt to ${peer}: no trusted OMEMO 2 device${reasons.length ? ` (${reasons.join("; ")})` : ""}`,
        reasons,
      );
    }
    return [
      xml(
        "encrypted",
        { xmlns: NS_OMEMO2 },
        xml("header", { sid: String(own.deviceId) }, ...groups),
        xml("payload", null, toBase64(sealed.payload)),
      ),
      xml("store", { xmlns: NS_HINTS }),
      xml("encryption", { xmlns: NS_EME, namespace: NS_OMEMO2, name: "OMEMO" }),
    ];
  }

  private async decryptNow(sender: string, enc: Element): Promise<Decrypted> {
    await this.ready;
    const own = this.own;
    if (own === undefined) return { ok: false, reason: "OMEMO 2 is not set up on this device yet" };
    const self = this.host.self();
    const header = enc.getChild("header", NS_OMEMO2);
    const sid = Number(header?.attr("sid"));
    if (header === undefined || !Number.isInteger(sid) || sid <= 0 || sid > 0x7fffffff)
      return { ok: false, reason: "the OMEMO header lacks a valid sender device id (sid)" };
    const groups = header.getChildren("keys", NS_OMEMO2);
    if (groups.reduce((n, g) => n + g.getChildren("key", NS_OMEMO2).length, 0) > MAX_KEYS)
      return { ok: false, reason: "too many keys in the OMEMO header", device: sid };
    const mine = groups
      .find((g) => g.attr("jid") === self)
      ?.getChildren("key", NS_OMEMO2)
      .find((k) => Number(k.attr("rid")) === own.deviceId);
    if (mine === undefined)
      return {
        ok: false,
        reason: `the message was not encrypted for this device (${own.deviceId})`,
        device: sid,
      };
    const keyBytes = fromBase64(mine.text().trim(), 4096);
    if (keyBytes === undefined || keyBytes.length === 0)
      return { ok: false, reason: "the OMEMO key is not valid base64", device: sid };
    let keyMaterial: Uint8Array;
    let trust: Trust;
    try {
      const kex = mine.attr("kex") === "true" || mine.attr("kex") === "1";
      [keyMaterial, trust] = kex
        ? await this.acceptKeyExchange(own, sender, sid, keyBytes)
        : await this.decryptKey(sender, sid, keyBytes);
    } catch (err) {
      return { ok: false, reason: (err as Error).message, device: sid };
    }
    const payloadText = enc.getChildText("payload", NS_OMEMO2);
    if (payloadText === undefined) return { ok: true, body: undefined, device: sid, trust }; // empty message
    const payload = fromBase64(payloadText.trim(), 1 << 20);
    if (payload === undefined)
      return { ok: false, reason: "the OMEMO payload is not valid base64", device: sid };
    try {
      const body = openEnvelope(await openPayload(keyMaterial, payload), sender);
      return { ok: true, body, device: sid, trust };
    } catch (err) {
      return { ok: false, reason: (err as Error).message, device: sid };
    }
  }

  /**
   * Repairs the sessions with `peer` (one device, or all of them): drops them, builds new ones
   * from the bundles and returns an empty message (no payload: key transport) carrying the key
   * exchange, which shows nothing at the peer. Throws OmemoError when no device can be reached.
   */
  repair(peer: string, device?: number): Promise<Element> {
    return this.serially(async () => {
      const own = this.requireOwn();
      const devices = device === undefined ? await this.devices(peer) : [device];
      const keys: Element[] = [];
      const reasons: string[] = [];
      for (const d of devices) {
        await this.store.removeSession(address(peer, d));
        try {
          // An empty message's key material: 32 zero bytes and no tag (as python-omemo sends).
          const key = await this.encryptKey(own, peer, d, new Uint8Array(32));
          if (key === undefined) reasons.push(`${peer} device ${d}: not trusted`);
          else keys.push(key);
        } catch (err) {
          reasons.push(`${peer} device ${d}: ${(err as Error).message}`);
        }
      }
      if (keys.length === 0)
        throw new OmemoError(
          `cannot repair the OMEMO 2 session with ${peer}${reasons.length ? ` (${reasons.join("; ")})` : ": no OMEMO 2 device"}`,
          reasons,
        );
      return xml(
        "encrypted",
        { xmlns: NS_OMEMO2 },
        xml("header", { sid: String(own.deviceId) }, xml("keys", { jid: peer }, ...keys)),
      );
    });
  }

  /** Sets our trust in a device of `jid`. */
  async setTrust(jid: string, device: number, trust: Trust): Promise<void> {
    const r = await this.store.loadIdentity(jid, device);
    if (r === undefined) throw new Error(`no identity known for ${jid} device ${device}`);
    await this.store.saveIdentity(jid, device, { ...r, trust });
  }

  // ---- internals ----

  private readonly pep: PepRequest = (type, to, payload) =>
    this.host.request(type, to, payload, this.settingUp);

  private requireOwn(): Omemo2Own {
    if (this.own === undefined)
      throw new OmemoError("OMEMO 2 is not set up on this device yet", []);
    return this.own;
  }

  private async publishBundle(): Promise<void> {
    const own = this.requireOwn();
    const bundle = await bundleElement2(this.store, own);
    await publish2(this.pep, NS_OMEMO2_BUNDLES, String(own.deviceId), bundle);
  }

  /** One <key/> for a device, building the session from its bundle when there is none. */
  private async encryptKey(
    own: Omemo2Own,
    jid: string,
    device: number,
    keyMaterial: Uint8Array,
  ): Promise<Element | undefined> {
    const addr = address(jid, device);
    let session = await this.store.loadSession(addr);
    if (session === undefined) {
      const self = this.host.self();
      const bundle = await fetchBundle2(this.pep, jid === self ? undefined : jid, device);
      const verdict = await judgeKey(this.store, jid, device, bundle.ik);
      if (!verdict.ok) {
        this.host.trust?.refused(jid, device, verdict.presented, verdict.reason);
        throw new Error(verdict.reason);
      }
      if (!maySendTo(verdict.identity.trust)) {
        // Remembered (and announced) even though it gets nothing: the user may verify it.
        if (verdict.isNew) await this.saveNew(jid, device, verdict.identity);
        return undefined;
      }
      if (verdict.identity.trust === "blind" && this.vetter !== undefined) {
        // No session is built: once the log holds the key, the next message builds it. (Work
        // is serial here, so no key exchange from the device can build a session meanwhile.)
        const refusal = await this.vetter(jid, device, bundle.ik, NS_OMEMO2);
        if (refusal !== undefined) throw new Error(refusal);
      }
      const pk = bundle.preKeys[Math.floor(Math.random() * bundle.preKeys.length)]!;
      const agreed = await agreeActive(own.identity, { ik: bundle.ik, spk: bundle.spk, pk });
      session = {
        ratchet: await initActive(agreed.secret, agreed.ad, bundle.spk.pub),
        kex: { pkId: pk.id, spkId: bundle.spk.id, ek: agreed.ek },
      };
      if (verdict.isNew) await this.saveNew(jid, device, verdict.identity);
    }
    const identity = await this.store.loadIdentity(jid, device);
    const strict = await anyVerified(this.store, jid); // blind stops counting after a verification
    if (identity !== undefined && !maySendTo(effectiveTrust(identity.trust, strict)))
      return undefined;
    const message = await ratchetEncrypt(session.ratchet, keyMaterial);
    await this.store.storeSession(addr, session);
    if (session.kex === undefined) return xml("key", { rid: String(device) }, toBase64(message));
    const kex = encodeKeyExchange({ ...session.kex, ik: own.identity.pub, message });
    return xml("key", { rid: String(device), kex: "true" }, toBase64(kex));
  }

  /** Saves a device's first identity key and tells verification (the omemoNewDevice event). */
  private async saveNew(jid: string, device: number, identity: RemoteIdentity): Promise<void> {
    await this.store.saveIdentity(jid, device, identity);
    this.host.trust?.learned(jid, device);
  }

  /**
   * Key material through an existing session; a reply confirms a session we started. A message
   * the current session cannot read is tried on the previous one (both sides started a session
   * at once, and the peer still writes in the one we replaced): when that one reads it, it
   * becomes current again, so that both sides settle on the session the other last used.
   */
  private async decryptKey(
    jid: string,
    device: number,
    message: Uint8Array,
  ): Promise<[Uint8Array, Trust]> {
    const addr = address(jid, device);
    const session = await this.store.loadSession(addr);
    if (session === undefined)
      throw new Error("no session with this device (it must send a key exchange first)");
    let next: Omemo2Session;
    let plain: Uint8Array;
    try {
      const r = await ratchetDecrypt(session.ratchet, message);
      plain = r.plain;
      next = {
        ...confirmed(session, r.state),
        ...(session.previous ? { previous: session.previous } : {}),
      };
    } catch (err) {
      const { previous } = session;
      const r =
        previous && (await ratchetDecrypt(previous.ratchet, message).catch(() => undefined));
      if (previous === undefined || r === undefined) throw err;
      plain = r.plain;
      next = { ...confirmed(previous, r.state), previous: withoutPrevious(session) };
    }
    await this.store.storeSession(addr, next);
    const identity = await this.store.loadIdentity(jid, device);
    return [plain, effectiveTrust(identity?.trust ?? "blind", await anyVerified(this.store, jid))];
  }

  /** An OMEMOKeyExchange: builds the session it starts (or uses it, when repeated). */
  private async acceptKeyExchange(
    own: Omemo2Own,
    jid: string,
    device: number,
    bytes: Uint8Array,
  ): Promise<[Uint8Array, Trust]> {
    const kex = decodeKeyExchange(bytes);
    const verdict = await judgeKey(this.store, jid, device, kex.ik);
    if (!verdict.ok) {
      this.host.trust?.refused(jid, device, verdict.presented, verdict.reason);
      throw new Error(verdict.reason);
    }
    const addr = address(jid, device);
    const existing = await this.store.loadSession(addr);
    const started = (s: Omit<Omemo2Session, "previous"> | undefined) =>
      s?.from !== undefined &&
      s.from.pkId === kex.pkId &&
      s.from.spkId === kex.spkId &&
      sameBytes(s.from.ek, kex.ek);
    if (started(existing) || started(existing?.previous)) {
      // The peer repeats its key exchange until we answer: the session exists already.
      return this.decryptKey(jid, device, kex.message);
    }
    if (kex.spkId !== own.signedPreKey.id)
      throw new Error(`the key exchange uses signed pre-key ${kex.spkId}, which we do not have`);
    const pk = await this.store.loadPreKey(kex.pkId);
    if (pk === undefined)
      throw new Error(
        `the key exchange uses pre-key ${kex.pkId}, which was used already or never existed`,
      );
    const agreed = await agreePassive(own.identity, own.signedPreKey.pair, pk, kex.ik, kex.ek);
    const header = decodeMessage(decodeAuthenticated(kex.message).message);
    const ratchet = await initPassive(
      agreed.secret,
      agreed.ad,
      own.signedPreKey.pair,
      header.dhPub,
    );
    const { state, plain } = await ratchetDecrypt(ratchet, kex.message).catch((err: Error) => {
      throw new Error(`the key exchange failed: ${err.message}`);
    });
    // A session of ours stays as the previous one: its messages may still be on the way.
    await this.store.storeSession(addr, {
      ratchet: state,
      from: { pkId: kex.pkId, spkId: kex.spkId, ek: kex.ek },
      ...(existing ? { previous: withoutPrevious(existing) } : {}),
    });
    if (verdict.isNew) await this.saveNew(jid, device, verdict.identity);
    // A pre-key is single use: replace it and republish the bundle (XEP-0384).
    await this.store.removePreKey(kex.pkId);
    await topUp2(this.store, own);
    await this.store.saveOwn(own);
    await this.publishBundle().catch((e) =>
      this.host.error(`could not republish our OMEMO 2 bundle: ${String(e)}`),
    );
    const identity = await this.store.loadIdentity(jid, device);
    const trust = identity?.trust ?? verdict.identity.trust;
    return [plain, effectiveTrust(trust, await anyVerified(this.store, jid))];
  }
}

/** `session` with its new ratchet state, confirmed: a message came through it. */
function confirmed(
  session: Omit<Omemo2Session, "previous">,
  ratchet: Omemo2Session["ratchet"],
): Omemo2Session {
  return { ratchet, ...(session.from ? { from: session.from } : {}) };
}

function withoutPrevious(session: Omemo2Session): Omit<Omemo2Session, "previous"> {
  const { previous: _, ...rest } = session;
  return rest;
}
