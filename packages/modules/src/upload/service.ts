// The upload service's state: settings, folders, the scanner, uploads in flight, and the
// helpers the slot, PUT, GET and expiry parts share.

import { createHash, timingSafeEqual } from "node:crypto";
import { mkdir, readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import {
  type Config,
  deleteUpload,
  type Logger,
  type ModuleApi,
  type UploadFolders,
  uploadFolders,
  uploadPath,
} from "@hato/core";
import type { FileRecord } from "@hato/storage";
import type { Scanner } from "../scan/types.js";

/** The XEP-0363 namespace (version 1.1). */
export const NS_UPLOAD = "urn:xmpp:http:upload:0";
/** Where the one port serves uploads. */
export const UPLOAD_PREFIX = "/upload/";

export type { UploadFolders };

/** Everything the parts of the upload module share. */
export class UploadService {
  readonly settings: Config["upload"];
  readonly whenDown: Config["scan"]["whenDown"];
  readonly folders: UploadFolders;
  /** Slots whose PUT is running now: expiry leaves them alone. */
  readonly inFlight = new Set<string>();
  readonly log: Logger;

  constructor(
    readonly api: ModuleApi,
    readonly scanner: Scanner,
  ) {
    this.settings = api.config.upload;
    this.whenDown = api.config.scan.whenDown;
    this.log = api.log;
    this.folders = uploadFolders(api.config.data);
  }

  private prepared: Promise<void> | undefined;

  /** Creates the folders, private to the server's user, at the first upload. */
  prepare(): Promise<void> {
    this.prepared ??= (async () => {
      for (const dir of Object.values(this.folders))
        await mkdir(dir, { recursive: true, mode: 0o700 });
      // Partial files of uploads a crash cut off: nothing is in flight before the first PUT.
      for (const name of await readdir(this.folders.incoming))
        await rm(join(this.folders.incoming, name), { force: true });
    })().catch((err: unknown) => {
      this.prepared = undefined; // try again at the next upload
      throw err;
    });
    return this.prepared;
  }

  /** `https://host[:port]` of the one port, as clients reach it. */
  origin(): string {
    const { http, domain, tlsPort } = this.api.config;
    const host = http.publicHost !== "" ? http.publicHost : `${domain}:${tlsPort}`;
    return `https://${host.replace(/:443$/, "")}`;
  }

  /** The bytes of a file in one of its folders. */
  path(where: keyof UploadFolders, id: string): string {
    return uploadPath(this.folders, where, id);
  }

  /** Deletes a slot's bytes wherever they are, and its record (freeing its quota). */
  async discard(file: FileRecord): Promise<void> {
    await deleteUpload(this.api.storage, this.folders, file);
  }

  /** Whether a stored file is past `upload.expire-days`. */
  tooOld(file: FileRecord, now = Date.now()): boolean {
    const days = this.settings.expireDays;
    return days > 0 && file.created.getTime() < now - days * 86_400_000;
  }
}

/** SHA-256 of a URL secret, hex: what is stored instead of the secret. */
export function secretHash(secret: string): string {
  return createHash("sha256").update(secret).digest("hex");
}

/** Compares a presented secret with a stored hash in constant time. */
export function secretMatches(secret: string, storedHash: string): boolean {
  const a = Buffer.from(secretHash(secret), "hex");
  const b = Buffer.from(storedHash, "hex");
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The slot id, secret and name of an upload URL path, or undefined when it is not one. */
export function parseUploadPath(
  path: string,
): { id: string; secret: string; name: string } | undefined {
  const m = /^\/upload\/([A-Za-z0-9_-]{16,64})\/([A-Za-z0-9_-]{22,128})\/([^/]+)$/.exec(path);
  return m === null ? undefined : { id: m[1]!, secret: m[2]!, name: m[3]! };
}

/** Megabytes with one decimal, for texts users read. */
export function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}
