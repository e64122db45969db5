// The three protobuf messages of OMEMO 2 (XEP-0384: OMEMOMessage, OMEMOAuthenticatedMessage,
// OMEMOKeyExchange, proto2), encoded and decoded by hand: only varints and byte strings occur.
// Decoding is strict: every required field once, lengths bounded, unknown fields skipped.

/** OMEMOMessage: n (1), pn (2), dh_pub (3), ciphertext (4, optional). */
export interface OmemoMessage {
  n: number;
  pn: number;
  dhPub: Uint8Array;
  ciphertext?: Uint8Array;
}

/** OMEMOKeyExchange: pk_id (1), spk_id (2), ik (3), ek (4), message (5, an OMEMOAuthenticatedMessage). */
export interface KeyExchange {
  pkId: number;
  spkId: number;
  ik: Uint8Array;
  ek: Uint8Array;
  message: Uint8Array;
}

const MAX_FIELD = 1 << 16;

function varint(n: number): number[] {
  const out: number[] = [];
  let v = n >>> 0;
  while (v >= 0x80) {
    out.push((v & 0x7f) | 0x80);
    v >>>= 7;
  }
  out.push(v);
  return out;
}

class Writer {
  private parts: number[] = [];
  uint(field: number, v: number): this {
    this.parts.push(...varint((field << 3) | 0), ...varint(v));
    return this;
  }
  bytes(field: number, b: Uint8Array): this {
    this.parts.push(...varint((field << 3) | 2), ...varint(b.length), ...b);
    return this;
  }
  done(): Uint8Array {
    return Uint8Array.from(this.parts);
  }
}

/** Fields by number: varints as numbers, length-delimited as bytes. Throws on malformed input. */
function read(buf: Uint8Array): Map<number, number | Uint8Array> {
  const fields = new Map<number, number | Uint8Array>();
  let at = 0;
  const next = (): number => {
    let v = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      if (at >= buf.length) throw new Error("truncated protobuf");
      const b = buf[at++]!;
      v += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) {
        if (v > 0xffffffff) throw new Error("protobuf varint out of range");
        return v;
      }
    }
    throw new Error("protobuf varint too long");
  };
  while (at < buf.length) {
    const key = next();
    const field = Math.floor(key / 8);
    const type = key & 7;
    let value: number | Uint8Array;
    if (type === 0) value = next();
    else if (type === 2) {
      const len = next();
      if (len > MAX_FIELD || at + len > buf.length) throw new Error("protobuf field too long");
      value = buf.slice(at, at + len);
      at += len;
    } else throw new Error(`unexpected protobuf wire type ${type}`);
    if (fields.has(field)) throw new Error(`protobuf field ${field} repeated`);
    fields.set(field, value);
  }
  return fields;
}

function num(f: Map<number, number | Uint8Array>, n: number, what: string): number {
  const v = f.get(n);
  if (typeof v !== "number") throw new Error(`${what}: field ${n} missing or not a number`);
  return v;
}

function bin(f: Map<number, number | Uint8Array>, n: number, what: string): Uint8Array {
  const v = f.get(n);
  if (!(v instanceof Uint8Array)) throw new Error(`${what}: field ${n} missing or not bytes`);
  return v;
}

export function encodeMessage(m: OmemoMessage): Uint8Array {
  const w = new Writer().uint(1, m.n).uint(2, m.pn).bytes(3, m.dhPub);
  if (m.ciphertext !== undefined) w.bytes(4, m.ciphertext);
  return w.done();
}

export function decodeMessage(buf: Uint8Array): OmemoMessage {
  const f = read(buf);
  const ct = f.get(4);
  if (ct !== undefined && !(ct instanceof Uint8Array))
    throw new Error("OMEMOMessage: bad ciphertext");
  const dhPub = bin(f, 3, "OMEMOMessage");
  if (dhPub.length !== 32) throw new Error("OMEMOMessage: dh_pub is not 32 bytes");
  return {
    n: num(f, 1, "OMEMOMessage"),
    pn: num(f, 2, "OMEMOMessage"),
    dhPub,
    ...(ct !== undefined ? { ciphertext: ct } : {}),
  };
}

export function encodeAuthenticated(mac: Uint8Array, message: Uint8Array): Uint8Array {
  return new Writer().bytes(1, mac).bytes(2, message).done();
}

export function decodeAuthenticated(buf: Uint8Array): { mac: Uint8Array; message: Uint8Array } {
  const f = read(buf);
  return {
    mac: bin(f, 1, "OMEMOAuthenticatedMessage"),
    message: bin(f, 2, "OMEMOAuthenticatedMessage"),
  };
}

export function encodeKeyExchange(k: KeyExchange): Uint8Array {
  return new Writer()
    .uint(1, k.pkId)
    .uint(2, k.spkId)
    .bytes(3, k.ik)
    .bytes(4, k.ek)
    .bytes(5, k.message)
    .done();
}

export function decodeKeyExchange(buf: Uint8Array): KeyExchange {
  const f = read(buf);
  const k = {
    pkId: num(f, 1, "OMEMOKeyExchange"),
    spkId: num(f, 2, "OMEMOKeyExchange"),
    ik: bin(f, 3, "OMEMOKeyExchange"),
    ek: bin(f, 4, "OMEMOKeyExchange"),
    message: bin(f, 5, "OMEMOKeyExchange"),
  };
  if (k.ik.length !== 32 || k.ek.length !== 32)
    throw new Error("OMEMOKeyExchange: ik and ek must be 32 bytes");
  return k;
}
