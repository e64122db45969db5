// PLAIN, server side (RFC 4616): "[authzid] NUL authcid NUL passwd", only ever offered over TLS.
import {
  failure,
  isAuthorized,
  prepareUsername,
  type SaslContext,
  type SaslStep,
} from "./context.js";
import { decodeUtf8 } from "./scram-syntax.js";

/** Longest authzid, authcid or password accepted, in bytes (RFC 4616 requires at least 255). */
export const PLAIN_MAX_FIELD_BYTES = 1023;

function splitNul(buf: Buffer): Buffer[] {
  const fields: Buffer[] = [];
  let start = 0;
  for (let i = buf.indexOf(0); i !== -1; i = buf.indexOf(0, start)) {
    fields.push(buf.subarray(start, i));
    start = i + 1;
  }
  fields.push(buf.subarray(start));
  return fields;
}

async function checkPlain(ctx: SaslContext, message: Buffer): Promise<SaslStep> {
  const bad = (text: string) => failure("malformed-request", text);
  if (message.length > 3 * PLAIN_MAX_FIELD_BYTES + 2) return bad("PLAIN message is too long");
  const fields = splitNul(message);
  if (fields.length !== 3) return bad("PLAIN message must be authzid NUL authcid NUL password");
  if (fields.some((f) => f.length > PLAIN_MAX_FIELD_BYTES)) {
    return bad(`PLAIN fields are limited to ${PLAIN_MAX_FIELD_BYTES} bytes`);
  }
  const [authzid, authcid, password] = fields.map(decodeUtf8);
  if (authzid == null || authcid == null || password == null) {
    return bad("PLAIN message is not valid UTF-8");
  }
  if (authcid === "") return bad("empty authentication identity");
  if (password === "") return bad("empty password");
  let username: string | null;
  try {
    username = prepareUsername(ctx, authcid);
  } catch {
    return failure("temporary-auth-failure", "username preparation failed");
  }
  if (username === null) return failure("not-authorized", "authentication failed");
  let ok: boolean;
  try {
    ok = await ctx.verifyPlain(username, password);
  } catch {
    return failure("temporary-auth-failure", "password verification failed", username);
  }
  if (!ok) return failure("not-authorized", "authentication failed", username);
  if (authzid !== "" && !isAuthorized(ctx, username, authzid)) {
    return failure("invalid-authzid", "not allowed to act as the requested authzid", username);
  }
  return { kind: "success", username, ...(authzid !== "" ? { authzid } : {}) };
}

/** The step function of one PLAIN exchange; the caller enforces single use. */
export function plainSteps(ctx: SaslContext): (response: Buffer | null) => Promise<SaslStep> {
  let challenged = false;
  return async (response) => {
    if (response === null) {
      if (challenged) return failure("malformed-request", "empty response");
      challenged = true;
      return { kind: "challenge", data: Buffer.alloc(0) };
    }
    return checkPlain(ctx, response);
  };
}
