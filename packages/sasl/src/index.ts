// @hato/sasl: server-side SASL for XMPP (RFC 6120 §6) with SCRAM (RFC 5802, 7677), -PLUS (RFC 9266, 5929) and PLAIN (RFC 4616).
//
// Written by hand: no well-kept npm library implements server-side SCRAM with channel binding,
// and this package must have no runtime dependencies beyond node:crypto.
export {
  type ChannelBindingSource,
  type ChannelBindingType,
  certificateSignatureHash,
  channelBindingFromTls,
  TLS_EXPORTER_LABEL,
  tlsServerEndPoint,
} from "./channel-binding.js";
export {
  createScramClient,
  plainResponse,
  type ScramClient,
  type ScramClientOptions,
} from "./client.js";
export type { SaslContext, SaslFailureCondition, SaslServer, SaslStep } from "./context.js";
export { SASL_ERRORS, SaslError, type SaslErrorCode } from "./errors.js";
export { PLAIN_MAX_FIELD_BYTES } from "./plain-server.js";
export { type SaslPrepOptions, saslPrep, trySaslPrep } from "./saslprep.js";
export {
  checkScramPassword,
  DEFAULT_ITERATIONS,
  type DeriveOptions,
  deriveScramCredentials,
  deriveScramCredentialsAsync,
  type HashName,
  MIN_ITERATIONS,
  type ScramCredentials,
} from "./scram-crypto.js";
export { MAX_MESSAGE_BYTES } from "./scram-syntax.js";
export {
  type CreateSaslServerOptions,
  createSaslServer,
  MECHANISMS,
  makeFakeSalt,
  makePlainVerifier,
  type PlainVerifierOptions,
  supportedMechanisms,
} from "./server.js";
