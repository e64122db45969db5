// XEP-0363 §4-§5: a slot request to the server's domain, checked (name, size, type, rate,
// quota) and answered with PUT and GET URLs that carry a fresh secret.

import { randomBytes } from "node:crypto";
import { StanzaError, type StanzaEvent, WindowCounter } from "@hato/core";
import { type Element, xml } from "@hato/xml";
import { mediaType, sanitiseName, typeMatches, urlName } from "./names.js";
import { mib, NS_UPLOAD, secretHash, type UploadService } from "./service.js";

/** A stanza error with an application-specific child (XEP-0363 §5's `file-too-large`). */
class UploadStanzaError extends StanzaError {
  constructor(
    condition: ConstructorParameters<typeof StanzaError>[0],
    text: string,
    type: ConstructorParameters<typeof StanzaError>[2],
    private readonly extra: Element,
  ) {
    super(condition, text, type);
  }

  override toElement(by?: string): Element {
    return super.toElement(by).append(this.extra);
  }
}

/**
 * Whether a scan now would give a verdict. For a user whose organisation requires scanning
 * this is checked before a slot is given: the upload would otherwise be refused after the
 * bytes were sent (or, with `scan.when-down: accept`, kept unscanned, which such users never get).
 */
async function scannerReady(svc: UploadService): Promise<boolean> {
  try {
    await svc.scanner.ready?.();
    return true;
  } catch (err) {
    svc.log.warn("the scanner cannot give verdicts now", { reason: (err as Error).message });
    return false;
  }
}

/** Answers slot requests; `sweep` frees expired slots first so their quota counts no more. */
export function slotHandler(svc: UploadService, sweep: () => Promise<void>) {
  const rate = new WindowCounter(60_000);
  const s = svc.settings;
  return async (ev: StanzaEvent): Promise<Element> => {
    const user = ev.from.local;
    if (user === "" || ev.from.domain !== svc.api.domain)
      throw new StanzaError("forbidden", "only accounts of this server may upload files here");
    const req = ev.stanza.getChild("request", NS_UPLOAD)!;
    const rawName = req.attr("filename");
    const rawSize = req.attr("size");
    const rawType = req.attr("content-type");
    if (rawName === undefined || rawName.trim() === "")
      throw new StanzaError("bad-request", "the slot request needs a filename");
    if (rawSize === undefined || !/^\d{1,16}$/.test(rawSize) || Number(rawSize) === 0)
      throw new StanzaError("bad-request", "the size must be a whole number of bytes above 0");
    const size = Number(rawSize);
    const files = svc.api.policy.current.forUser(user).rules.files;
    const refuse = (err: StanzaError): never => {
      void svc.api.fire("policy-denied", { user, rule: "files", text: err.text ?? "" });
      throw err;
    };
    if (!files.enabled)
      refuse(
        new StanzaError("not-allowed", "your organisation does not allow sharing files", "cancel"),
      );
    if (files.maxBytes !== undefined && files.maxBytes < s.maxFileBytes && size > files.maxBytes)
      refuse(
        new UploadStanzaError(
          "not-acceptable",
          `The file is too large: your organisation allows files of at most ${files.maxBytes} bytes (${mib(files.maxBytes)}); this one has ${size}.`,
          "modify",
          xml(
            "file-too-large",
            { xmlns: NS_UPLOAD },
            xml("max-file-size", {}, String(files.maxBytes)),
          ),
        ),
      );
    if (size > s.maxFileBytes) {
      throw new UploadStanzaError(
        "not-acceptable",
        `The file is too large: files may have at most ${s.maxFileBytes} bytes (${mib(s.maxFileBytes)}); this one has ${size}.`,
        "modify",
        xml(
          "file-too-large",
          { xmlns: NS_UPLOAD },
          xml("max-file-size", {}, String(s.maxFileBytes)),
        ),
      );
    }
    const type = mediaType(rawType);
    if (rawType !== undefined && rawType !== "" && type === "")
      throw new StanzaError("bad-request", `"${rawType.slice(0, 100)}" is not a media type`);
    const effective = type === "" ? "application/octet-stream" : type;
    if (
      typeMatches(effective, s.blockedTypes) ||
      (s.allowedTypes.length > 0 && !typeMatches(effective, s.allowedTypes))
    ) {
      throw new StanzaError(
        "not-acceptable",
        `Files of type ${effective} may not be uploaded to this server.`,
        "modify",
      );
    }
    if (
      typeMatches(effective, files.blockedTypes) ||
      (files.allowedTypes.length > 0 && !typeMatches(effective, files.allowedTypes))
    )
      refuse(
        new StanzaError(
          "not-acceptable",
          `Your organisation does not allow sharing files of type ${effective}.`,
          "modify",
        ),
      );
    if (files.scanningRequired && !(await scannerReady(svc)))
      refuse(
        new StanzaError(
          "service-unavailable",
          "Your organisation requires every file to be scanned, and the virus scanner is not available now, so no file can be uploaded; try again later.",
          "wait",
        ),
      );
    if (rate.add(user) > s.slotsPerMinute) {
      throw new StanzaError(
        "resource-constraint",
        `You asked for more than ${s.slotsPerMinute} upload slots in a minute; wait a moment and try again.`,
        "wait",
      );
    }
    await sweep();
    const name = sanitiseName(rawName);
    const id = randomBytes(16).toString("base64url");
    // 256 random bits; only their hash is stored, compared in constant time.
    const secret = randomBytes(32).toString("base64url");
    const now = Date.now();
    const result = await svc.api.storage.files.reserve(
      {
        id,
        owner: user,
        name,
        size,
        type,
        secretHash: secretHash(secret),
        state: "reserved",
        created: new Date(now),
        slotExpires: new Date(now + s.slotSeconds * 1000),
      },
      { userBytes: s.quotaUserBytes, totalBytes: s.quotaTotalBytes },
    );
    if (result === "user-quota") {
      const used = await svc.api.storage.files.usage(user);
      throw new StanzaError(
        "resource-constraint",
        `Your upload quota is ${mib(s.quotaUserBytes)} and you use ${mib(used)} (files kept and uploads in progress); this file needs ${mib(size)}. ${s.expireDays > 0 ? `Files are deleted after ${s.expireDays} days, or an admin can make room.` : "An admin can make room."}`,
        "wait",
      );
    }
    if (result === "total-quota") {
      throw new StanzaError(
        "resource-constraint",
        `The server's upload space (${mib(s.quotaTotalBytes)}) is full; try again later or ask an admin.`,
        "wait",
      );
    }
    if (result !== "reserved") throw new Error(`slot reservation failed: ${result}`);
    const url = `${svc.origin()}/upload/${id}/${secret}/${urlName(name)}`;
    svc.log.info("upload slot", { user, slot: id, size, type });
    return xml("slot", { xmlns: NS_UPLOAD }, xml("put", { url }), xml("get", { url }));
  };
}
