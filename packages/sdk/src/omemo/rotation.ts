// Signed pre-key rotation: the signed pre-key is medium-term (X3DH §2.2 has it replaced
// "periodically", as Signal-protocol clients do every few days). A sender may have fetched our bundle just before a rotation
// and build its first PreKey message on the old key, so a replaced key is kept for a grace
// period, then deleted: past that, such a message fails visibly ("retired signed pre-key").

import { after, cancel, type Timer } from "../platform.js";
import { ab, bytes } from "./bytes.js";
import { loadSignal } from "./load.js";
import type { OwnDevice, SignedPreKey } from "./store.js";
import { MAX_OLD_SIGNED_PRE_KEYS, type OmemoTiming } from "./timing.js";

/** Signed pre-key ids are 24-bit here (as createOwnDevice draws them), never 0. */
const MAX_SPK_ID = 0xffffff;

/**
 * Brings `own`'s signed pre-keys up to date at time `now`: replaces the current one when it
 * is older than `signedPreKeyAge`, forgets replaced ones past `signedPreKeyGrace`. Returns
 * whether `own` changed (save it) and whether the current key was replaced (republish).
 */
export async function maintainSignedPreKey(
  own: OwnDevice,
  timing: Pick<OmemoTiming, "signedPreKeyAge" | "signedPreKeyGrace">,
  now: number,
): Promise<{ changed: boolean; rotated: boolean }> {
  let changed = false;
  let rotated = false;
  // A key from before rotation existed has no date: its age counts from now.
  if (own.signedPreKey.created === undefined) {
    own.signedPreKey.created = now;
    changed = true;
  }
  let old = own.oldSignedPreKeys ?? [];
  if (now - own.signedPreKey.created >= timing.signedPreKeyAge) {
    const fresh = await newSignedPreKey(own, nextId(own), now);
    old = [...old, { ...own.signedPreKey, retired: now }];
    own.signedPreKey = fresh;
    changed = rotated = true;
  }
  const kept = old
    .filter((k) => now - k.retired < timing.signedPreKeyGrace)
    .slice(-MAX_OLD_SIGNED_PRE_KEYS);
  if (kept.length !== (own.oldSignedPreKeys ?? []).length || rotated) changed = true;
  if (kept.length > 0) own.oldSignedPreKeys = kept;
  else delete own.oldSignedPreKeys;
  return { changed, rotated };
}

/** The signed pre-key with `id` that we still hold: the current one or one in its grace period. */
export function findSignedPreKey(own: OwnDevice, id: number): SignedPreKey | undefined {
  if (own.signedPreKey.id === id) return own.signedPreKey;
  return own.oldSignedPreKeys?.find((k) => k.id === id);
}

/** The id after the current one, skipping ids still held (ids wrap within 1 … MAX_SPK_ID). */
function nextId(own: OwnDevice): number {
  let id = own.signedPreKey.id;
  do id = (id % MAX_SPK_ID) + 1;
  while (findSignedPreKey(own, id) !== undefined);
  return id;
}

async function newSignedPreKey(own: OwnDevice, id: number, now: number): Promise<SignedPreKey> {
  const { libsignal } = await loadSignal();
  const identity = { pubKey: ab(own.identity.pub), privKey: ab(own.identity.priv) };
  const spk = await libsignal.KeyHelper.generateSignedPreKey(identity, id);
  return {
    id,
    pair: { pub: bytes(spk.keyPair.pubKey), priv: bytes(spk.keyPair.privKey) },
    signature: bytes(spk.signature),
    created: now,
  };
}

/** What the periodic check needs from its OMEMO device. */
export interface RotationHost {
  /** Our device, once set up. */
  own(): OwnDevice | undefined;
  save(own: OwnDevice): Promise<void>;
  /** Republishes our bundle (after a replacement). */
  publish(): Promise<void>;
  error(text: string): void;
}

/** The periodic check while the client is online, one check at a time. */
export class Rotation {
  private timer: Timer | undefined;
  private online = false;
  private running: Promise<void> = Promise.resolve();

  constructor(
    private readonly host: RotationHost,
    private readonly timing: OmemoTiming,
  ) {}

  /** Checks every `checkEvery` while online; nothing while not. */
  setOnline(on: boolean): void {
    this.online = on;
    if (!on) {
      cancel(this.timer);
      this.timer = undefined;
    } else if (this.timer === undefined) this.schedule();
  }

  private schedule(): void {
    this.timer = after(this.timing.checkEvery, () => {
      this.timer = undefined;
      void this.check().finally(() => {
        if (this.online && this.timer === undefined) this.schedule();
      });
    });
  }

  /** One check now (after any running one); never rejects: failures go to host.error. */
  check(): Promise<void> {
    this.running = this.running.then(async () => {
      const own = this.host.own();
      if (own === undefined) return;
      try {
        const r = await maintainSignedPreKey(own, this.timing, this.timing.now());
        if (r.changed) await this.host.save(own);
        if (r.rotated) await this.host.publish();
      } catch (e) {
        this.host.error(`could not renew our OMEMO signed pre-key: ${String(e)}`);
      }
    });
    return this.running;
  }
}
