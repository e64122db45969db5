// OMEMO for 1:1 chats in the legacy namespace eu.siacs.conversations.axolotl (XEP-0384 0.3.0,
// what Conversations, Dino, Gajim and Profanity speak): keys published in PEP, messages
// encrypted to every trusted device of the peer and our own other devices.

import { type Element, xml } from "@hato/xml";
import { fromBase64, toBase64 } from "../base64.js";
import {
  NS_EME,
  NS_HINTS,
  NS_OMEMO,
  NS_OMEMO_BUNDLES,
  NS_OMEMO_DEVICELIST,
  NS_PUBSUB_EVENT,
} from "../ns.js";
import { fromUtf8, utf8 } from "../platform.js";
import { DeviceLists } from "./devices.js";
import { readEncrypted, unwrapKey } from "./incoming.js";
import {
  bundleElement,
  createOwnDevice,
  deviceListElement,
  newDeviceId,
  parseBundle,
  parseDeviceList,
  topUpPreKeys,
} from "./keys.js";
import { loadSignal } from "./load.js";
import { type KeysOut, type KeyVetter, keyFor, keysFor, type Outgoing } from "./outgoing.js";
import { open, seal } from "./payload.js";
import { fetchBundle, type PepRequest, publishCurrent } from "./pep.js";
import { maintainSignedPreKey, Rotation } from "./rotation.js";
import type { OmemoStore, OwnDevice, Trust } from "./store.js";
import { DEFAULT_TIMING, type OmemoTiming } from "./timing.js";
import { anyVerified, effectiveTrust } from "./trust.js";
import {
  type DeviceFingerprint,
  type KeyChangeInfo,
  type NewDeviceInfo,
  type TrustSpace,
  type UriVerified,
  Verification,
} from "./verify.js";

/** What another namespace (OMEMO 2) tells verification: a device list, a refused key, a new device saved. */
export interface TrustEvents {
  listed(jid: string, ids: number[]): void;
  refused(jid: string, device: number, presented: Uint8Array, reason: string): void;
  learned(jid: string, device: number): void;
}

/** The body other clients show instead of the encrypted message (what Conversations sends). */
export const FALLBACK_BODY =
  "I sent you an OMEMO encrypted message but your client doesn't seem to support that. Find more information on https://conversations.im/omemo";

/** What OMEMO needs from the client. */
export interface OmemoHost {
  self(): string;
  /** `direct` while the session is being set up (before "online", nothing else is sent). */
  request(
    type: "get" | "set",
    to: string | undefined,
    payload: Element,
    direct?: boolean,
  ): Promise<Element>;
  error(text: string): void;
  /** OMEMO 2 only: what verification learns from it (Omemo.addTrustSpace). */
  trust?: TrustEvents;
  /** A device of `jid` we had not seen (see Verification). */
  newDevice?(jid: string, device: number, info: NewDeviceInfo): void;
  /** A known device of `jid` presented another identity key (refused until accepted). */
  keyChanged?(jid: string, info: KeyChangeInfo): void;
}

/** The outcome of decrypting an incoming <encrypted/>. */
export type Decrypted =
  | { ok: true; body: string | undefined; device: number; trust: Trust }
  | { ok: false; reason: string; device?: number };

/** A failure to encrypt: no device of the peer could be reached; `reasons` per device. */
export class OmemoError extends Error {
  constructor(
    message: string,
    readonly reasons: string[],
  ) {
    super(message);
  }
}

/** One account's OMEMO device: keys, publishing, encryption and decryption. */
export class Omemo {
  private own: OwnDevice | undefined;
  /** True while start() runs inside the client's session set-up. */
  private settingUp = false;
  /**
   * Settles when the first start() has finished, well or not. Messages wait for it: offline
   * ones are delivered as soon as our presence is sent, which can be before the client even
   * calls start(), and a message decrypted then would find no keys.
   */
  private readonly ready: Promise<void>;
  private markReady!: () => void;
  private readonly timing: OmemoTiming;
  /** Device lists, cached from notifications and reads (devices.ts). */
  readonly deviceLists: DeviceLists;
  /** Signed pre-key rotation at login and periodically while online (rotation.ts). */
  private readonly rotation: Rotation;
  /** Fingerprints, verification and key changes (verify.ts). */
  private readonly verification: Verification;

  constructor(
    private readonly host: OmemoHost,
    readonly store: OmemoStore,
    timing: Partial<OmemoTiming> = {},
  ) {
    this.ready = new Promise((resolve) => {
      this.markReady = resolve;
    });
    this.timing = { ...DEFAULT_TIMING, ...timing };
    this.deviceLists = new DeviceLists(store, this.pepRequest, () => this.host.self(), this.timing);
    this.rotation = new Rotation(
      {
        own: () => this.own,
        save: (own) => this.store.saveOwn(own),
        publish: () => this.publishBundle(),
        error: (text) => this.host.error(text),
      },
      this.timing,
    );
    this.verification = new Verification(
      {
        self: () => host.self(),
        own: () => this.own,
        devices: (jid) => this.fetchDevices(jid),
        bundleIdentity: async (jid, device) =>
          parseBundle(await fetchBundle(this.pepRequest, host.self(), jid, device)).identityKey,
        newDevice: (jid, device, info) => host.newDevice?.(jid, device, info),
        keyChanged: (jid, info) => host.keyChanged?.(jid, info),
      },
      store,
    );
  }

  /** Our device id (after start()). */
  get deviceId(): number | undefined {
    return this.own?.deviceId;
  }

  /** When this device's keys were created (after start(); undefined when not recorded). */
  get created(): Date | undefined {
    const t = this.own?.created === undefined ? Number.NaN : Date.parse(this.own.created);
    return Number.isNaN(t) ? undefined : new Date(t);
  }

  /** Creates our keys on first use, then makes sure our device is listed and our bundle published. */
  async start(): Promise<void> {
    this.settingUp = true;
    await this.setUp().finally(() => {
      this.settingUp = false;
      this.markReady();
    });
  }

  private async setUp(): Promise<void> {
    const self = this.host.self();
    this.deviceLists.forgetAll();
    const listed = await this.fetchDevices(self);
    this.own =
      (await this.store.loadOwn()) ?? (await createOwnDevice(this.store, newDeviceId(listed)));
    let changed = (await topUpPreKeys(this.store, this.own)) > 0;
    const spk = await maintainSignedPreKey(this.own, this.timing, this.timing.now());
    changed ||= spk.changed;
    if (changed) await this.store.saveOwn(this.own);
    await this.publishBundle();
    if (!listed.includes(this.own.deviceId)) {
      const ids = [...listed, this.own.deviceId];
      await this.publishDevices(ids);
      await this.store.saveDevices(self, ids);
    }
  }

  /**
   * The client's connection went online (true) or not (false). While online, a periodic
   * check replaces the signed pre-key when due (start() checks at every login too).
   */
  setOnline(on: boolean): void {
    this.rotation.setOnline(on);
  }

  /**
   * Replaces the signed pre-key when it is older than `signedPreKeyAge`, deletes replaced
   * ones past their grace period, and republishes the bundle after a replacement. Runs
   * periodically while online; never throws (failures go to the client's error event).
   */
  maintain(): Promise<void> {
    return this.rotation.check();
  }

  /** A PEP notification; returns whether it was an OMEMO device list (ours gets our id back if dropped). */
  event(m: Element): boolean {
    const items = m.getChild("event", NS_PUBSUB_EVENT)?.getChild("items", NS_PUBSUB_EVENT);
    if (items?.attr("node") !== NS_OMEMO_DEVICELIST) return false;
    const self = this.host.self();
    const from = m.attr("from") ?? self;
    const jid = from.includes("/") ? from.slice(0, from.indexOf("/")) : from;
    const item = items.getChildren("item", NS_PUBSUB_EVENT).at(-1);
    const ids = parseDeviceList(item?.getChild("list", NS_OMEMO));
    // Learn new devices' keys now, so that the user hears of a new device when it appears.
    this.deviceLists
      .heard(jid, ids)
      .then(() => this.ready)
      .then(() => this.verification.refresh(jid, ids))
      .catch((e) => this.host.error(`could not read ${jid}'s OMEMO devices: ${String(e)}`));
    const own = this.own?.deviceId;
    if (jid === self && own !== undefined && !ids.includes(own)) {
      // Another client of ours published a list without us: put us back, keeping theirs.
      this.publishDevices([...ids, own]).catch((e) =>
        this.host.error(`could not republish our OMEMO device: ${String(e)}`),
      );
    }
    return true;
  }

  /**
   * Encrypts `body` for every trusted device of `peer` and our other devices. Returns the
   * elements to send with the fallback body. Throws OmemoError when no device of the peer can
   * read it.
   */
  async encrypt(peer: string, body: string): Promise<Element[]> {
    const own = this.requireOwn();
    const self = this.host.self();
    const sealed = await seal(utf8(body));
    const out: KeysOut = { keys: [], reasons: [] };
    const listed = await this.deviceLists.get(peer);
    let peerKeys = await keysFor(this.outgoing, own, peer, listed.ids, sealed.keyMaterial, out);
    if (peerKeys === 0 && listed.cached) {
      // The cached list may be out of date (a missed notification): read it before giving up.
      out.reasons.length = 0;
      peerKeys = await keysFor(
        this.outgoing,
        own,
        peer,
        await this.deviceLists.read(peer),
        sealed.keyMaterial,
        out,
      );
    }
    if (peer !== self)
      await keysFor(
        this.outgoing,
        own,
        self,
        (await this.deviceLists.get(self)).ids,
        sealed.keyMaterial,
        out,
      );
    const { keys, reasons } = out;
    if (peerKeys === 0) {
      throw new OmemoError(
        `cannot encrypt to ${peer}: no trusted OMEMO device${reasons.length ? ` (${reasons.join("; ")})` : ""}`,
        reasons,
      );
    }
    return [
      xml(
        "encrypted",
        { xmlns: NS_OMEMO },
        xml("header", { sid: String(own.deviceId) }, ...keys, xml("iv", null, toBase64(sealed.iv))),
        xml("payload", null, toBase64(sealed.payload)),
      ),
      xml("store", { xmlns: NS_HINTS }),
      xml("encryption", { xmlns: NS_EME, namespace: NS_OMEMO, name: "OMEMO" }),
    ];
  }

  /**
   * Rebuilds broken sessions with `peer`: drops our session with `device` (or with each of its
   * devices), builds a new one from its bundle and returns an OMEMO key-transport element
   * (XEP-0384 0.3 "Key transport": header and keys, no payload). Sent to the peer, it gives each
   * device a fresh PreKey session; no chat message shows. Throws OmemoError when no device
   * could be reached.
   */
  async repair(peer: string, device?: number): Promise<Element> {
    const own = this.requireOwn();
    const devices = device === undefined ? await this.fetchDevices(peer) : [device];
    const { address } = await loadSignal();
    const sealed = await seal(new Uint8Array(0)); // a fresh key nobody will use
    const keys: Element[] = [];
    const reasons: string[] = [];
    for (const d of devices) {
      await this.store.removeSession(address(peer, d).toString());
      try {
        const key = await keyFor(this.outgoing, own, peer, d, sealed.keyMaterial);
        if (key === undefined) reasons.push(`${peer} device ${d}: not trusted`);
        else keys.push(key);
      } catch (err) {
        reasons.push(`${peer} device ${d}: ${(err as Error).message}`);
      }
    }
    if (keys.length === 0)
      throw new OmemoError(
        `cannot repair the session with ${peer}${reasons.length ? ` (${reasons.join("; ")})` : ": no OMEMO device"}`,
        reasons,
      );
    return xml(
      "encrypted",
      { xmlns: NS_OMEMO },
      xml("header", { sid: String(own.deviceId) }, ...keys, xml("iv", null, toBase64(sealed.iv))),
    );
  }

  /** The OMEMO device ids `jid` publishes (fetched now; the last list seen when that fails). */
  devices(jid: string): Promise<number[]> {
    return this.fetchDevices(jid);
  }

  /** Decrypts the <encrypted/> of a message from `sender` (bare JID); never throws. */
  async decrypt(sender: string, enc: Element): Promise<Decrypted> {
    await this.ready; // a failed start was reported by the client; `own` then says so below
    const own = this.own;
    if (own === undefined) return { ok: false, reason: "OMEMO is not set up on this device yet" };
    const m = readEncrypted(enc, own.deviceId);
    if (!("sid" in m)) return { ok: false, ...m };
    await this.deviceLists.sawDevice(sender, m.sid);
    let used = 0;
    let unwrapped: { keyMaterial: Uint8Array; isNew: boolean };
    try {
      unwrapped = await unwrapKey(this.store, own, sender, m, {
        refused: (presented, reason) =>
          this.verification.keyRefused(sender, m.sid, presented, reason),
        usedPreKey: () => used++,
      });
    } catch (err) {
      return { ok: false, reason: (err as Error).message, device: m.sid };
    }
    if (used > 0) {
      // A pre-key is single use: replace it and republish the bundle (XEP-0384 §4.7).
      await topUpPreKeys(this.store, own);
      await this.store.saveOwn(own);
      await this.publishBundle().catch((e) =>
        this.host.error(`could not republish our OMEMO bundle: ${String(e)}`),
      );
    }
    if (unwrapped.isNew) await this.verification.announce(sender, m.sid);
    const identity = await this.store.loadIdentity(sender, m.sid);
    const trust = effectiveTrust(identity?.trust ?? "blind", await anyVerified(this.store, sender));
    const device = m.sid;
    if (m.payload === undefined) return { ok: true, body: undefined, device, trust }; // key transport
    const payload = fromBase64(m.payload.trim(), 1 << 20);
    if (payload === undefined)
      return { ok: false, reason: "the OMEMO payload is not valid base64", device };
    try {
      const body = fromUtf8(await open(unwrapped.keyMaterial, m.iv, payload));
      return { ok: true, body, device, trust };
    } catch (err) {
      return { ok: false, reason: (err as Error).message, device };
    }
  }

  // ---- trust and verification (verify.ts, docs/e2ee.md) ----

  /** Sets our trust in a device of `jid` (verifying one makes the contact's blind devices untrusted). */
  setTrust(jid: string, device: number, trust: Trust, namespace?: string): Promise<void> {
    return this.verification.setTrust(jid, device, trust, namespace);
  }
  /** The devices of `jid` we know: fingerprint, trust, first seen (nothing fetched). */
  fingerprints(jid: string): Promise<DeviceFingerprint[]> {
    return this.verification.fingerprints(jid);
  }
  /** Fetches `jid`'s device list and learns new devices' keys; returns per-device problems. */
  refreshDevices(jid: string): Promise<string[]> {
    return this.verification.refresh(jid);
  }
  /** Our device id and fingerprint. */
  ownFingerprint(): { device: number; fingerprint: string } {
    return this.verification.ownFingerprint();
  }
  /** Our QR code's content: `xmpp:me@domain?omemo-sid-<id>=<fingerprint>` (Conversations' format). */
  verificationUri(): string {
    return this.verification.verificationUri();
  }
  /** The short code both sides see for our device and `jid`'s `device`. */
  comparisonCode(jid: string, device: number, namespace?: string): Promise<string> {
    return this.verification.comparisonCode(jid, device, namespace);
  }
  /** Verifies the devices of a scanned code if they all match; throws VerificationError otherwise. */
  verifyFromUri(uri: string): Promise<UriVerified> {
    return this.verification.verifyFromUri(uri);
  }
  /** Accepts the new identity key `jid`'s `device` presented; the device starts over. */
  acceptNewKey(jid: string, device: number, namespace?: string): Promise<DeviceFingerprint> {
    return this.verification.acceptNewKey(jid, device, namespace);
  }
  /** Our devices' ids and fingerprints in every namespace set up. */
  ownFingerprints(): { namespace: string; device: number; fingerprint: string }[] {
    return this.verification.ownFingerprints();
  }
  /**
   * Shows and verifies another namespace's devices (OMEMO 2) beside ours: the client adds
   * it, and OMEMO 2 reports what it learns through `trustEvents`.
   */
  addTrustSpace(space: TrustSpace): TrustEvents {
    this.verification.addSpace(space);
    const ns = space.namespace;
    return {
      listed: (jid, ids) => {
        this.verification
          .refresh(jid, ids, ns)
          .catch((e) => this.host.error(`${ns}: ${String(e)}`));
      },
      refused: (jid, device, presented, reason) =>
        this.verification.keyRefused(jid, device, presented, reason, ns),
      learned: (jid, device) => {
        void this.verification.announce(jid, device, ns);
      },
    };
  }

  // ---- internals ----

  private readonly pepRequest: PepRequest = (type, to, payload) =>
    this.host.request(type, to, payload, this.settingUp);

  /** The key log's check of new device keys (set by the key log watcher), if any. */
  private vetter: KeyVetter | undefined;

  /** Asks `vet` before a new device gets blind trust (the key log watcher does; outgoing.ts). */
  setKeyVetter(vet: KeyVetter | undefined): void {
    this.vetter = vet;
  }

  private get outgoing(): Outgoing {
    return {
      store: this.store,
      self: () => this.host.self(),
      bundle: (jid, device) => fetchBundle(this.pepRequest, this.host.self(), jid, device),
      verification: this.verification,
      vet: this.vetter,
    };
  }

  private requireOwn(): OwnDevice {
    if (this.own === undefined) throw new OmemoError("OMEMO is not set up on this device yet", []);
    return this.own;
  }

  /** `jid`'s device list read from PEP now (the stored one when that fails); fresh from now. */
  private fetchDevices(jid: string): Promise<number[]> {
    return this.deviceLists.read(jid);
  }

  private publishDevices(ids: number[]): Promise<Element> {
    return publishCurrent(this.pepRequest, NS_OMEMO_DEVICELIST, deviceListElement(ids));
  }

  private async publishBundle(): Promise<void> {
    const own = this.requireOwn();
    const bundle = await bundleElement(this.store, own);
    await publishCurrent(this.pepRequest, `${NS_OMEMO_BUNDLES}:${own.deviceId}`, bundle);
  }
}
