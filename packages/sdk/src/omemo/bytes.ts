// Byte conversions between our Uint8Arrays and the Signal library's ArrayBuffers and binary
// strings, and the one protobuf field we read ourselves. No library import here: this file is
// in the web client's first bundle, the library is loaded later (load.ts).

/** Bytes as the library wants them (an ArrayBuffer of exactly these bytes). */
export function ab(b: Uint8Array): ArrayBuffer {
  return b.slice().buffer as ArrayBuffer;
}

/** The library's ArrayBuffer (or binary string) as bytes. */
export function bytes(b: ArrayBuffer | string): Uint8Array {
  if (typeof b !== "string") return new Uint8Array(b.slice(0));
  const out = new Uint8Array(b.length);
  for (let i = 0; i < b.length; i++) out[i] = b.charCodeAt(i) & 0xff;
  return out;
}

/**
 * The sender's identity key in a PreKeySignalMessage (version byte, then protobuf field 3),
 * read before the library processes it so a changed key is refused, not adopted. Undefined
 * when the message is malformed.
 */
export function preKeyMessageIdentity(msg: Uint8Array): Uint8Array | undefined {
  let i = 1; // the version byte
  const varint = (): number | undefined => {
    let n = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      if (i >= msg.length) return undefined;
      const b = msg[i++]!;
      n += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return n;
    }
    return undefined;
  };
  while (i < msg.length) {
    const tag = varint();
    if (tag === undefined) return undefined;
    const wire = tag & 7;
    if (wire === 0) {
      if (varint() === undefined) return undefined;
    } else if (wire === 2) {
      const len = varint();
      if (len === undefined || i + len > msg.length) return undefined;
      if (tag >>> 3 === 3) return msg.slice(i, i + len);
      i += len;
    } else return undefined;
  }
  return undefined;
}
