// The PUT of an upload slot: exact size and type, streamed to a private file with a byte
// counter and SHA-256, cut off when too slow, then scanned. 201 only after a clean verdict.

import { createHash } from "node:crypto";
import { createWriteStream } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { sendError } from "@hato/core";
import type { FileRecord } from "@hato/storage";
import { mediaType } from "./names.js";
import { parseUploadPath, secretMatches, type UploadService } from "./service.js";
import { release } from "./verdict.js";

/** Why an upload's body was not taken: the HTTP status, code and text. */
type Refusal = [number, string, string];

/** Handles one PUT to `/upload/<slot>/<secret>/<name>`. */
export async function handlePut(
  svc: UploadService,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
): Promise<void> {
  res.setHeader("Connection", "close");
  const parts = parseUploadPath(path);
  const file = parts && (await svc.api.storage.files.get(parts.id));
  if (
    parts === undefined ||
    file === undefined ||
    !secretMatches(parts.secret, file.secretHash) ||
    parts.name !== file.name
  )
    return sendError(res, 404, "not-found", "there is no upload slot at this address");
  if (file.state !== "reserved")
    return sendError(res, 409, "slot-used", "this upload slot was used already; request a new one");
  if (Date.now() >= file.slotExpires.getTime())
    return sendError(
      res,
      410,
      "slot-expired",
      `this upload slot expired at ${file.slotExpires.toISOString()}; request a new one`,
    );
  const refusal = checkHeaders(req, file);
  if (refusal !== undefined) return sendError(res, ...refusal);
  await svc.prepare();
  if (!(await svc.api.storage.files.transition(file.id, "reserved", "uploading")))
    return sendError(res, 409, "slot-used", "this upload slot was used already; request a new one");
  svc.inFlight.add(file.id);
  try {
    const received = await receive(svc, req, file);
    if ("refusal" in received) {
      await svc.discard(file);
      svc.log.info("upload refused", {
        user: file.owner,
        slot: file.id,
        reason: received.refusal[2],
      });
      return sendError(res, ...received.refusal);
    }
    // Bytes after the body (a longer body than Content-Length said) are parsed as a next,
    // malformed request, whose 400 closes the connection: such an upload keeps nothing.
    if (gone(req)) {
      await svc.discard(file);
      return sendError(
        res,
        400,
        "incomplete",
        "the connection closed before the upload was answered; nothing was kept",
      );
    }
    await svc.api.storage.files.transition(file.id, "uploading", "scanning", {
      sha256: received.sha256,
    });
    await release(svc, res, file, received.sha256);
  } catch (err) {
    await svc.discard(file).catch(() => {});
    throw err;
  } finally {
    svc.inFlight.delete(file.id);
  }
}

/** Whether the client's connection ended or was answered by the HTTP layer already. */
function gone(req: IncomingMessage): boolean {
  return req.socket.destroyed || req.socket.writableEnded;
}

function checkHeaders(req: IncomingMessage, file: FileRecord): Refusal | undefined {
  const length = req.headers["content-length"];
  if (req.headers["transfer-encoding"] !== undefined || length === undefined)
    return [
      411,
      "length-required",
      `the upload needs a Content-Length of ${file.size} bytes (the size the slot was requested for)`,
    ];
  if (!/^\d{1,16}$/.test(length))
    return [400, "bad-length", "Content-Length is not a number of bytes"];
  const n = Number(length);
  if (n > file.size)
    return [
      413,
      "size-mismatch",
      `Content-Length ${n} is more than the ${file.size} bytes the slot was requested for`,
    ];
  if (n < file.size)
    return [
      400,
      "size-mismatch",
      `Content-Length ${n} differs from the ${file.size} bytes the slot was requested for`,
    ];
  const given = req.headers["content-type"];
  const type = mediaType(given);
  const ok =
    file.type === ""
      ? given === undefined || type === "application/octet-stream"
      : type === file.type;
  if (!ok)
    return [
      400,
      "type-mismatch",
      file.type === ""
        ? "the slot was requested without a content type, so the upload must not send one"
        : `Content-Type must be ${file.type}, as announced in the slot request`,
    ];
  return undefined;
}

/**
 * Streams the body into `incoming/`. Resolves with the hash, or with a refusal (too slow, too
 * long, cut off); the partial file is then deleted by the caller.
 */
function receive(
  svc: UploadService,
  req: IncomingMessage,
  file: FileRecord,
): Promise<{ sha256: string } | { refusal: Refusal }> {
  const s = svc.settings;
  const out = createWriteStream(svc.path("incoming", file.id), { flags: "wx", mode: 0o600 });
  const hash = createHash("sha256");
  const started = Date.now();
  let bytes = 0;
  return new Promise((resolve, reject) => {
    let done = false;
    const finish = (result: { sha256: string } | { refusal: Refusal } | Error) => {
      if (done) return;
      done = true;
      clearInterval(timer);
      if (result instanceof Error || "refusal" in result) {
        req.unpipe(out);
        req.pause();
        // Settle only once the file is closed, so that deleting it cannot race its opening.
        const settle = () => (result instanceof Error ? reject(result) : resolve(result));
        if (out.closed) settle();
        else {
          out.once("close", settle);
          out.destroy();
        }
        return;
      }
      resolve(result);
    };
    const timer = setInterval(() => {
      const seconds = (Date.now() - started) / 1000;
      if (seconds > s.putSeconds)
        finish({
          refusal: [408, "timeout", `the upload took longer than ${s.putSeconds} seconds`],
        });
      else if (
        s.minBytesPerSecond > 0 &&
        seconds > s.graceSeconds &&
        bytes / seconds < s.minBytesPerSecond
      )
        finish({
          refusal: [
            408,
            "too-slow",
            `the upload was slower than ${s.minBytesPerSecond} bytes a second; nothing was kept`,
          ],
        });
    }, 250);
    timer.unref();
    req.on("data", (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > file.size) {
        finish({
          refusal: [
            413,
            "size-mismatch",
            `the body is longer than the ${file.size} bytes announced`,
          ],
        });
        return;
      }
      hash.update(chunk);
    });
    req.on("aborted", () =>
      finish({
        refusal: [400, "incomplete", "the upload was cut off before its end; nothing was kept"],
      }),
    );
    req.on("close", () => {
      if (!req.complete)
        finish({
          refusal: [400, "incomplete", "the upload was cut off before its end; nothing was kept"],
        });
    });
    req.on("error", () =>
      finish({ refusal: [400, "incomplete", "the upload failed; nothing was kept"] }),
    );
    out.on("error", (err) => finish(err));
    out.on("finish", () => {
      if (bytes !== file.size)
        finish({
          refusal: [
            400,
            "size-mismatch",
            `the body has ${bytes} bytes, not the ${file.size} announced`,
          ],
        });
      else finish({ sha256: hash.digest("hex") });
    });
    // The connection may have died while the slot was being claimed: no event will come.
    if (req.destroyed)
      finish({
        refusal: [400, "incomplete", "the upload was cut off before its end; nothing was kept"],
      });
    else req.pipe(out);
  });
}
