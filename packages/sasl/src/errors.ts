// Error registry for @hato/sasl (HATO_ERR_*): programmer errors and forged peer messages that throw.

/** Stable codes with their default messages; SASL protocol failures are SaslStep values instead. */
export const SASL_ERRORS = {
  HATO_ERR_SASL_PREP: "string is prohibited by SASLprep (RFC 4013)",
  HATO_ERR_SASL_ARGUMENT: "invalid argument",
  HATO_ERR_SASL_SERVER_MESSAGE: "malformed or forged message from the SASL server",
  HATO_ERR_SASL_STATE: "SASL client method called out of order",
  HATO_ERR_SASL_CHANNEL_BINDING: "channel binding cannot be computed",
} as const;

export type SaslErrorCode = keyof typeof SASL_ERRORS;

/** An Error carrying one of the SASL_ERRORS codes. */
export class SaslError extends Error {
  readonly code: SaslErrorCode;
  constructor(code: SaslErrorCode, detail?: string) {
    super(detail ? `${SASL_ERRORS[code]}: ${detail}` : SASL_ERRORS[code]);
    this.name = "SaslError";
    this.code = code;
  }
}
