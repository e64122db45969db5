// SCRAM (RFC 5802, RFC 7677, -PLUS per RFC 9266/5929) and PLAIN (RFC 4616), client side.
// Used by tests and the future SDK: it must never import the server modules.
import { randomBytes, timingSafeEqual } from "node:crypto";
import type { ChannelBindingType } from "./channel-binding.js";
import { SaslError } from "./errors.js";
import { saslPrep } from "./saslprep.js";
import {
  type HashName,
  hmac,
  keysFromSaltedPassword,
  MAX_ITERATIONS,
  MIN_ITERATIONS,
  saltedPassword,
  xor,
} from "./scram-crypto.js";
import {
  decodeBase64,
  decodeUtf8,
  encodeSaslname,
  expectAttribute,
  isPrintable,
  parseAttribute,
} from "./scram-syntax.js";

export interface ScramClientOptions {
  username: string;
  password: string;
  authzid?: string;
  /** Required for -PLUS; with a plain mechanism it makes the client send "y" (RFC 5802 §6). */
  channelBinding?: { type: ChannelBindingType; data: Buffer };
  /** Client nonce; only tests should set it. */
  nonce?: string;
  /** Refuse servers asking for fewer iterations; default 4096 (RFC 7677 §4). */
  minIterations?: number;
}

export interface ScramClient {
  /** client-first-message. */
  first(): Buffer;
  /** client-final-message for the server-first-message; throws SaslError on a bad message. */
  final(serverFirst: Buffer): Buffer;
  /** Whether server-final-message proves the server knew our credentials. */
  verify(serverFinal: Buffer): boolean;
}

function serverError(detail: string): SaslError {
  return new SaslError("HATO_ERR_SASL_SERVER_MESSAGE", detail);
}

/** Creates a SCRAM client for SCRAM-SHA-1, SCRAM-SHA-256 or their -PLUS variants. */
export function createScramClient(mechanism: string, opts: ScramClientOptions): ScramClient {
  const m = /^SCRAM-SHA-(1|256)(-PLUS)?$/.exec(mechanism);
  if (!m) throw new SaslError("HATO_ERR_SASL_ARGUMENT", `unsupported mechanism ${mechanism}`);
  const hash: HashName = m[1] === "1" ? "sha1" : "sha256";
  const plus = m[2] !== undefined;
  const cb = opts.channelBinding;
  if (plus && !cb) {
    throw new SaslError("HATO_ERR_SASL_ARGUMENT", `${mechanism} needs channel binding`);
  }
  const clientNonce = opts.nonce ?? randomBytes(24).toString("base64");
  if (!isPrintable(clientNonce)) {
    throw new SaslError("HATO_ERR_SASL_ARGUMENT", "nonce not printable");
  }
  const flag = plus ? `p=${cb!.type}` : cb ? "y" : "n";
  const authz = opts.authzid !== undefined ? `a=${encodeSaslname(opts.authzid)}` : "";
  const gs2Header = `${flag},${authz},`;
  // The username goes out as given: XMPP servers prepare it with their JID rules (RFC 6120 §6.3.8).
  const bare = `n=${encodeSaslname(opts.username)},r=${clientNonce}`;
  const cbInput = plus ? Buffer.concat([Buffer.from(gs2Header), cb!.data]) : Buffer.from(gs2Header);
  const minIterations = opts.minIterations ?? MIN_ITERATIONS;
  let expectedSignature: Buffer | undefined;
  let stage: "first" | "final" | "verify" | "done" = "first";

  const advance = (from: typeof stage, to: typeof stage) => {
    if (stage !== from) {
      throw new SaslError("HATO_ERR_SASL_STATE", `${from}() called in stage ${stage}`);
    }
    stage = to;
  };

  return {
    first() {
      advance("first", "final");
      return Buffer.from(gs2Header + bare);
    },
    final(serverFirstBuf) {
      advance("final", "verify");
      const serverFirst = decodeUtf8(serverFirstBuf);
      if (serverFirst === null) throw serverError("server-first-message is not UTF-8");
      const parts = serverFirst.split(",");
      if (parseAttribute(parts[0])?.name === "m") throw serverError("mandatory extension m=");
      const nonce = expectAttribute(parts[0], "r");
      if (nonce === null || !isPrintable(nonce)) throw serverError("missing or invalid nonce");
      if (!nonce.startsWith(clientNonce) || nonce.length === clientNonce.length) {
        throw serverError("server nonce does not extend the client nonce");
      }
      const salt = decodeBase64(expectAttribute(parts[1], "s") ?? "");
      if (salt === null || salt.length === 0) throw serverError("missing or invalid salt");
      const iterText = expectAttribute(parts[2], "i") ?? "";
      const iterations = /^[1-9][0-9]{0,9}$/.test(iterText) ? Number(iterText) : 0;
      if (iterations < minIterations || iterations > MAX_ITERATIONS) {
        throw serverError(`iteration count must be in ${minIterations}..${MAX_ITERATIONS}`);
      }
      // Later attributes are extensions (e.g. XEP-0474 "d="), which a client may ignore.
      const salted = saltedPassword(
        hash,
        saslPrep(opts.password, { allowUnassigned: true }),
        salt,
        iterations,
      );
      const { clientKey, storedKey, serverKey } = keysFromSaltedPassword(hash, salted);
      const withoutProof = `c=${cbInput.toString("base64")},r=${nonce}`;
      const authMessage = `${bare},${serverFirst},${withoutProof}`;
      const proof = xor(clientKey, hmac(hash, storedKey, authMessage));
      expectedSignature = hmac(hash, serverKey, authMessage);
      return Buffer.from(`${withoutProof},p=${proof.toString("base64")}`);
    },
    verify(serverFinalBuf) {
      advance("verify", "done");
      const text = decodeUtf8(serverFinalBuf);
      const v = text === null ? null : expectAttribute(text.split(",")[0], "v");
      const signature = v === null ? null : decodeBase64(v);
      if (!signature || !expectedSignature) return false;
      return (
        signature.length === expectedSignature.length &&
        timingSafeEqual(signature, expectedSignature)
      );
    },
  };
}

/** PLAIN initial response: [authzid] NUL authcid NUL password, UTF-8 (RFC 4616 §2). */
export function plainResponse(username: string, password: string, authzid = ""): Buffer {
  return Buffer.from(`${authzid}\0${username}\0${password}`, "utf8");
}
