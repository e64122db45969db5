// Downloads: only a released file (clean, or explicitly not scanned) with the right secret,
// as an attachment that browsers neither render nor sniff. Everything else is one same 404.

import { createReadStream } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { secureHeaders, sendError } from "@hato/core";
import { contentDisposition, servedType } from "./names.js";
import { parseUploadPath, secretMatches, type UploadService } from "./service.js";

/** Handles GET and HEAD of `/upload/<slot>/<secret>/<name>`. */
export async function handleGet(
  svc: UploadService,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
): Promise<void> {
  const parts = parseUploadPath(path);
  const file = parts && (await svc.api.storage.files.get(parts.id));
  // One answer for unknown slots, wrong secrets, files not yet scanned, quarantined or expired:
  // a prober learns nothing about which it was.
  if (
    parts === undefined ||
    file === undefined ||
    !secretMatches(parts.secret, file.secretHash) ||
    parts.name !== file.name ||
    (file.state !== "clean" && file.state !== "not-scanned") ||
    svc.tooOld(file)
  )
    return sendError(res, 404, "not-found", "there is no file at this address");
  const stream = createReadStream(svc.path("files", file.id));
  try {
    await new Promise<void>((resolve, reject) => {
      stream.once("open", () => resolve());
      stream.once("error", reject);
    });
  } catch {
    return sendError(res, 404, "not-found", "there is no file at this address");
  }
  secureHeaders(res);
  res.writeHead(200, {
    "Content-Type": servedType(file.type),
    "Content-Length": String(file.size),
    "Content-Disposition": contentDisposition(file.name),
    "Content-Security-Policy": "default-src 'none'; sandbox",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "private, max-age=86400",
    "Hato-Scan": file.state === "clean" ? "clean" : "not-scanned",
    ...(file.sha256 === undefined
      ? {}
      : { "Repr-Digest": `sha-256=:${Buffer.from(file.sha256, "hex").toString("base64")}:` }),
  });
  if (req.method === "HEAD") {
    stream.destroy();
    res.end();
    return;
  }
  stream.pipe(res);
  res.once("close", () => stream.destroy());
}
