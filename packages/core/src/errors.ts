// Error registry (RFC 6120 §4.9 stream errors, §8.3 stanza errors): one code per failure.

import { type Element, NS_STANZAS_ERR, NS_STREAM, NS_STREAMS_ERR, xml } from "@hato/xml";

/** RFC 6120 §4.9.3 stream error conditions. */
export type StreamCondition =
  | "bad-format"
  | "bad-namespace-prefix"
  | "conflict"
  | "connection-timeout"
  | "host-gone"
  | "host-unknown"
  | "improper-addressing"
  | "internal-server-error"
  | "invalid-from"
  | "invalid-namespace"
  | "invalid-xml"
  | "not-authorized"
  | "not-well-formed"
  | "policy-violation"
  | "remote-connection-failed"
  | "reset"
  | "resource-constraint"
  | "restricted-xml"
  | "see-other-host"
  | "system-shutdown"
  | "undefined-condition"
  | "unsupported-encoding"
  | "unsupported-feature"
  | "unsupported-stanza-type"
  | "unsupported-version";

/** RFC 6120 §8.3.3 stanza error conditions. */
export type StanzaCondition =
  | "bad-request"
  | "conflict"
  | "feature-not-implemented"
  | "forbidden"
  | "gone"
  | "internal-server-error"
  | "item-not-found"
  | "jid-malformed"
  | "not-acceptable"
  | "not-allowed"
  | "not-authorized"
  | "policy-violation"
  | "recipient-unavailable"
  | "redirect"
  | "registration-required"
  | "remote-server-not-found"
  | "remote-server-timeout"
  | "resource-constraint"
  | "service-unavailable"
  | "subscription-required"
  | "undefined-condition"
  | "unexpected-request";

export type StanzaErrorType = "auth" | "cancel" | "continue" | "modify" | "wait";

/** The error type RFC 6120 §8.3.3 recommends for each condition. */
const DEFAULT_TYPE: Record<StanzaCondition, StanzaErrorType> = {
  "bad-request": "modify",
  conflict: "cancel",
  "feature-not-implemented": "cancel",
  forbidden: "auth",
  gone: "cancel",
  "internal-server-error": "cancel",
  "item-not-found": "cancel",
  "jid-malformed": "modify",
  "not-acceptable": "modify",
  "not-allowed": "cancel",
  "not-authorized": "auth",
  "policy-violation": "modify",
  "recipient-unavailable": "wait",
  redirect: "modify",
  "registration-required": "auth",
  "remote-server-not-found": "cancel",
  "remote-server-timeout": "wait",
  "resource-constraint": "wait",
  "service-unavailable": "cancel",
  "subscription-required": "auth",
  "undefined-condition": "cancel",
  "unexpected-request": "wait",
};

/** A stanza error as a value: what handlers return or throw to refuse a stanza. */
export class StanzaError extends Error {
  readonly condition: StanzaCondition;
  readonly type: StanzaErrorType;
  readonly text: string | undefined;
  readonly code: string;

  constructor(condition: StanzaCondition, text?: string, type?: StanzaErrorType, code?: string) {
    super(text ?? condition);
    this.condition = condition;
    this.type = type ?? DEFAULT_TYPE[condition];
    this.text = text;
    this.code = code ?? `HATO_ERR_STANZA_${condition.toUpperCase().replace(/-/g, "_")}`;
  }

  /** The `<error/>` child (RFC 6120 §8.3.2). `by` names the entity that generated it. */
  toElement(by?: string): Element {
    return xml(
      "error",
      { type: this.type, by },
      xml(this.condition, { xmlns: NS_STANZAS_ERR }),
      this.text !== undefined &&
        xml("text", { xmlns: NS_STANZAS_ERR, "xml:lang": "en" }, this.text),
    );
  }
}

/** A fatal stream error (RFC 6120 §4.9): the stream is closed after sending it. */
export class StreamError extends Error {
  readonly condition: StreamCondition;
  readonly text: string | undefined;
  readonly code: string;

  constructor(condition: StreamCondition, text?: string, code?: string) {
    super(text ?? condition);
    this.condition = condition;
    this.text = text;
    this.code = code ?? `HATO_ERR_STREAM_${condition.toUpperCase().replace(/-/g, "_")}`;
  }

  /** The `<stream:error/>` element. */
  toElement(): Element {
    return xml(
      "error",
      { xmlns: NS_STREAM },
      xml(this.condition, { xmlns: NS_STREAMS_ERR }),
      this.text !== undefined &&
        xml("text", { xmlns: NS_STREAMS_ERR, "xml:lang": "en" }, this.text),
    );
  }
}

/**
 * The error reply to a stanza (RFC 6120 §8.3.1): same name and id, `from`/`to` swapped,
 * type "error", the original payload kept so the sender can correlate it.
 * Returns undefined for stanzas that must never be answered (type error or result).
 */
export function errorReply(stanza: Element, err: StanzaError, by?: string): Element | undefined {
  const type = stanza.attr("type");
  if (type === "error" || (stanza.name === "iq" && type === "result")) return undefined;
  const reply = xml(stanza.name, {
    xmlns: stanza.xmlns,
    type: "error",
    id: stanza.attr("id"),
    from: stanza.attr("to"),
    to: stanza.attr("from"),
  });
  // Keep the request's payload for IQs (RFC 6120 §8.3.1 allows it); messages and
  // presences get only the error, so a bounced message does not echo its body twice.
  if (stanza.name === "iq") {
    for (const c of stanza.children)
      if (typeof c !== "string" && c.name !== "error") reply.append(c);
  }
  return reply.append(err.toElement(by));
}

/** Stable codes for failures that are not XMPP errors (configuration, start-up, CLI). */
export const HatoErrors = {
  CONFIG_INVALID: "HATO_ERR_CONFIG_INVALID",
  CONFIG_UNREADABLE: "HATO_ERR_CONFIG_UNREADABLE",
  EVENT_UNKNOWN: "HATO_ERR_EVENT_UNKNOWN",
  MODULE_FAILED: "HATO_ERR_MODULE_FAILED",
  LISTEN_FAILED: "HATO_ERR_LISTEN_FAILED",
  USER_EXISTS: "HATO_ERR_USER_EXISTS",
  USER_NOT_FOUND: "HATO_ERR_USER_NOT_FOUND",
  JID_INVALID: "HATO_ERR_JID_INVALID",
  WRONG_DOMAIN: "HATO_ERR_WRONG_DOMAIN",
  ADMIN_BAD_REQUEST: "HATO_ERR_ADMIN_BAD_REQUEST",
  ADMIN_TOO_LARGE: "HATO_ERR_ADMIN_TOO_LARGE",
  ADMIN_FAILED: "HATO_ERR_ADMIN_FAILED",
  DATA_IN_USE: "HATO_ERR_DATA_IN_USE",
  INVITE_INVALID: "HATO_ERR_INVITE_INVALID",
  INVITE_CORRUPT: "HATO_ERR_INVITE_CORRUPT",
} as const;

/** A failure outside XMPP with a stable code, e.g. a bad configuration file. */
export class HatoError extends Error {
  readonly code: string;
  constructor(code: (typeof HatoErrors)[keyof typeof HatoErrors], message: string) {
    super(message);
    this.code = code;
  }
}
