// X3DH key agreement (Signal's public-domain specification) with OMEMO 2's parameters
// (XEP-0384): Ed25519 identity keys converted to X25519, four DH outputs after 32 bytes
// of 0xFF, HKDF-SHA-256 with a zero salt and the info "OMEMO X3DH", associated data the two
// Ed25519 identity keys (initiator first).

import {
  concat,
  ed25519Verify,
  edToX25519,
  hkdf,
  type RawPair,
  seedToX25519,
  x25519,
  x25519Pair,
} from "./crypto.js";

/** A peer's published keys, one pre-key picked. */
export interface PeerBundle {
  ik: Uint8Array;
  spk: { id: number; pub: Uint8Array; signature: Uint8Array };
  pk: { id: number; pub: Uint8Array };
}

export interface Agreement {
  /** The shared secret SK (32 bytes), the Double Ratchet's first root key. */
  secret: Uint8Array;
  /** IK_initiator ‖ IK_responder (64 bytes). */
  ad: Uint8Array;
}

const PAD = new Uint8Array(32).fill(0xff);
const ZERO = new Uint8Array(32);

function kdf(...dh: Uint8Array[]): Promise<Uint8Array> {
  return hkdf(concat(PAD, ...dh), ZERO, "OMEMO X3DH", 32);
}

/** The initiator's side: checks the signed pre-key's signature, then agrees with a fresh ephemeral key. */
export async function agreeActive(
  identity: RawPair,
  peer: PeerBundle,
): Promise<Agreement & { ek: Uint8Array }> {
  if (!(await ed25519Verify(peer.ik, peer.spk.signature, peer.spk.pub)))
    throw new Error("the signature of the signed pre-key does not verify with the identity key");
  const ek = await x25519Pair();
  const own = await seedToX25519(identity.priv);
  const secret = await kdf(
    await x25519(own, peer.spk.pub),
    await x25519(ek.priv, edToX25519(peer.ik)),
    await x25519(ek.priv, peer.spk.pub),
    await x25519(ek.priv, peer.pk.pub),
  );
  return { secret, ad: concat(identity.pub, peer.ik), ek: ek.pub };
}

/** The responder's side, from the initiator's identity key `ik` and ephemeral key `ek`. */
export async function agreePassive(
  identity: RawPair,
  spk: RawPair,
  pk: RawPair,
  ik: Uint8Array,
  ek: Uint8Array,
): Promise<Agreement> {
  const own = await seedToX25519(identity.priv);
  const secret = await kdf(
    await x25519(spk.priv, edToX25519(ik)),
    await x25519(own, ek),
    await x25519(spk.priv, ek),
    await x25519(pk.priv, ek),
  );
  return { secret, ad: concat(ik, identity.pub) };
}
