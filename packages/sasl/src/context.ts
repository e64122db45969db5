// Server-side SASL contract for XMPP (RFC 6120 §6, RFC 4422): context, steps and failures.
import type { ChannelBindingSource } from "./channel-binding.js";
import { trySaslPrep } from "./saslprep.js";
import type { HashName, ScramCredentials } from "./scram-crypto.js";

/** RFC 6120 §6.5 SASL error conditions. */
export type SaslFailureCondition =
  | "not-authorized"
  | "invalid-authzid"
  | "malformed-request"
  | "encryption-required"
  | "invalid-mechanism"
  | "temporary-auth-failure"
  | "aborted"
  | "mechanism-too-weak"
  | "credentials-expired"
  | "account-disabled"
  | "incorrect-encoding";

export type SaslStep =
  | { kind: "challenge"; data: Buffer }
  | { kind: "success"; data?: Buffer; username: string; authzid?: string }
  | {
      kind: "failure";
      condition: SaslFailureCondition;
      text: string;
      /** The prepared username when known, for throttling and audit. */
      username?: string;
    };

/** One SASL exchange; single-use: after success or failure every step fails. */
export interface SaslServer {
  /** Feeds the next client message; null means "no initial response" and is only valid first. */
  step(response: Buffer | null): Promise<SaslStep>;
}

/** What a stream gives a SASL exchange. */
export interface SaslContext {
  /** Exactly what was advertised on this stream (used for the downgrade check). */
  mechanismsOffered: string[];
  /** Undefined on streams without TLS. */
  channelBinding?: ChannelBindingSource;
  /** Credentials of a prepared username (the output of prepUsername); undefined if unknown. */
  lookup(username: string, hash: HashName): Promise<ScramCredentials | undefined>;
  /** PLAIN: prepared username and the password exactly as sent (see makePlainVerifier). */
  verifyPlain(username: string, password: string): Promise<boolean>;
  /** Deterministic salt for unknown users (see makeFakeSalt). */
  fakeSalt(username: string, hash: HashName): Buffer;
  /** Iterations sent with fake salts: set it to what new accounts get, so both look alike. */
  iterations: number;
  /**
   * Normalises the authentication identity before lookup; null rejects it. The server passes
   * @hato/jid prepLocal here. Default: SASLprep (RFC 4013) as a query.
   */
  prepUsername?(username: string): string | null;
  /**
   * May `username` act as `authzid`? Default: only itself (authzid equal to the username after
   * prepUsername). XMPP clients sometimes send their bare JID here, which a server may allow.
   */
  authorize?(username: string, authzid: string): boolean;
}

/** Builds a failure step. */
export function failure(
  condition: SaslFailureCondition,
  text: string,
  username?: string,
): SaslStep {
  return username === undefined
    ? { kind: "failure", condition, text }
    : { kind: "failure", condition, text, username };
}

/** Runs ctx.prepUsername (default SASLprep); null when rejected, throws what the callback throws. */
export function prepareUsername(ctx: SaslContext, username: string): string | null {
  return ctx.prepUsername
    ? ctx.prepUsername(username)
    : trySaslPrep(username, { allowUnassigned: true });
}

/** Whether `username` may act as `authzid`: ctx.authorize, else equality after preparation. */
export function isAuthorized(ctx: SaslContext, username: string, authzid: string): boolean {
  if (ctx.authorize) return ctx.authorize(username, authzid);
  return prepareUsername(ctx, authzid) === username;
}
