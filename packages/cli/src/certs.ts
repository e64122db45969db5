// X.509 certificates for TLS (RFC 6120 §13.7): a self-signed one for the embedded default,
// and a small certificate authority for tests that must verify the server properly.

import "reflect-metadata";
import { webcrypto } from "node:crypto";
import * as x509 from "@peculiar/x509";

// @peculiar/x509 expects the Web Crypto API, which Node provides as webcrypto.
x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

const ALG = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;
const DAY = 24 * 60 * 60 * 1000;

export interface PemPair {
  cert: string;
  key: string;
}

async function keyPem(key: CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey("pkcs8", key));
  const b64 = der.toString("base64").replace(/(.{64})/g, "$1\n");
  return `-----BEGIN PRIVATE KEY-----\n${b64.trim()}\n-----END PRIVATE KEY-----\n`;
}

function serverExtensions(names: string[]): x509.Extension[] {
  return [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(
      x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment,
      true,
    ),
    new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
    new x509.SubjectAlternativeNameExtension(
      names.map((value) => ({ type: "dns" as const, value })),
    ),
  ];
}

const generate = () =>
  webcrypto.subtle.generateKey(ALG, true, ["sign", "verify"]) as Promise<CryptoKeyPair>;

/** A self-signed server certificate for these DNS names, valid for `days`. */
export async function createSelfSigned(names: string[], days = 825): Promise<PemPair> {
  const keys = await generate();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    name: `CN=${names[0]}`,
    notBefore: new Date(Date.now() - DAY),
    notAfter: new Date(Date.now() + days * DAY),
    signingAlgorithm: ALG,
    keys,
    extensions: serverExtensions(names),
  });
  return { cert: cert.toString("pem") + "\n", key: await keyPem(keys.privateKey) };
}

/** A certificate authority plus a function issuing server certificates under it. */
export async function createCa(
  name = "Hato Test CA",
): Promise<PemPair & { issue(names: string[]): Promise<PemPair> }> {
  const caKeys = await generate();
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    name: `CN=${name}`,
    notBefore: new Date(Date.now() - DAY),
    notAfter: new Date(Date.now() + 30 * DAY),
    signingAlgorithm: ALG,
    keys: caKeys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign,
        true,
      ),
    ],
  });
  return {
    cert: ca.toString("pem") + "\n",
    key: await keyPem(caKeys.privateKey),
    async issue(names) {
      const keys = await generate();
      const cert = await x509.X509CertificateGenerator.create({
        subject: `CN=${names[0]}`,
        issuer: ca.subject,
        notBefore: new Date(Date.now() - DAY),
        notAfter: new Date(Date.now() + 30 * DAY),
        signingAlgorithm: ALG,
        publicKey: keys.publicKey,
        signingKey: caKeys.privateKey,
        extensions: serverExtensions(names),
      });
      return { cert: cert.toString("pem") + "\n", key: await keyPem(keys.privateKey) };
    },
  };
}
