// @hato/cli: the `hato` command; also exports certificate helpers that tests use.
export { createCa, createSelfSigned, type PemPair } from "./certs.js";
