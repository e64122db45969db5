// Fatal parse errors and the stream-error condition each maps to (RFC 6120 §4.9.3).

/** The stream error a parse failure becomes. */
export type XmlErrorCondition = "restricted-xml" | "not-well-formed" | "policy-violation";

/** What went wrong, precisely enough to put in the stream error's <text/>. */
export interface XmlStreamError {
  condition: XmlErrorCondition;
  text: string;
}

/** Thrown inside the parser and caught at its boundary; never escapes write(). */
export class XmlFailure {
  constructor(
    readonly condition: XmlErrorCondition,
    readonly text: string,
  ) {}
}

/** Aborts parsing with a fatal error. */
export function fail(condition: XmlErrorCondition, text: string): never {
  throw new XmlFailure(condition, text);
}

/** Formats a code point as U+XXXX for error texts. */
export function codePointName(cp: number): string {
  return "U+" + cp.toString(16).toUpperCase().padStart(4, "0");
}
