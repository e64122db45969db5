// Sending a file end-to-end encrypted (XEP-0454): encrypt, upload the ciphertext (XEP-0363),
// hand the key to the organisation's scanner when it requires scanning, and only then let
// the caller send the aesgcm:// link in an OMEMO message.

import { randomBytes, sleep } from "../platform.js";
import { checkPut, fetchPut, type PutFunction, type Slot, UploadError } from "../upload.js";
import { encryptFile } from "./cipher.js";
import { fetchHttp, type HttpFunction } from "./http.js";
import { formatAesgcmLink, toHex } from "./link.js";
import { HandoffError, type ScanHandoff, type ScanVerdict } from "./scan.js";

/** A file to send encrypted: the bytes as a Uint8Array, or a Blob/File (browsers). */
export interface EncryptedUploadFile {
  name: string;
  type: string;
  body: Uint8Array | { arrayBuffer(): Promise<ArrayBuffer> };
}

/** How sendEncryptedFile() uploads, and what it reports on the way. */
export interface EncryptedUploadOptions {
  /** The HTTP PUT (default: fetch, which cannot report upload progress). */
  put?: PutFunction;
  /** The other HTTP requests (the scanner hand-off); default: fetch. */
  http?: HttpFunction;
  /** Ciphertext bytes sent so far; when sent equals total, the server is scanning. */
  onProgress?: (sent: number, total: number) => void;
  /** The slot, once the server granted it (before any byte is sent). */
  onSlot?: (slot: Slot) => void;
  /** The key is being handed to the organisation's scanner (it requires scanning). */
  onHandoff?: () => void;
}

/** What the upload produced: the link to send, and the scanner's verdict when it was asked. */
export interface EncryptedUpload {
  link: string;
  url: string;
  /** The name the upload has on the server (random, with the file's extension). */
  storedName: string;
  /** Plaintext bytes. */
  size: number;
  scan: "clean" | "not-scanned";
}

/** What the upload needs from the client. */
export interface SendHost {
  requestSlot(name: string, size: number, type: string): Promise<Slot>;
  scan: ScanHandoff;
}

/** Hand-offs tried while the server is busy with others. */
const BUSY_ATTEMPTS = 3;

/** The bytes of a file body. */
export async function bytesOf(body: EncryptedUploadFile["body"]): Promise<Uint8Array> {
  if (body instanceof Uint8Array) return body;
  if (typeof (body as { arrayBuffer?: unknown })?.arrayBuffer === "function")
    return new Uint8Array(await body.arrayBuffer());
  throw new TypeError("the file's body must be a Uint8Array or a Blob");
}

/**
 * A random name keeping only the file's extension: the server stores ciphertext and sees its
 * size and declared type, but not what the user called the file. The extension stays because
 * the scanner judges programs and scripts by name too.
 */
export function storedName(name: string): string {
  const ext = /\.[A-Za-z0-9]{1,10}$/.exec(name)?.[0]?.toLowerCase() ?? "";
  return `${toHex(randomBytes(12))}${ext}`;
}

/**
 * Encrypts and uploads `file`; `seal(link)` runs once the slot (hence the link) is known and
 * before any byte is sent, so that a peer nobody can encrypt to costs no upload. Rejects with
 * UploadError (nothing to send then): the slot's and the PUT's errors, and the hand-off's
 * `infected`, `not-scanned`, `scanner-unavailable` when the organisation requires scanning.
 */
export async function uploadEncrypted(
  host: SendHost,
  file: EncryptedUploadFile,
  opts: EncryptedUploadOptions,
  seal: (link: string) => Promise<void>,
): Promise<EncryptedUpload> {
  // Asked first: a client that cannot learn its organisation's rule sends nothing.
  const required = await host.scan.required().catch((err: unknown) => {
    throw new UploadError(
      "failed",
      `the server did not say whether files must be scanned (${String(err)})`,
    );
  });
  const plain = await bytesOf(file.body);
  const enc = await encryptFile(plain);
  const name = storedName(file.name);
  const slot = await host.requestSlot(name, enc.data.length, file.type);
  opts.onSlot?.(slot);
  const link = formatAesgcmLink(slot.get, enc.iv, enc.key);
  await seal(link);
  const headers: Record<string, string> = { ...slot.headers };
  if (file.type !== "") headers["Content-Type"] = file.type;
  let res: Awaited<ReturnType<PutFunction>>;
  try {
    res = await (opts.put ?? fetchPut)(slot.put, enc.data, headers, opts.onProgress);
  } catch (err) {
    throw new UploadError("failed", `the upload did not reach the server (${String(err)})`);
  }
  checkPut(res);
  const base = { link, url: slot.get, storedName: name, size: plain.length };
  // Only an organisation that requires scanning gets the key: otherwise the file stays
  // end-to-end secret and receivers see it as not scanned.
  if (!required) return { ...base, scan: "not-scanned" };
  opts.onHandoff?.();
  const verdict = await handOff(host.scan, opts.http ?? fetchHttp, slot.get, enc.iv, enc.key);
  if (verdict.status === "clean") return { ...base, scan: "clean" };
  if (verdict.status === "infected") throw new UploadError("infected", verdict.reason);
  throw new UploadError("not-scanned", verdict.reason);
}

/** The hand-off, waiting for the scanner when it is busy; its errors as UploadErrors. */
async function handOff(
  scan: ScanHandoff,
  http: HttpFunction,
  url: string,
  iv: Uint8Array,
  key: Uint8Array,
): Promise<ScanVerdict> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await scan.handOff(http, url, iv, key);
    } catch (err) {
      if (!(err instanceof HandoffError))
        throw new UploadError("failed", `the scanner could not be reached (${String(err)})`);
      if (err.code === "busy" && attempt < BUSY_ATTEMPTS) {
        await sleep(2000);
        continue;
      }
      if (err.code === "scanner-unavailable" || err.code === "busy")
        throw new UploadError("scanner-unavailable", err.reason);
      if (err.code === "file-too-large") throw new UploadError("file-too-large", err.reason);
      throw new UploadError("failed", `the scanner refused the file: ${err.reason}`);
    }
  }
}
