// Receiving a file end-to-end encrypted (XEP-0454): the aesgcm:// link's ciphertext fetched
// over https within a size limit, checked against the organisation scanner's verdict when
// scanning is required, then decrypted with its GCM tag verified.

import { fromBase64 } from "../base64.js";
import { decryptFile, sha256Hex } from "./cipher.js";
import { fetchHttp, type HttpFunction, type HttpResponse } from "./http.js";
import { type AesgcmLink, httpsOrigin, parseAesgcmLink, toHex } from "./link.js";
import { HandoffError, type ScanHandoff, type ScanVerdict } from "./scan.js";

/** What can go wrong with a download, each with a sentence in `reason`. */
export type DownloadErrorCode =
  /** The text is not a well-formed aesgcm:// link. */
  | "bad-link"
  /** The server has no file there (expired, deleted, quarantined). */
  | "not-found"
  /** Larger than the limit. */
  | "too-large"
  /** The bytes do not decrypt: altered on the way or at rest, or the link's key is not theirs. */
  | "decryption-failed"
  /** The organisation's scanner found malware in the decrypted file. */
  | "infected"
  /** Scanning is required and the file has no clean verdict. */
  | "not-scanned"
  /** The network or the server failed otherwise. */
  | "failed";

/** A download refused or failed: nothing of the file is handed out. */
export class DownloadError extends Error {
  constructor(
    readonly code: DownloadErrorCode,
    readonly reason: string,
  ) {
    super(reason);
    this.name = "DownloadError";
  }
}

/** How downloadEncryptedFile() fetches. */
export interface DownloadOptions {
  /** The HTTP requests; default: fetch. */
  http?: HttpFunction;
  /** The largest ciphertext fetched (default DEFAULT_MAX_DOWNLOAD). */
  maxBytes?: number;
  /** Ciphertext bytes received so far, and the total when the server announced it. */
  onProgress?: (received: number, total?: number) => void;
}

/** A decrypted file. `scan` is the organisation scanner's verdict on exactly these bytes and key. */
export interface DecryptedFile {
  bytes: Uint8Array;
  /** From the URL: untrusted, and random when Hato's web client sent it. */
  name: string;
  scan: "clean" | "not-scanned";
  /** Why it counts as not scanned. */
  scanReason?: string;
}

/** 100 MiB: a file is decrypted in memory. */
export const DEFAULT_MAX_DOWNLOAD = 100 * 1024 * 1024;

/** What the download needs from the client. */
export interface DownloadHost {
  scan: ScanHandoff;
}

/** The SHA-256 a Repr-Digest header (RFC 9530) names, in hex, or undefined. */
export function reprDigest(value: string | undefined): string | undefined {
  const m = /(?:^|,)\s*sha-256=:([A-Za-z0-9+/]{43}=):/.exec(value ?? "");
  if (m === null) return undefined;
  const bin = fromBase64(m[1]!, 32);
  return bin?.length === 32 ? toHex(bin) : undefined;
}

/** The status's DownloadError, or undefined for 200. */
function statusError(res: HttpResponse): DownloadError | undefined {
  if (res.status === 200) return undefined;
  if (res.status === 404 || res.status === 410)
    return new DownloadError("not-found", "the file is no longer on the server");
  return new DownloadError("failed", `the server answered HTTP ${res.status}`);
}

/**
 * Fetches and decrypts the file of an aesgcm:// link. When our organisation requires
 * scanning, the file must have a clean verdict for exactly these bytes and this key; an
 * infected verdict refuses it always. Rejects with DownloadError.
 */
export async function downloadEncrypted(
  host: DownloadHost,
  link: string | AesgcmLink,
  opts: DownloadOptions = {},
): Promise<DecryptedFile> {
  const l = typeof link === "string" ? parseAesgcmLink(link) : link;
  if (l === undefined) throw new DownloadError("bad-link", "this is not a valid aesgcm:// link");
  const http = opts.http ?? fetchHttp;
  const max = opts.maxBytes ?? DEFAULT_MAX_DOWNLOAD;
  const scan = host.scan;
  const [required, origin] = await Promise.all([scan.required(), scan.origin()]).catch(
    (err: unknown) => {
      throw new DownloadError(
        "failed",
        `the server did not say whether files must be scanned (${String(err)})`,
      );
    },
  );
  // Our token and the key's hash go to our own server only; a file elsewhere has no verdict.
  const ours = origin !== undefined && httpsOrigin(l.url) === origin;
  const lookup = async (sha256: string): Promise<ScanVerdict> => {
    try {
      return await scan.verdict(http, sha256, l.iv, l.key);
    } catch (err) {
      const why = err instanceof HandoffError ? err.reason : String(err);
      throw new DownloadError("failed", `the scanner's verdict could not be read: ${why}`);
    }
  };
  const request = (method: "HEAD" | "GET") =>
    http({
      method,
      url: l.url,
      maxBytes: max,
      ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
    }).catch((err: unknown) => {
      throw new DownloadError("failed", `the file could not be fetched (${String(err)})`);
    });
  let verdict: ScanVerdict | undefined;
  let digest: string | undefined;
  if (ours) {
    // The verdict first, by the digest the server announces: a refused file is never fetched.
    const head = await request("HEAD");
    const bad = statusError(head);
    if (bad !== undefined) throw bad;
    const size = Number(head.header("content-length"));
    if (Number.isSafeInteger(size) && size > max) throw tooLarge(max);
    digest = reprDigest(head.header("repr-digest"));
    if (digest !== undefined) {
      verdict = await lookup(digest);
      gate(verdict, required);
    }
  } else if (required)
    throw new DownloadError(
      "not-scanned",
      "your organisation requires scanned files, and this file is not on your server, so its scanner cannot vouch for it",
    );
  const got = await request("GET");
  if (got.tooLarge) throw tooLarge(max);
  const bad = statusError(got);
  if (bad !== undefined) throw bad;
  if (ours) {
    const sha256 = await sha256Hex(got.body);
    if (digest !== undefined && sha256 !== digest)
      throw new DownloadError("failed", "the bytes received are not those the server described");
    verdict ??= await lookup(sha256);
    gate(verdict, required);
  }
  const plain = await decryptFile(got.body, l.iv, l.key);
  if (plain === undefined)
    throw new DownloadError(
      "decryption-failed",
      "the file does not decrypt: it was altered, or the link's key is not its key",
    );
  const clean = verdict?.status === "clean";
  return {
    bytes: plain,
    name: l.name,
    scan: clean ? "clean" : "not-scanned",
    ...(clean
      ? {}
      : {
          scanReason:
            verdict === undefined
              ? "no scanner of your organisation looked at this file"
              : (verdict.reason ?? "the sender's client did not hand the file to the scanner"),
        }),
  };
}

function tooLarge(max: number): DownloadError {
  return new DownloadError("too-large", `the file is larger than the limit of ${max} bytes`);
}

/** Refuses an infected file always, and one without a clean verdict when scanning is required. */
function gate(v: ScanVerdict, required: boolean): void {
  if (v.status === "infected")
    throw new DownloadError(
      "infected",
      `the scanner found malware in this file${v.reason ? `: ${v.reason}` : ""}`,
    );
  if (required && v.status !== "clean")
    throw new DownloadError(
      "not-scanned",
      v.status === "refused"
        ? `your organisation requires scanned files, and the scanner could not check this one${v.reason ? `: ${v.reason}` : ""}`
        : "your organisation requires scanned files, and this one was never scanned (the sender's client did not hand it to the scanner)",
    );
}
