// SASL for XMPP streams (RFC 6120 §6): mechanism choice, single-use exchanges, anti-enumeration helpers.
import { createHmac } from "node:crypto";
import type { ChannelBindingType } from "./channel-binding.js";
import { failure, type SaslContext, type SaslServer, type SaslStep } from "./context.js";
import { SaslError } from "./errors.js";
import { plainSteps } from "./plain-server.js";
import {
  checkScramPassword,
  type HashName,
  SALT_LENGTH,
  type ScramCredentials,
} from "./scram-crypto.js";
import { randomNonce, type ScramMechanism, scramSteps } from "./scram-server.js";

const SCRAM: readonly ScramMechanism[] = [
  { name: "SCRAM-SHA-256-PLUS", hash: "sha256", plus: true },
  { name: "SCRAM-SHA-1-PLUS", hash: "sha1", plus: true },
  { name: "SCRAM-SHA-256", hash: "sha256", plus: false },
  { name: "SCRAM-SHA-1", hash: "sha1", plus: false },
];

/** Every mechanism this package implements, strongest first. */
export const MECHANISMS: readonly string[] = [...SCRAM.map((m) => m.name), "PLAIN"];

export interface CreateSaslServerOptions {
  /** Server nonce generator; only tests should replace it. */
  nonce?: () => string;
}

/** Mechanisms to advertise: -PLUS only with channel binding, PLAIN only over TLS. */
export function supportedMechanisms(opts: {
  tls: boolean;
  channelBinding: ChannelBindingType[];
}): string[] {
  const plus = opts.tls && opts.channelBinding.length > 0;
  return MECHANISMS.filter((m) => (m.endsWith("-PLUS") ? plus : m === "PLAIN" ? opts.tls : true));
}

// Single use and no overlapping steps; a callback or bug that throws also ends the exchange.
function singleUse(run: (response: Buffer | null) => Promise<SaslStep>): SaslServer {
  let done = false;
  let busy = false;
  return {
    async step(response) {
      if (done) return failure("malformed-request", "SASL exchange already finished");
      if (busy) return failure("malformed-request", "previous step still in progress");
      busy = true;
      try {
        const result = await run(response);
        if (result.kind !== "challenge") done = true;
        return result;
      } catch (err) {
        done = true;
        throw err;
      } finally {
        busy = false;
      }
    },
  };
}

/**
 * Starts an exchange for `mechanism`; undefined if this package does not implement it. A known
 * mechanism that is not in ctx.mechanismsOffered yields a server that fails with invalid-mechanism.
 */
export function createSaslServer(
  mechanism: string,
  ctx: SaslContext,
  opts: CreateSaslServerOptions = {},
): SaslServer | undefined {
  if (!MECHANISMS.includes(mechanism)) return undefined;
  if (!Number.isSafeInteger(ctx.iterations) || ctx.iterations < 1) {
    throw new SaslError("HATO_ERR_SASL_ARGUMENT", "ctx.iterations must be a positive integer");
  }
  if (!ctx.mechanismsOffered.includes(mechanism)) {
    const text = `mechanism ${mechanism} was not offered on this stream`;
    return singleUse(async () => failure("invalid-mechanism", text));
  }
  if (mechanism === "PLAIN") return singleUse(plainSteps(ctx));
  const mech = SCRAM.find((m) => m.name === mechanism)!;
  return singleUse(scramSteps(mech, ctx, opts.nonce ?? randomNonce));
}

/** Returns ctx.fakeSalt: HMAC-SHA-256(serverSecret, hash NUL username), cut to the real salt length. */
export function makeFakeSalt(serverSecret: Buffer): (username: string, hash: HashName) => Buffer {
  if (serverSecret.length < 16) {
    throw new SaslError("HATO_ERR_SASL_ARGUMENT", "serverSecret must be at least 16 bytes");
  }
  const secret = Buffer.from(serverSecret);
  return (username, hash) =>
    createHmac("sha256", secret).update(`${hash}\0${username}`).digest().subarray(0, SALT_LENGTH);
}

export interface PlainVerifierOptions {
  lookup(username: string, hash: HashName): Promise<ScramCredentials | undefined>;
  fakeSalt(username: string, hash: HashName): Buffer;
  iterations: number;
  /** Which stored credentials to check against; default sha256. */
  hash?: HashName;
}

/**
 * Returns ctx.verifyPlain over stored SCRAM credentials: PBKDF2 with the stored salt and
 * iterations, or with the fake salt for unknown users so both take the same time.
 */
export function makePlainVerifier(opts: PlainVerifierOptions): SaslContext["verifyPlain"] {
  const hash = opts.hash ?? "sha256";
  return async (username, password) => {
    const creds = await opts.lookup(username, hash);
    const fallback = { salt: opts.fakeSalt(username, hash), iterations: opts.iterations };
    return checkScramPassword(password, creds, hash, fallback);
  };
}
