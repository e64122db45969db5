// SCRAM-SHA-1/-256 and -PLUS, server side (RFC 5802, RFC 7677; channel binding RFC 9266, RFC 5929).
import { randomBytes } from "node:crypto";
import type { ChannelBindingType } from "./channel-binding.js";
import {
  failure,
  isAuthorized,
  prepareUsername,
  type SaslContext,
  type SaslStep,
} from "./context.js";
import { SaslError } from "./errors.js";
import {
  digest,
  HASH_LENGTH,
  type HashName,
  hmac,
  type ScramCredentials,
  safeEqual,
  xor,
} from "./scram-crypto.js";
import {
  decodeBase64,
  decodeSaslname,
  decodeUtf8,
  expectAttribute,
  isPrintable,
  MAX_MESSAGE_BYTES,
  parseAttribute,
} from "./scram-syntax.js";

export interface ScramMechanism {
  name: string;
  hash: HashName;
  plus: boolean;
}

/** 24 random bytes as base64: 32 printable characters, no padding. */
export function randomNonce(): string {
  return randomBytes(24).toString("base64");
}

// Everything learnt from client-first-message that the final step needs.
interface Exchange {
  username?: string; // prepared; undefined when prepUsername rejected it
  known: boolean;
  creds: ScramCredentials;
  authzid?: string;
  clientFirstBare: string;
  serverFirst: string;
  nonce: string;
  expectedC: string;
}

type Parsed<T> = T | { fail: SaslStep };

function malformed(text: string, username?: string): { fail: SaslStep } {
  return { fail: failure("malformed-request", text, username) };
}

/** Reads one client message (size cap, strict UTF-8, no NUL); an object carries the error text. */
function readMessage(buf: Buffer, what: string): string | { error: string } {
  if (buf.length === 0) return { error: `empty ${what}` };
  if (buf.length > MAX_MESSAGE_BYTES) {
    return { error: `${what} exceeds ${MAX_MESSAGE_BYTES} bytes` };
  }
  const text = decodeUtf8(buf);
  if (text === null) return { error: `${what} is not valid UTF-8` };
  if (text.includes("\0")) return { error: `${what} contains NUL` };
  return text;
}

interface ClientFirst {
  cbName?: string;
  flag: "n" | "y" | "p";
  authzid?: string;
  gs2Header: string;
  bare: string;
  user: string;
  clientNonce: string;
}

function parseClientFirst(msg: string): Parsed<ClientFirst> {
  const c1 = msg.indexOf(",");
  const c2 = c1 < 0 ? -1 : msg.indexOf(",", c1 + 1);
  if (c2 < 0) {
    return malformed("GS2 header must be 'n,', 'y,' or 'p=<type>,' then an authzid and ','");
  }
  const flagPart = msg.slice(0, c1);
  let flag: ClientFirst["flag"];
  let cbName: string | undefined;
  if (flagPart === "n" || flagPart === "y") flag = flagPart;
  else if (/^p=[A-Za-z0-9.-]+$/.test(flagPart)) {
    flag = "p";
    cbName = flagPart.slice(2);
  } else return malformed("invalid GS2 channel binding flag");
  const authzPart = msg.slice(c1 + 1, c2);
  let authzid: string | undefined;
  if (authzPart !== "") {
    const value = expectAttribute(authzPart, "a");
    const decoded = value === null ? null : decodeSaslname(value);
    if (decoded === null) return malformed("invalid authzid (a=) in GS2 header");
    authzid = decoded;
  }
  const bare = msg.slice(c2 + 1);
  const parts = bare.split(",");
  if (parseAttribute(parts[0])?.name === "m") {
    return malformed("mandatory extension m= is not supported");
  }
  const rawUser = expectAttribute(parts[0], "n");
  if (rawUser === null) return malformed("client-first-message must start with the username (n=)");
  const user = decodeSaslname(rawUser);
  if (user === null) {
    return malformed("username is not a valid saslname (only =2C and =3D escapes)");
  }
  const clientNonce = expectAttribute(parts[1], "r");
  if (clientNonce === null) return malformed("nonce (r=) must follow the username");
  if (!isPrintable(clientNonce)) {
    return malformed("client nonce must be printable ASCII without ','");
  }
  if (parts.length > 2) return malformed("extension attributes are not supported");
  const gs2Header = msg.slice(0, c2 + 1);
  return { flag, ...(cbName ? { cbName } : {}), authzid, gs2Header, bare, user, clientNonce };
}

// RFC 5802 §6 channel binding negotiation; returns the bytes c= must carry.
function bindingInput(mech: ScramMechanism, ctx: SaslContext, first: ClientFirst): Parsed<Buffer> {
  const header = Buffer.from(first.gs2Header, "utf8");
  if (first.flag !== "p") {
    if (mech.plus) return malformed(`${mech.name} requires channel binding (p=<type>)`);
    if (first.flag === "y" && ctx.mechanismsOffered.some((m) => m.endsWith("-PLUS"))) {
      return {
        fail: failure("not-authorized", "channel binding downgrade: the server offered -PLUS"),
      };
    }
    return header;
  }
  if (!mech.plus) return malformed(`channel binding requested with ${mech.name}; use -PLUS`);
  const type = first.cbName as ChannelBindingType;
  const data = ctx.channelBinding?.types.includes(type) ? ctx.channelBinding.get(type) : undefined;
  if (!data) return malformed(`unsupported channel binding type ${first.cbName}`);
  return Buffer.concat([header, data]);
}

function usable(creds: ScramCredentials, hash: HashName): boolean {
  const len = HASH_LENGTH[hash];
  return (
    Number.isSafeInteger(creds.iterations) &&
    creds.iterations > 0 &&
    creds.salt.length > 0 &&
    creds.storedKey.length === len &&
    creds.serverKey.length === len
  );
}

async function handleClientFirst(
  mech: ScramMechanism,
  ctx: SaslContext,
  nonce: () => string,
  msg: string,
): Promise<Parsed<Exchange>> {
  const first = parseClientFirst(msg);
  if ("fail" in first) return first;
  const cbInput = bindingInput(mech, ctx, first);
  if ("fail" in cbInput) return cbInput;
  let username: string | undefined;
  let creds: ScramCredentials | undefined;
  let fakeSalt: Buffer | undefined;
  try {
    username = prepareUsername(ctx, first.user) ?? undefined;
    if (username !== undefined) creds = await ctx.lookup(username, mech.hash);
    if (!creds) fakeSalt = ctx.fakeSalt(username ?? first.user, mech.hash);
  } catch {
    return { fail: failure("temporary-auth-failure", "credential lookup failed", username) };
  }
  if (creds && !usable(creds, mech.hash)) {
    return { fail: failure("temporary-auth-failure", "stored credentials are unusable", username) };
  }
  const known = creds !== undefined;
  if (!creds) {
    // Unknown (or unpreparable) user: same message shape, fails only at the proof check.
    const len = HASH_LENGTH[mech.hash];
    creds = {
      iterations: ctx.iterations,
      salt: fakeSalt!,
      storedKey: randomBytes(len),
      serverKey: randomBytes(len),
    };
  }
  const serverNonce = nonce();
  if (!isPrintable(serverNonce)) {
    throw new SaslError(
      "HATO_ERR_SASL_ARGUMENT",
      "server nonce must be printable ASCII without ','",
    );
  }
  const combined = first.clientNonce + serverNonce;
  return {
    ...(username !== undefined ? { username } : {}),
    known,
    creds,
    ...(first.authzid !== undefined ? { authzid: first.authzid } : {}),
    clientFirstBare: first.bare,
    serverFirst: `r=${combined},s=${creds.salt.toString("base64")},i=${creds.iterations}`,
    nonce: combined,
    expectedC: cbInput.toString("base64"),
  };
}

function handleClientFinal(
  mech: ScramMechanism,
  ctx: SaslContext,
  ex: Exchange,
  msg: string,
): SaslStep {
  const user = ex.username;
  const bad = (text: string) => failure("malformed-request", text, user);
  const parts = msg.split(",");
  const c = expectAttribute(parts[0], "c");
  if (c === null) return bad("client-final-message must start with channel binding (c=)");
  const r = expectAttribute(parts[1], "r");
  if (r === null) return bad("nonce (r=) must follow channel binding (c=)");
  const p = parts.length >= 3 ? expectAttribute(parts[parts.length - 1], "p") : null;
  if (p === null) return bad("client-final-message must end with the proof (p=)");
  if (parts.length > 3) {
    const mext = parts.slice(2, -1).some((x) => parseAttribute(x)?.name === "m");
    return bad(
      mext ? "mandatory extension m= is not supported" : "extension attributes are not supported",
    );
  }
  const proof = decodeBase64(p);
  if (proof === null) return bad("proof (p=) is not valid base64");
  if (proof.length !== HASH_LENGTH[mech.hash]) return bad("proof (p=) has the wrong length");
  if (decodeBase64(c) === null) return bad("channel binding (c=) is not valid base64");
  if (r !== ex.nonce) return failure("not-authorized", "nonce does not match", user);
  if (!safeEqual(Buffer.from(c), Buffer.from(ex.expectedC))) {
    return failure("not-authorized", "channel binding data does not match", user);
  }
  const withoutProof = msg.slice(0, msg.lastIndexOf(","));
  const authMessage = `${ex.clientFirstBare},${ex.serverFirst},${withoutProof}`;
  // Same work for unknown users: their random StoredKey simply never matches.
  const clientKey = xor(proof, hmac(mech.hash, ex.creds.storedKey, authMessage));
  const proofOk = safeEqual(digest(mech.hash, clientKey), ex.creds.storedKey);
  if (!proofOk || !ex.known || user === undefined) {
    return failure("not-authorized", "authentication failed", user);
  }
  if (ex.authzid !== undefined && !isAuthorized(ctx, user, ex.authzid)) {
    return failure("invalid-authzid", "not allowed to act as the requested authzid", user);
  }
  const signature = hmac(mech.hash, ex.creds.serverKey, authMessage).toString("base64");
  return {
    kind: "success",
    data: Buffer.from(`v=${signature}`),
    username: user,
    ...(ex.authzid !== undefined ? { authzid: ex.authzid } : {}),
  };
}

/** The step function of one SCRAM exchange; the caller enforces single use. */
export function scramSteps(
  mech: ScramMechanism,
  ctx: SaslContext,
  nonce: () => string = randomNonce,
): (response: Buffer | null) => Promise<SaslStep> {
  let state: "initial" | "first" | "final" = "initial";
  let exchange: Exchange | undefined;
  return async (response) => {
    if (response === null) {
      if (state !== "initial") {
        return failure("malformed-request", "empty response", exchange?.username);
      }
      state = "first";
      return { kind: "challenge", data: Buffer.alloc(0) };
    }
    if (state !== "final") {
      const text = readMessage(response, "client-first-message");
      if (typeof text !== "string") return failure("malformed-request", text.error);
      const result = await handleClientFirst(mech, ctx, nonce, text);
      if ("fail" in result) return result.fail;
      exchange = result;
      state = "final";
      return { kind: "challenge", data: Buffer.from(result.serverFirst) };
    }
    const text = readMessage(response, "client-final-message");
    if (typeof text !== "string") {
      return failure("malformed-request", text.error, exchange?.username);
    }
    return handleClientFinal(mech, ctx, exchange!, text);
  };
}
