// The hand-off's HTTP side: POST /scan/encrypted (decrypt in memory, scan, record) and
// GET /scan/verdict (both hashes must match one record).

import { randomBytes } from "node:crypto";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import { join } from "node:path";
import { sendError, sendJson } from "@hato/core";
import type { FileRecord } from "@hato/storage";
import { ScannerUnavailable, type Verdict } from "../scan/types.js";
import { parseUploadPath, secretMatches, type UploadService } from "../upload/service.js";
import { decryptAesGcm, hexBytes, keyHash, sha256Hex, TAG_BYTES } from "./crypto.js";
import type { RateLimiter, TokenStore } from "./tokens.js";
import type { VerdictStore } from "./verdicts.js";

/** A hand-off request is three short strings; anything bigger is not one. */
export const MAX_REQUEST_BYTES = 4096;
/** Hand-offs decrypting at once, server-wide: each holds a file and its plaintext in memory. */
const MAX_CONCURRENT = 2;

export interface HandoffContext {
  svc: UploadService;
  tokens: TokenStore;
  rate: RateLimiter;
  verdicts: VerdictStore;
  /** Largest ciphertext decrypted (files.handoff-max-bytes, at most upload.max-file-bytes). */
  maxBytes: number;
  /** Private folder where the plaintext lies for the scanner, only while it scans. */
  scratch: string;
}

/** The user of the request's bearer token; answers 401 itself when there is none. */
function authenticate(ctx: HandoffContext, req: IncomingMessage, res: ServerResponse) {
  const m = /^Bearer ([A-Za-z0-9_-]{16,128})$/.exec(req.headers.authorization ?? "");
  const user = m === null ? undefined : ctx.tokens.user(m[1]!);
  if (user === undefined)
    sendError(
      res,
      401,
      "unauthenticated",
      "send a token from <token xmlns='urn:hato:scan:0'/> (asked for over XMPP) as Authorization: Bearer",
      { "WWW-Authenticate": 'Bearer realm="hato-scan"' },
    );
  return user;
}

/** The body, or undefined (413 sent) when it is over MAX_REQUEST_BYTES. */
function readBody(req: IncomingMessage, res: ServerResponse): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_REQUEST_BYTES) {
        chunks.push(chunk);
        return;
      }
      // Stop reading; the answer goes out with Connection: close and the rest is never read.
      req.off("data", onData);
      req.pause();
      res.setHeader("Connection", "close");
      sendError(
        res,
        413,
        "body-too-large",
        `a hand-off request is at most ${MAX_REQUEST_BYTES} bytes of JSON`,
      );
      resolve(undefined);
    };
    req.on("data", onData);
    req.once("end", () => resolve(Buffer.concat(chunks)));
    req.once("error", reject);
  });
}

let running = 0;

/** POST /scan/encrypted: `{ url, key, iv }` of an XEP-0454 file uploaded here. */
export async function handleHandoff(
  ctx: HandoffContext,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const user = authenticate(ctx, req, res);
  if (user === undefined) return;
  if (!/^application\/json(?:;|$)/i.test(req.headers["content-type"] ?? ""))
    return sendError(res, 415, "unsupported-media-type", "send the request as application/json");
  const wait = ctx.rate.take(user);
  if (wait !== undefined)
    return sendError(res, 429, "rate-limited", "too many scan requests this minute", {
      "Retry-After": String(wait),
    });
  const body = await readBody(req, res);
  if (body === undefined) return;

  let input: { url?: unknown; key?: unknown; iv?: unknown };
  try {
    input = JSON.parse(body.toString("utf8"));
  } catch {
    return sendError(res, 400, "bad-request", "the body is not JSON");
  }
  if (typeof input !== "object" || input === null || Array.isArray(input))
    return sendError(res, 400, "bad-request", "the body must be a JSON object { url, key, iv }");
  const key = hexBytes(input.key, 32);
  // XEP-0454 uses 12-byte IVs; files from older clients have 16-byte ones.
  const iv = hexBytes(input.iv, 12, 16);
  if (key === undefined || iv === undefined)
    return sendError(
      res,
      400,
      "bad-request",
      "key must be 32 bytes and iv 12 (or 16) bytes, both in hex",
    );
  const parts = typeof input.url === "string" ? uploadPath(ctx, input.url) : undefined;
  const file = parts && (await ctx.svc.api.storage.files.get(parts.id));
  if (
    parts === undefined ||
    file === undefined ||
    !secretMatches(parts.secret, file.secretHash) ||
    parts.name !== file.name ||
    (file.state !== "clean" && file.state !== "not-scanned") ||
    ctx.svc.tooOld(file)
  )
    return sendError(res, 404, "not-found", "url is not the address of a file uploaded here");
  if (file.size < TAG_BYTES)
    return sendError(res, 422, "not-encrypted", "the file is too short to hold an AES-GCM tag");
  if (file.size > ctx.maxBytes)
    return sendError(
      res,
      413,
      "file-too-large",
      `encrypted files are scanned up to ${ctx.maxBytes} bytes; this one stays not scanned`,
    );
  if (running >= MAX_CONCURRENT)
    return sendError(res, 503, "busy", "other files are being scanned; try again shortly", {
      "Retry-After": "2",
    });
  running++;
  try {
    await scanEncrypted(ctx, res, file, key, iv, user);
  } finally {
    running--;
  }
}

/** The slot of an upload URL of this server, or undefined. */
function uploadPath(ctx: HandoffContext, url: string) {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return undefined;
  }
  if (u.origin !== new URL(ctx.svc.origin()).origin || u.search !== "" || u.hash !== "")
    return undefined;
  try {
    return parseUploadPath(decodeURIComponent(u.pathname));
  } catch {
    return undefined;
  }
}

async function scanEncrypted(
  ctx: HandoffContext,
  res: ServerResponse,
  file: FileRecord,
  key: Buffer,
  iv: Buffer,
  user: string,
): Promise<void> {
  let stored: Buffer;
  try {
    stored = await readFile(ctx.svc.path("files", file.id));
  } catch {
    return sendError(res, 404, "not-found", "url is not the address of a file uploaded here");
  }
  // The hash of the bytes as they are now, computed here: never one a client claims.
  const sha256 = sha256Hex(stored);
  const kh = keyHash(key, iv);
  const plain = decryptAesGcm(stored, key, iv);
  if (plain === undefined)
    return sendError(
      res,
      422,
      "decryption-failed",
      "the AES-GCM tag does not verify with this key and IV: they are not this file's",
    );
  // The Scanner interface reads files, so the plaintext lies in a private folder of the
  // server for exactly as long as the scan takes.
  const scratch = join(ctx.scratch, randomBytes(16).toString("hex"));
  let verdict: Verdict;
  try {
    await writeFile(scratch, plain, { mode: 0o600, flag: "wx" });
    verdict = await ctx.svc.scanner.scan({
      path: scratch,
      name: file.name,
      type: file.type,
      size: plain.length,
    });
  } catch (err) {
    if (!(err instanceof ScannerUnavailable)) ctx.svc.log.error("hand-off scan failed", { err });
    return sendError(
      res,
      503,
      "scanner-unavailable",
      "The virus scanner is not available, so the file stays not scanned; try again later.",
      { "Retry-After": "30" },
    );
  } finally {
    plain.fill(0);
    await rm(scratch, { force: true });
  }
  const reason =
    verdict.status === "infected"
      ? `${verdict.reason} (${verdict.signature})`
      : verdict.status === "refused"
        ? verdict.reason
        : undefined;
  await ctx.verdicts.record(sha256, kh, {
    status: verdict.status,
    ...(reason === undefined ? {} : { reason }),
    engine: verdict.engine,
    scanned: new Date().toISOString(),
  });
  // The audit event names the uploader, like the upload's own verdicts; the log adds who asked.
  const event = {
    user: file.owner,
    slot: file.id,
    name: file.name,
    size: file.size,
    sha256,
    verdict: verdict.status,
    engine: verdict.engine,
    reason,
  };
  ctx.svc.log[verdict.status === "clean" ? "info" : "warn"]("encrypted file verdict", {
    ...event,
    askedBy: user,
  });
  void ctx.svc.api.fire("upload-verdict", event);
  if (verdict.status === "infected") {
    // Nobody may fetch it any more, whatever key they hold.
    if (await ctx.svc.api.storage.files.transition(file.id, file.state, "infected", { reason }))
      await rename(ctx.svc.path("files", file.id), ctx.svc.path("quarantine", file.id)).catch(
        () => {},
      );
  }
  sendJson(res, 200, {
    status: verdict.status,
    ...(reason === undefined ? {} : { reason }),
    sha256,
    keyhash: kh,
  });
}

/** GET /scan/verdict?sha256=<hex>&keyhash=<hex>: what a receiving client checks before it downloads. */
export async function handleVerdict(
  ctx: HandoffContext,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  if (authenticate(ctx, req, res) === undefined) return;
  const query = new URLSearchParams((req.url ?? "").split("?")[1] ?? "");
  const sha256 = query.get("sha256")?.toLowerCase();
  const kh = query.get("keyhash")?.toLowerCase();
  if (hexBytes(sha256, 32) === undefined || hexBytes(kh, 32) === undefined)
    return sendError(
      res,
      400,
      "bad-request",
      "sha256 and keyhash must each be a SHA-256 digest in hex",
    );
  const found = await ctx.verdicts.find(sha256!, kh!);
  if (found === undefined) return sendJson(res, 200, { status: "not-scanned" });
  sendJson(res, 200, {
    status: found.status,
    ...(found.reason === undefined ? {} : { reason: found.reason }),
  });
}

/** Creates the scratch folder empty (a crash could have left plaintext in it). */
export async function prepareScratch(folder: string): Promise<void> {
  await rm(folder, { recursive: true, force: true });
  await mkdir(folder, { recursive: true, mode: 0o700 });
}
