// Test-only fixtures for @hato/sasl: throwaway certificates (never used at run time) and a memory SASL context.
import assert from "node:assert/strict";
import { randomBytes, X509Certificate } from "node:crypto";
import type { ChannelBindingSource, ChannelBindingType } from "./channel-binding.js";
import { createScramClient, type ScramClientOptions } from "./client.js";
import type { SaslContext, SaslServer, SaslStep } from "./context.js";
import { deriveScramCredentials, type HashName, type ScramCredentials } from "./scram-crypto.js";
import { createSaslServer, MECHANISMS, makeFakeSalt, makePlainVerifier } from "./server.js";

/** Throwaway P-256 key for the ecdsa-with-SHA256 certificate below; test only. */
export const EC_KEY_PEM = `-----BEGIN EC PRIVATE KEY-----
MHcCAQEEIGNsccgJ94Hr7KzwkywO5SxLUKMzlKKFTocuHuHxIGOXoAoGCCqGSM49
AwEHoUQDQgAE1B7jCm+vpHSwZ+sq6sRY0+b2md/txjgO/x1Mv2vnxtxj15kUcUiB
IvRCpwPsot0Sdbqzr1zVqeS2JAkH6h2B1w==
-----END EC PRIVATE KEY-----`;

/** Self-signed test certificates, one per signature algorithm (for tls-server-end-point). */
export const EC_SHA256_PEM = `-----BEGIN CERTIFICATE-----
MIIBfzCCASWgAwIBAgIUbBnxZYobLYtGjAJt/f9k5tybvdUwCgYIKoZIzj0EAwIw
FDESMBAGA1UEAwwJaGF0by50ZXN0MCAXDTI2MTEyMjAyMjMxNloYDzIxMjYxMDI5
MDIyMzE2WjAUMRIwEAYDVQQDDAloYXRvLnRlc3QwWTATBgcqhkjOPQIBBggqhkjO
PQMBBwNCAATUHuMKb6+kdLBn6yrqxFjT5vaZ3+3GOA7/HUy/a+fG3GPXmRRxSIEi
9EKnA+yi3RJ1urOvXNWp5LYkCQfqHYHXo1MwUTAdBgNVHQ4EFgQUm94qRoDA9Gaf
cj3T3KZCfecmdMYwHwYDVR0jBBgwFoAUm94qRoDA9Gafcj3T3KZCfecmdMYwDwYD
VR0TAQH/BAUwAwEB/zAKBggqhkjOPQQDAgNIADBFAiEAuPYskjC7A36DFZFuEY5E
TqXxYSpmLidB/qXC9pMSQPYCIHUxEH/74C25CWrJQ0HWIN4dq0P5jWuXul1DHYBq
vgN5
-----END CERTIFICATE-----`;

export const EC_SHA384_PEM = `-----BEGIN CERTIFICATE-----
MIIBfjCCASWgAwIBAgIUVqt7p5ohJVLVavzK1w6ozIDrIUwwCgYIKoZIzj0EAwMw
FDESMBAGA1UEAwwJaGF0by50ZXN0MCAXDTI2MTEyMjAyMjMxNloYDzIxMjYxMDI5
MDIyMzE2WjAUMRIwEAYDVQQDDAloYXRvLnRlc3QwWTATBgcqhkjOPQIBBggqhkjO
PQMBBwNCAATUHuMKb6+kdLBn6yrqxFjT5vaZ3+3GOA7/HUy/a+fG3GPXmRRxSIEi
9EKnA+yi3RJ1urOvXNWp5LYkCQfqHYHXo1MwUTAdBgNVHQ4EFgQUm94qRoDA9Gaf
cj3T3KZCfecmdMYwHwYDVR0jBBgwFoAUm94qRoDA9Gafcj3T3KZCfecmdMYwDwYD
VR0TAQH/BAUwAwEB/zAKBggqhkjOPQQDAwNHADBEAiBEuphyU/jxbuRCXhfCvl2s
BofRbwPkD4AohcCxCX9jbwIgd6fUcbP+JfZZTtUdKaakvpd09lncfC1lfFJdDLUr
INE=
-----END CERTIFICATE-----`;

export const EC_SHA1_PEM = `-----BEGIN CERTIFICATE-----
MIIBfTCCASSgAwIBAgIUVWiAEUnZ4bGgnB5pjZnoPPEo2gEwCQYHKoZIzj0EATAU
MRIwEAYDVQQDDAloYXRvLnRlc3QwIBcNMjYxMTIyMDIyMzE2WhgPMjEyNjEwMjkw
MjIzMTZaMBQxEjAQBgNVBAMMCWhhdG8udGVzdDBZMBMGByqGSM49AgEGCCqGSM49
AwEHA0IABNQe4wpvr6R0sGfrKurEWNPm9pnf7cY4Dv8dTL9r58bcY9eZFHFIgSL0
QqcD7KLdEnW6s69c1anktiQJB+odgdejUzBRMB0GA1UdDgQWBBSb3ipGgMD0Zp9y
PdPcpkJ95yZ0xjAfBgNVHSMEGDAWgBSb3ipGgMD0Zp9yPdPcpkJ95yZ0xjAPBgNV
HRMBAf8EBTADAQH/MAkGByqGSM49BAEDSAAwRQIhALF5l6K8cIWL1XZv1jEkB+UK
n/R5cHo3M5ktxtRkoUYbAiAmjig+olkkUqIIGQ5kPRqSG70/puiioaDmgfpXidOj
qQ==
-----END CERTIFICATE-----`;

export const RSA_PSS_SHA384_PEM = `-----BEGIN CERTIFICATE-----
MIICbDCCAaGgAwIBAgIUQ4HbF8UOA2Cn6KH8S9OVJC3MBnIwQQYJKoZIhvcNAQEK
MDSgDzANBglghkgBZQMEAgIFAKEcMBoGCSqGSIb3DQEBCDANBglghkgBZQMEAgIF
AKIDAgFOMBQxEjAQBgNVBAMMCWhhdG8udGVzdDAgFw0yNjExMjIwMjIzMTZaGA8y
MTI2MTAyOTAyMjMxNlowFDESMBAGA1UEAwwJaGF0by50ZXN0MIGdMAsGCSqGSIb3
DQEBCgOBjQAwgYkCgYEAwU9nDsyjH/oYSB3gHdM/7xlz9Av2LYQdwgzFY6laRVHg
Rd5IfXs5h+YgAqagYFrCeafblrtw70233KF4oTJj4Eqlm83ZMcRYlq2CCSKseI83
M00CF+WsIewu0rp+7QDiCz+4QEHhglv6fEe19MT1yoT5tjXVBbKUtZN2NqtxZZ8C
AwEAAaNTMFEwHQYDVR0OBBYEFGW0cMVTKMWTjQtX8RA+52v5raKEMB8GA1UdIwQY
MBaAFGW0cMVTKMWTjQtX8RA+52v5raKEMA8GA1UdEwEB/wQFMAMBAf8wQQYJKoZI
hvcNAQEKMDSgDzANBglghkgBZQMEAgIFAKEcMBoGCSqGSIb3DQEBCDANBglghkgB
ZQMEAgIFAKIDAgFOA4GBAMAklzv6TjyiH/pTTQfPKj1Dc8UeO3powg+wKjVn1F4f
w8bFbmnok4xLKCnxBWMgDezDWcYa6XaUwMKPeswlPBjwg8S5TU4Nx+3sn1dfy63W
Ld2xVlffD2zMo2+lZtVVg0XPS5QNzJD4Q8ZjJizQKyk5uFOi+5OKm95lHPhfHfn1
-----END CERTIFICATE-----`;

export const ED25519_PEM = `-----BEGIN CERTIFICATE-----
MIIBPjCB8aADAgECAhRbK6+6+mCWdCgxzoL5d9qxjqkPUDAFBgMrZXAwFDESMBAG
A1UEAwwJaGF0by50ZXN0MCAXDTI2MTEyMjAyMjMxNloYDzIxMjYxMDI5MDIyMzE2
WjAUMRIwEAYDVQQDDAloYXRvLnRlc3QwKjAFBgMrZXADIQBdAWSEgZ12MbPLtK5C
A0UU/OQy6YzB7kAglkMG3HT7FaNTMFEwHQYDVR0OBBYEFEaVGWSmHj5b5kgujp3l
buSO457OMB8GA1UdIwQYMBaAFEaVGWSmHj5b5kgujp3lbuSO457OMA8GA1UdEwEB
/wQFMAMBAf8wBQYDK2VwA0EAmCpEahUUJirfchvcnnOWu1jWZeEnx5sCVuzYUQhm
7FiZaHZ2eOb/vfLpVv/eUmqFX3owCNqu82knPXTgxM3uAw==
-----END CERTIFICATE-----`;

export const RSA_MD5_PEM = `-----BEGIN CERTIFICATE-----
MIICBjCCAW+gAwIBAgIUDsYRVsIkXGZMua9p4DVAOCm7Wb0wDQYJKoZIhvcNAQEE
BQAwFDESMBAGA1UEAwwJaGF0by50ZXN0MCAXDTI2MTEyMjAyMjMxNloYDzIxMjYx
MDI5MDIyMzE2WjAUMRIwEAYDVQQDDAloYXRvLnRlc3QwgZ8wDQYJKoZIhvcNAQEB
BQADgY0AMIGJAoGBALJgBk3DBMrjPYVafF0AuJ3rfVoJeujWE36xkM/ROD5+7JzO
IaUUiyO7H6fy+1jFIqBbQiBMN8kzOl756dO1Ce6Gv0vAAW3zp1XcyC6zAGp1j+mx
h8pZ42ANvNMlb0G+/kpjC1bcUuJCUzP50S7ZwSTnt2xxb/wHDag3vt7uPIFhAgMB
AAGjUzBRMB0GA1UdDgQWBBT/n9zk8fHcDk0OvS3lLr8pTXWwQjAfBgNVHSMEGDAW
gBT/n9zk8fHcDk0OvS3lLr8pTXWwQjAPBgNVHRMBAf8EBTADAQH/MA0GCSqGSIb3
DQEBBAUAA4GBAHHxv3txVjbDKvxrHSKelFDF1KaIAYm5rQ/hpk9qFCHPoHwflVei
IhfwPO3rKrnNVNM2zVgQ/K7umhAjhjD5bOMYtnDYT62KVGgPwgcv7BNuj+xx68sa
cYpPLhuTHfzOjTAb6qnhYfgJx+en7rzzIRx6AdEWlKWVvjQTi48clFhI
-----END CERTIFICATE-----`;

/** Asserts that `step` is a failure with this condition and a text matching `text`. */
export function assertFailure(step: SaslStep | undefined, condition: string, text: RegExp): void {
  assert.equal(step?.kind, "failure", `expected a failure, got ${JSON.stringify(step)}`);
  if (step?.kind !== "failure") return;
  assert.equal(step.condition, condition, step.text);
  assert.match(step.text, text);
}

/** DER bytes of a PEM certificate. */
export function der(pem: string): Buffer {
  return new X509Certificate(pem).raw;
}

/** A channel binding source with fixed random data per type, standing in for a TLS socket. */
export function fakeChannelBinding(
  types: ChannelBindingType[] = ["tls-exporter", "tls-server-end-point"],
): ChannelBindingSource & { data: Map<ChannelBindingType, Buffer> } {
  const data = new Map(types.map((t) => [t, randomBytes(32)] as const));
  return { types, data, get: (t) => data.get(t) };
}

export type TestContext = SaslContext & { lookups: string[] };

/** A SaslContext over in-memory users (name -> password), every mechanism offered, with TLS. */
export function memoryContext(
  users: Record<string, string>,
  overrides: Partial<SaslContext> = {},
): TestContext {
  const store = new Map<string, ScramCredentials>();
  for (const [name, password] of Object.entries(users)) {
    for (const hash of ["sha1", "sha256"] as const) {
      store.set(`${hash}:${name}`, deriveScramCredentials(password, hash));
    }
  }
  const lookups: string[] = [];
  const lookup = async (username: string, hash: HashName) => {
    lookups.push(username);
    return store.get(`${hash}:${username}`);
  };
  const fakeSalt = makeFakeSalt(Buffer.alloc(32, 7));
  return {
    mechanismsOffered: [...MECHANISMS],
    channelBinding: fakeChannelBinding(),
    lookup,
    verifyPlain: makePlainVerifier({ lookup, fakeSalt, iterations: 4096 }),
    fakeSalt,
    iterations: 4096,
    lookups,
    ...overrides,
  };
}

export interface ScramRun {
  server: SaslServer;
  first?: SaslStep;
  result: SaslStep;
  verified: boolean;
}

/** Runs a whole SCRAM exchange between createScramClient and createSaslServer. */
export async function runScram(
  mechanism: string,
  ctx: SaslContext,
  opts: ScramClientOptions,
  nonce?: () => string,
): Promise<ScramRun> {
  const server = createSaslServer(mechanism, ctx, nonce ? { nonce } : {});
  if (!server) throw new Error(`no server for ${mechanism}`);
  const client = createScramClient(mechanism, opts);
  const first = await server.step(client.first());
  if (first.kind !== "challenge") return { server, result: first, verified: false };
  const result = await server.step(client.final(first.data));
  const verified = result.kind === "success" && !!result.data && client.verify(result.data);
  return { server, first, result, verified };
}

/** Feeds raw text messages to a fresh server and returns every step. */
export async function feed(mechanism: string, ctx: SaslContext, ...messages: string[]) {
  const server = createSaslServer(mechanism, ctx);
  if (!server) throw new Error(`no server for ${mechanism}`);
  const steps: SaslStep[] = [];
  for (const m of messages) steps.push(await server.step(Buffer.from(m)));
  return steps;
}
