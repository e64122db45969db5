// Limits the stream parser enforces while bytes arrive (DESIGN: every input has a limit).

/** Limits on one XML stream; each is checked before the offending construct completes. */
export interface ParserLimits {
  /** Bytes of one top-level stanza, counted from its `<` as they arrive. */
  maxStanzaBytes: number;
  /** Bytes of the stream header (`<?xml ...?>` and the `<stream:stream ...>` start tag). */
  maxHeaderBytes: number;
  /** Element nesting depth inside a stanza (the stanza itself is depth 1). */
  maxDepth: number;
  /** Attributes (namespace declarations included) on one element. */
  maxAttributes: number;
  /** Child nodes (elements and text runs) of one element. */
  maxChildren: number;
  /** Characters of one element or attribute name. */
  maxNameLength: number;
}

export const DEFAULT_LIMITS: Readonly<ParserLimits> = Object.freeze({
  maxStanzaBytes: 256 * 1024,
  maxHeaderBytes: 4096,
  maxDepth: 32,
  maxAttributes: 64,
  maxChildren: 1024,
  maxNameLength: 256,
});
