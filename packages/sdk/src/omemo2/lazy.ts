// What the client holds for OMEMO 2: a thin front that loads the implementation (crypto,
// ratchet, protobufs) as its own chunk on first use, as the legacy library is, so that the web
// client's first bundle does not carry it.

import type { Element } from "@hato/xml";
import { NS_OMEMO2, NS_OMEMO2_DEVICES, NS_PUBSUB_EVENT } from "../ns.js";
import type { Decrypted, OmemoHost } from "../omemo/omemo.js";
import type { KeyVetter } from "../omemo/outgoing.js";
import type { Trust } from "../omemo/store.js";
import type { TrustSpace } from "../omemo/verify.js";
import type { Omemo2 } from "./omemo2.js";
import type { Omemo2Store } from "./store.js";

/** OMEMO 2 for one account; see omemo2.ts for what each call does. */
export class LazyOmemo2 {
  private impl: Promise<Omemo2> | undefined;
  private vetter: KeyVetter | undefined;
  /** Our device id, once start() has run. */
  deviceId: number | undefined;
  /** Our Ed25519 identity key, once start() has run (what our fingerprint shows). */
  identityKey: Uint8Array | undefined;

  constructor(
    private readonly host: OmemoHost,
    readonly store: Omemo2Store,
  ) {}

  private load(): Promise<Omemo2> {
    this.impl ??= import("./omemo2.js").then((m) => {
      const impl = new m.Omemo2(this.host, this.store);
      impl.setKeyVetter(this.vetter);
      return impl;
    });
    return this.impl;
  }

  /** Asks `vet` before a device gets blind trust (the key log watcher; omemo/outgoing.ts). */
  setKeyVetter(vet: KeyVetter | undefined): void {
    this.vetter = vet;
    void this.impl?.then((impl) => impl.setKeyVetter(this.vetter));
  }

  /** The identity key `jid`'s device presents in its OMEMO 2 bundle (undefined: unreadable). */
  async presentedKey(jid: string, device: number): Promise<Uint8Array | undefined> {
    return (await this.load()).presentedKey(jid, device);
  }

  /** OMEMO 2 as verification sees it (Omemo.addTrustSpace): fingerprints are the Ed25519 keys. */
  trustSpace(): TrustSpace {
    return {
      namespace: NS_OMEMO2,
      store: this.store,
      own: () =>
        this.deviceId === undefined || this.identityKey === undefined
          ? undefined
          : { device: this.deviceId, key: this.identityKey },
      devices: (jid) => this.devices(jid),
      bundleIdentity: async (jid, device) => {
        const key = await this.presentedKey(jid, device);
        if (key === undefined) throw new Error("its OMEMO 2 bundle cannot be read");
        return key;
      },
    };
  }

  async start(): Promise<void> {
    const impl = await this.load();
    try {
      await impl.start();
    } finally {
      this.deviceId = impl.deviceId;
      this.identityKey = impl.identityKey;
    }
  }

  /** Whether `m` is an OMEMO 2 device list notification (then handled, asynchronously). */
  event(m: Element): boolean {
    const items = m.getChild("event", NS_PUBSUB_EVENT)?.getChild("items", NS_PUBSUB_EVENT);
    if (items?.attr("node") !== NS_OMEMO2_DEVICES) return false;
    this.load()
      .then((impl) => impl.event(m))
      .catch((e) => this.host.error(`OMEMO 2: ${String(e)}`));
    return true;
  }

  async devices(jid: string): Promise<number[]> {
    return (await this.load()).devices(jid);
  }

  async encrypt(peer: string, body: string): Promise<Element[]> {
    return (await this.load()).encrypt(peer, body);
  }

  async decrypt(sender: string, enc: Element): Promise<Decrypted> {
    try {
      return await (await this.load()).decrypt(sender, enc);
    } catch (err) {
      return { ok: false, reason: `OMEMO 2 could not be loaded: ${String(err)}` };
    }
  }

  async repair(peer: string, device?: number): Promise<Element> {
    return (await this.load()).repair(peer, device);
  }

  async setTrust(jid: string, device: number, trust: Trust): Promise<void> {
    return (await this.load()).setTrust(jid, device, trust);
  }
}
