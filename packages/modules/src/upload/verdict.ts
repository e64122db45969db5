// The scanner's verdict on a complete upload, and what follows from it: released (201),
// quarantined (422), deleted (422, 503), or kept as not scanned when the admin chose so.

import { rename, rm } from "node:fs/promises";
import type { ServerResponse } from "node:http";
import { sendError, sendJson } from "@hato/core";
import type { FileRecord } from "@hato/storage";
import { ScannerUnavailable, type Verdict } from "../scan/types.js";
import type { UploadService } from "./service.js";

/** Scans the complete file and answers by its verdict; only a clean (or accepted unscanned) file is released. */
export async function release(
  svc: UploadService,
  res: ServerResponse,
  file: FileRecord,
  sha256: string,
): Promise<void> {
  const files = svc.api.storage.files;
  const incoming = svc.path("incoming", file.id);
  let verdict: Verdict | undefined;
  let unavailable = "";
  try {
    verdict = await svc.scanner.scan({
      path: incoming,
      name: file.name,
      type: file.type,
      size: file.size,
    });
  } catch (err) {
    if (err instanceof ScannerUnavailable) unavailable = err.message;
    else {
      // A scanner that breaks on a file did not find it harmless: refused even when
      // scan.when-down accepts, or a file crafted to crash the engine would get through.
      svc.log.error("scanner failed", { slot: file.id, err });
      verdict = {
        status: "refused",
        engine: svc.scanner.engine,
        reason: "the scanner failed on this file",
      };
    }
  }
  const event = (
    v: "clean" | "infected" | "refused" | "unavailable" | "not-scanned",
    engine: string,
    reason?: string,
  ) => {
    const payload = {
      user: file.owner,
      slot: file.id,
      name: file.name,
      size: file.size,
      sha256,
      verdict: v,
      engine,
      reason,
    };
    svc.log[v === "clean" ? "info" : "warn"]("upload verdict", payload);
    void svc.api.fire("upload-verdict", payload);
  };
  const engine = svc.scanner.engine;
  if (verdict?.status === "clean") {
    await rename(incoming, svc.path("files", file.id));
    await files.transition(file.id, "scanning", "clean", { stored: new Date() });
    event("clean", verdict.engine);
    return sendJson(
      res,
      201,
      { status: "clean", size: file.size, sha256 },
      { "Hato-Scan": "clean" },
    );
  }
  if (verdict?.status === "infected") {
    await rename(incoming, svc.path("quarantine", file.id));
    await files.transition(file.id, "scanning", "infected", {
      stored: new Date(),
      reason: `${verdict.signature}: ${verdict.reason}`,
    });
    event("infected", verdict.engine, verdict.reason);
    return sendError(
      res,
      422,
      "infected",
      `The file was not accepted: ${verdict.reason} (${verdict.signature}). It is quarantined and nobody can download it.`,
    );
  }
  if (verdict?.status === "refused") {
    await svc.discard(file);
    event("refused", verdict.engine, verdict.reason);
    return sendError(
      res,
      422,
      "not-scanned",
      `The file was not accepted because it could not be scanned in full: ${verdict.reason}`,
    );
  }
  // Unscanned files are never kept for a user whose organisation requires scanning, whatever
  // scan.when-down says (the scanner went down between the slot and the upload).
  const required = svc.api.policy.current.forUser(file.owner).rules.files.scanningRequired;
  if (svc.whenDown === "accept" && required)
    void svc.api.fire("policy-denied", {
      user: file.owner,
      rule: "files",
      text: "your organisation requires every file to be scanned; the scanner was not available, so the file was not kept",
    });
  if (svc.whenDown === "accept" && !required) {
    await rename(incoming, svc.path("files", file.id));
    await files.transition(file.id, "scanning", "not-scanned", {
      stored: new Date(),
      reason: `scanner unavailable: ${unavailable}`,
    });
    event("not-scanned", engine, unavailable);
    return sendJson(
      res,
      201,
      { status: "not-scanned", size: file.size, sha256 },
      { "Hato-Scan": "not-scanned" },
    );
  }
  await svc.discard(file);
  await rm(incoming, { force: true });
  event("unavailable", engine, unavailable);
  return sendError(
    res,
    503,
    "scanner-unavailable",
    "The virus scanner is not available, so the file was not accepted; try again later.",
    { "Retry-After": "60" },
  );
}
