// Channel bindings: tls-server-end-point (RFC 5929 §4.1) and tls-exporter (RFC 9266) on real sockets.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import type { AddressInfo } from "node:net";
import { describe, it } from "node:test";
import tls from "node:tls";
import {
  certificateSignatureHash,
  channelBindingFromTls,
  TLS_EXPORTER_LABEL,
  tlsServerEndPoint,
} from "./channel-binding.js";
import {
  der,
  EC_KEY_PEM,
  EC_SHA1_PEM,
  EC_SHA256_PEM,
  EC_SHA384_PEM,
  ED25519_PEM,
  memoryContext,
  RSA_MD5_PEM,
  RSA_PSS_SHA384_PEM,
  runScram,
} from "./fixtures.js";
import { supportedMechanisms } from "./server.js";

const sha = (alg: string, data: Buffer) => createHash(alg).update(data).digest();

describe("tlsServerEndPoint", () => {
  const cases: [string, string, string, string][] = [
    ["ecdsa-with-SHA256", EC_SHA256_PEM, "sha256", "sha256"],
    ["ecdsa-with-SHA384", EC_SHA384_PEM, "sha384", "sha384"],
    ["ecdsa-with-SHA1 (upgraded to SHA-256)", EC_SHA1_PEM, "sha1", "sha256"],
    ["md5WithRSAEncryption (upgraded to SHA-256)", RSA_MD5_PEM, "md5", "sha256"],
    ["RSASSA-PSS with SHA-384 parameters", RSA_PSS_SHA384_PEM, "sha384", "sha384"],
  ];
  for (const [name, pem, signatureHash, bindingHash] of cases) {
    it(`hashes a ${name} certificate with ${bindingHash}`, () => {
      assert.equal(certificateSignatureHash(der(pem)), signatureHash);
      assert.deepEqual(tlsServerEndPoint(der(pem)), sha(bindingHash, der(pem)));
    });
  }
  it("accepts the algorithm as an OID or a name", () => {
    const cert = der(EC_SHA256_PEM);
    assert.deepEqual(tlsServerEndPoint(cert, "1.2.840.113549.1.1.4"), sha("sha256", cert));
    assert.deepEqual(tlsServerEndPoint(cert, "1.2.840.113549.1.1.13"), sha("sha512", cert));
    assert.deepEqual(tlsServerEndPoint(cert, "sha512WithRSAEncryption"), sha("sha512", cert));
    assert.deepEqual(tlsServerEndPoint(cert, "ecdsa-with-SHA384"), sha("sha384", cert));
    assert.deepEqual(tlsServerEndPoint(cert, "RSA-SHA1"), sha("sha256", cert));
  });
  it("refuses Ed25519, whose hash RFC 5929 does not define, and garbage", () => {
    const code = { code: "HATO_ERR_SASL_CHANNEL_BINDING" };
    assert.throws(() => tlsServerEndPoint(der(ED25519_PEM)), code);
    assert.throws(() => tlsServerEndPoint(der(EC_SHA256_PEM), "1.3.101.112"), code);
    assert.throws(() => tlsServerEndPoint(Buffer.from([0x30, 0x82, 0xff])), code);
    assert.throws(() => tlsServerEndPoint(Buffer.alloc(0)), code);
  });
});

interface Pair {
  server: tls.TLSSocket;
  client: tls.TLSSocket;
  close(): void;
}

async function connect(version: "TLSv1.2" | "TLSv1.3"): Promise<Pair> {
  const limits = { minVersion: version, maxVersion: version } as const;
  const srv = tls.createServer({ key: EC_KEY_PEM, cert: EC_SHA256_PEM, ...limits });
  const accepted = new Promise<tls.TLSSocket>((resolve) => srv.once("secureConnection", resolve));
  await new Promise<void>((resolve) => srv.listen(0, "127.0.0.1", resolve));
  const { port } = srv.address() as AddressInfo;
  const client = tls.connect({ port, host: "127.0.0.1", rejectUnauthorized: false, ...limits });
  await new Promise<void>((resolve) => client.once("secureConnect", resolve));
  const server = await accepted;
  return {
    server,
    client,
    close: () => {
      client.destroy();
      server.destroy();
      srv.close();
    },
  };
}

describe("channelBindingFromTls", () => {
  it("TLS 1.3 offers both types, matching what the client computes", async () => {
    const pair = await connect("TLSv1.3");
    try {
      const cb = channelBindingFromTls(pair.server);
      assert.deepEqual(cb.types, ["tls-exporter", "tls-server-end-point"]);
      const exporter = pair.client.exportKeyingMaterial(32, TLS_EXPORTER_LABEL, Buffer.alloc(0));
      assert.deepEqual(cb.get("tls-exporter"), exporter);
      // In TLS 1.3 an empty and an absent exporter context are the same (RFC 8446 §7.5).
      // @types/node marks context as required; Node itself treats it as optional.
      const noContext = pair.client.exportKeyingMaterial as (n: number, label: string) => Buffer;
      assert.deepEqual(noContext.call(pair.client, 32, TLS_EXPORTER_LABEL), exporter);
      const peer = pair.client.getPeerCertificate().raw;
      assert.deepEqual(cb.get("tls-server-end-point"), tlsServerEndPoint(peer));
      assert.deepEqual(channelBindingFromTls(pair.server, der(EC_SHA256_PEM)).types, cb.types);
    } finally {
      pair.close();
    }
  });

  it("TLS 1.2 offers only tls-server-end-point (extended master secret cannot be checked)", async () => {
    const pair = await connect("TLSv1.2");
    try {
      const cb = channelBindingFromTls(pair.server);
      assert.deepEqual(cb.types, ["tls-server-end-point"]);
      assert.equal(cb.get("tls-exporter"), undefined);
      assert.deepEqual(
        supportedMechanisms({ tls: true, channelBinding: cb.types }).filter((m) =>
          m.endsWith("PLUS"),
        ),
        ["SCRAM-SHA-256-PLUS", "SCRAM-SHA-1-PLUS"],
      );
    } finally {
      pair.close();
    }
  });

  for (const type of ["tls-exporter", "tls-server-end-point"] as const) {
    it(`SCRAM-SHA-256-PLUS with ${type} binds to the real connection`, async () => {
      const pair = await connect("TLSv1.3");
      const other = await connect("TLSv1.3");
      try {
        const ctx = memoryContext(
          { juliet: "pw" },
          { channelBinding: channelBindingFromTls(pair.server) },
        );
        const data =
          type === "tls-exporter"
            ? pair.client.exportKeyingMaterial(32, TLS_EXPORTER_LABEL, Buffer.alloc(0))
            : tlsServerEndPoint(pair.client.getPeerCertificate().raw);
        const ok = await runScram("SCRAM-SHA-256-PLUS", ctx, {
          username: "juliet",
          password: "pw",
          channelBinding: { type, data },
        });
        assert.equal(ok.verified, true);
        // A man in the middle terminates a different TLS connection towards the client.
        const mitmData = other.client.exportKeyingMaterial(32, TLS_EXPORTER_LABEL, Buffer.alloc(0));
        const mitm = await runScram("SCRAM-SHA-256-PLUS", ctx, {
          username: "juliet",
          password: "pw",
          channelBinding: { type: "tls-exporter", data: mitmData },
        });
        assert.equal(mitm.result.kind === "failure" && mitm.result.condition, "not-authorized");
      } finally {
        pair.close();
        other.close();
      }
    });
  }
});

describe("supportedMechanisms", () => {
  it("offers -PLUS only with channel binding and PLAIN only over TLS", () => {
    assert.deepEqual(supportedMechanisms({ tls: true, channelBinding: ["tls-exporter"] }), [
      "SCRAM-SHA-256-PLUS",
      "SCRAM-SHA-1-PLUS",
      "SCRAM-SHA-256",
      "SCRAM-SHA-1",
      "PLAIN",
    ]);
    assert.deepEqual(supportedMechanisms({ tls: true, channelBinding: [] }), [
      "SCRAM-SHA-256",
      "SCRAM-SHA-1",
      "PLAIN",
    ]);
    assert.deepEqual(supportedMechanisms({ tls: false, channelBinding: ["tls-exporter"] }), [
      "SCRAM-SHA-256",
      "SCRAM-SHA-1",
    ]);
  });
});
