// @hato/xml: RFC 6120 restricted XML — element tree, serialiser and the streaming parser.
export { Element, type XmlNode, xml } from "./element.js";
export { DEFAULT_LIMITS, type ParserLimits } from "./limits.js";
export * from "./ns.js";
export * from "./parser.js";
export { escapeAttr, escapeText, serialize } from "./serialize.js";
