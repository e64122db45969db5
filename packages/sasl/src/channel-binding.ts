// TLS channel bindings for SCRAM-PLUS: tls-exporter (RFC 9266) and tls-server-end-point (RFC 5929 §4).
import { createHash } from "node:crypto";
import type { TLSSocket } from "node:tls";
import { SaslError } from "./errors.js";

export type ChannelBindingType = "tls-exporter" | "tls-server-end-point";

/** Channel binding data of one TLS connection, as seen by this end. */
export interface ChannelBindingSource {
  /** Types usable on this connection, most preferred first (also what XEP-0440 advertises). */
  types: ChannelBindingType[];
  get(type: ChannelBindingType): Buffer | undefined;
}

// Signature algorithm OIDs and the hash each one uses.
const SIGNATURE_HASH: Readonly<Record<string, string>> = {
  "1.2.840.113549.1.1.4": "md5", // md5WithRSAEncryption
  "1.2.840.113549.1.1.5": "sha1", // sha1WithRSAEncryption
  "1.3.14.3.2.29": "sha1", // sha1WithRSASignature (OIW)
  "1.2.840.113549.1.1.14": "sha224",
  "1.2.840.113549.1.1.11": "sha256",
  "1.2.840.113549.1.1.12": "sha384",
  "1.2.840.113549.1.1.13": "sha512",
  "1.2.840.10045.4.1": "sha1", // ecdsa-with-SHA1
  "1.2.840.10045.4.3.1": "sha224",
  "1.2.840.10045.4.3.2": "sha256",
  "1.2.840.10045.4.3.3": "sha384",
  "1.2.840.10045.4.3.4": "sha512",
  "1.2.840.10040.4.3": "sha1", // dsa-with-sha1
  "2.16.840.1.101.3.4.3.1": "sha224", // dsa-with-sha224
  "2.16.840.1.101.3.4.3.2": "sha256", // dsa-with-sha256
};
// Hash algorithm OIDs, for RSASSA-PSS parameters.
const HASH_OID: Readonly<Record<string, string>> = {
  "1.3.14.3.2.26": "sha1",
  "2.16.840.1.101.3.4.2.4": "sha224",
  "2.16.840.1.101.3.4.2.1": "sha256",
  "2.16.840.1.101.3.4.2.2": "sha384",
  "2.16.840.1.101.3.4.2.3": "sha512",
};
const RSASSA_PSS = "1.2.840.113549.1.1.10";

interface Tlv {
  tag: number;
  start: number; // first content byte
  end: number; // one past the last content byte
}

// Minimal DER reader: definite lengths only, which DER guarantees.
function readTlv(buf: Buffer, offset: number, limit = buf.length): Tlv {
  const fail = () => new SaslError("HATO_ERR_SASL_CHANNEL_BINDING", "certificate is not valid DER");
  if (offset + 2 > limit) throw fail();
  const tag = buf[offset]!;
  let len = buf[offset + 1]!;
  let start = offset + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4 || start + n > limit) throw fail();
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[start + i]!;
    start += n;
  }
  if (start + len > limit) throw fail();
  return { tag, start, end: start + len };
}

function decodeOid(buf: Buffer, tlv: Tlv): string {
  if (tlv.tag !== 0x06 || tlv.end === tlv.start) {
    throw new SaslError("HATO_ERR_SASL_CHANNEL_BINDING", "expected an OBJECT IDENTIFIER");
  }
  const arcs: number[] = [];
  let value = 0;
  for (let i = tlv.start; i < tlv.end; i++) {
    value = value * 128 + (buf[i]! & 0x7f);
    if ((buf[i]! & 0x80) !== 0) continue;
    // The first subidentifier packs two arcs: 40 * X + Y, with X in 0..2.
    if (arcs.length === 0) {
      const x = Math.min(2, Math.floor(value / 40));
      arcs.push(x, value - 40 * x);
    } else arcs.push(value);
    value = 0;
  }
  return arcs.join(".");
}

/** Reads Certificate.signatureAlgorithm from DER and returns the hash name it signs with. */
export function certificateSignatureHash(certDer: Buffer): string {
  const cert = readTlv(certDer, 0);
  const tbs = readTlv(certDer, cert.start, cert.end);
  const algId = readTlv(certDer, tbs.end, cert.end);
  if (cert.tag !== 0x30 || tbs.tag !== 0x30 || algId.tag !== 0x30) {
    throw new SaslError("HATO_ERR_SASL_CHANNEL_BINDING", "not an X.509 certificate");
  }
  const oidTlv = readTlv(certDer, algId.start, algId.end);
  const oid = decodeOid(certDer, oidTlv);
  if (oid !== RSASSA_PSS) return hashForAlgorithm(oid);
  // RSASSA-PSS-params: hashAlgorithm [0] AlgorithmIdentifier DEFAULT sha1 (RFC 4055 §3.1).
  if (oidTlv.end >= algId.end) return "sha1";
  const params = readTlv(certDer, oidTlv.end, algId.end);
  if (params.tag !== 0x30 || params.start === params.end) return "sha1";
  const first = readTlv(certDer, params.start, params.end);
  if (first.tag !== 0xa0) return "sha1";
  const hashAlg = readTlv(certDer, first.start, first.end);
  const hashOid = decodeOid(certDer, readTlv(certDer, hashAlg.start, hashAlg.end));
  const hash = HASH_OID[hashOid];
  if (!hash) throw new SaslError("HATO_ERR_SASL_CHANNEL_BINDING", `unknown PSS hash ${hashOid}`);
  return hash;
}

// Accepts an OID ("1.2.840.113549.1.1.11") or a name ("sha256WithRSAEncryption", "ecdsa-with-SHA384").
function hashForAlgorithm(algorithm: string): string {
  if (/^\d+(\.\d+)+$/.test(algorithm)) {
    const hash = SIGNATURE_HASH[algorithm];
    if (hash) return hash;
  } else {
    const m = /(md5|sha-?(?:1|224|256|384|512))(?!\d)/i.exec(algorithm);
    if (m) return m[1]!.toLowerCase().replace("-", "");
  }
  // Ed25519/Ed448 and friends have no single hash: RFC 5929 leaves them undefined.
  throw new SaslError(
    "HATO_ERR_SASL_CHANNEL_BINDING",
    `no tls-server-end-point hash for ${algorithm}`,
  );
}

/**
 * tls-server-end-point data (RFC 5929 §4.1): hash of the DER certificate, using the signature's
 * hash, or SHA-256 if that is MD5 or SHA-1. The algorithm is read from the DER when not given.
 */
export function tlsServerEndPoint(certDer: Buffer, signatureAlgorithm?: string): Buffer {
  let hash = signatureAlgorithm
    ? hashForAlgorithm(signatureAlgorithm)
    : certificateSignatureHash(certDer);
  if (hash === "md5" || hash === "sha1") hash = "sha256";
  return createHash(hash).update(certDer).digest();
}

/** RFC 9266 §2: the exporter label; the context is empty and the length 32 bytes. */
export const TLS_EXPORTER_LABEL = "EXPORTER-Channel-Binding";

/**
 * Channel bindings of an established server-side TLS socket. tls-exporter is offered only on
 * TLS 1.3, because Node cannot tell whether a TLS 1.2 session used the extended master secret
 * (RFC 9266 §3). Without `ownCertDer`, the certificate actually presented (after SNI) is used.
 */
export function channelBindingFromTls(
  socket: TLSSocket,
  ownCertDer?: Buffer,
): ChannelBindingSource {
  const data = new Map<ChannelBindingType, Buffer>();
  if (socket.getProtocol() === "TLSv1.3") {
    try {
      data.set(
        "tls-exporter",
        socket.exportKeyingMaterial(32, TLS_EXPORTER_LABEL, Buffer.alloc(0)),
      );
    } catch {
      // Socket already gone: offer nothing rather than fail later.
    }
  }
  const local = socket.getCertificate();
  const der = ownCertDer ?? (local && "raw" in local ? local.raw : undefined);
  if (der) {
    try {
      data.set("tls-server-end-point", tlsServerEndPoint(der));
    } catch {
      // Signature algorithm without a defined hash (e.g. Ed25519): do not offer this type.
    }
  }
  return { types: [...data.keys()], get: (type) => data.get(type) };
}
