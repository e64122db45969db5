// XEP-0363 HTTP File Upload (urn:xmpp:http:upload:0): finding the service, asking for a slot,
// reading the PUT's answer, and XEP-0066 x:oob, which shares the URL in a message.

import { type Element, xml } from "@hato/xml";
import { IqError } from "./iq.js";
import { domainOf } from "./jid.js";
import { NS_DATA, NS_DISCO_INFO, NS_DISCO_ITEMS, NS_OOB, NS_UPLOAD } from "./ns.js";
import type { FileInfo } from "./types.js";

/** The upload service: its address and the largest file it takes (bytes), when it says. */
export interface UploadService {
  jid: string;
  maxFileSize?: number;
}

/** A slot: where to PUT (with these headers) and the URL to share once the PUT succeeded. */
export interface Slot {
  put: string;
  get: string;
  headers: Record<string, string>;
}

/** What can go wrong with an upload, each with the server's words in `reason`. */
export type UploadErrorCode =
  /** The server offers no XEP-0363 service. */
  | "no-service"
  /** Larger than the service's limit (`maxFileSize`). */
  | "file-too-large"
  /** The user's or the server's quota is used up. */
  | "quota"
  /** Files of this type (or name) are not accepted. */
  | "type-refused"
  /** The slot was refused for another reason (not allowed, bad request). */
  | "refused"
  /** The scanner found something: the file is quarantined and never served. */
  | "infected"
  /** The scanner could not vouch for the file (encrypted archive, limits exceeded). */
  | "not-scanned"
  /** No scanner answered; the server fails closed. */
  | "scanner-unavailable"
  /** The PUT failed otherwise (network, expired slot, HTTP error). */
  | "failed";

const DEFAULT_REASON: Record<UploadErrorCode, string> = {
  "no-service": "this server offers no file upload",
  "file-too-large": "the file is too large",
  quota: "the upload quota is used up",
  "type-refused": "files of this type are not accepted",
  refused: "the server refused the upload",
  infected: "the scanner found malware in the file",
  "not-scanned": "the file could not be scanned",
  "scanner-unavailable": "the file scanner is not available; try again later",
  failed: "the upload failed",
};

/** An upload refused or failed; `reason` is the server's text when it gave one. */
export class UploadError extends Error {
  readonly reason: string;
  constructor(
    readonly code: UploadErrorCode,
    reason?: string,
    /** For file-too-large: the limit in bytes, when the server said it. */
    readonly maxFileSize?: number,
  ) {
    const text = reason?.trim() || DEFAULT_REASON[code];
    super(text);
    this.reason = text;
    this.name = "UploadError";
  }
}

/** The PUT's outcome as the SDK needs it: the status and the response text. */
export interface PutResult {
  status: number;
  body: string;
}

/**
 * Sends the bytes: `body` is whatever the host's HTTP client takes (a Blob or File in
 * browsers, a Uint8Array in Node); `onProgress` reports bytes sent. It resolves with any HTTP
 * answer (errors included) and rejects only when no answer came.
 */
export type PutFunction = (
  url: string,
  body: unknown,
  headers: Record<string, string>,
  onProgress?: (sent: number, total: number) => void,
) => Promise<PutResult>;

interface FetchHost {
  fetch?: (
    url: string,
    init: { method: string; body: unknown; headers: Record<string, string> },
  ) => Promise<{ status: number; text(): Promise<string> }>;
}

/** The default PUT: the host's fetch (no progress: fetch cannot report upload progress). */
export const fetchPut: PutFunction = async (url, body, headers) => {
  const f = (globalThis as unknown as FetchHost).fetch;
  if (f === undefined) throw new Error("no fetch() here: pass a put function");
  const res = await f(url, { method: "PUT", body, headers });
  return { status: res.status, body: await res.text().catch(() => "") };
};

/** XEP-0363 §5: the only slot headers a client passes on, and never with a line break. */
const ALLOWED_HEADERS = new Map(
  ["Authorization", "Cookie", "Expires"].map((h) => [h.toLowerCase(), h]),
);

/** An absolute https URL (what XEP-0363 requires for PUT and GET), or undefined. */
function httpsUrl(s: string | undefined): string | undefined {
  const u = s?.trim();
  return u !== undefined && /^https:\/\/[^\s/?#@]+\/\S*$/i.test(u) ? u : undefined;
}

/** The service's limit from its disco#info result, when its form states one. */
function maxFileSize(query: Element): number | undefined {
  for (const x of query.getChildren("x", NS_DATA)) {
    const fields = x.getChildren("field");
    const formType = fields.find((f) => f.attr("var") === "FORM_TYPE")?.getChildText("value");
    if (formType !== NS_UPLOAD) continue;
    const v = fields.find((f) => f.attr("var") === "max-file-size")?.getChildText("value");
    const n = v === undefined ? Number.NaN : Number(v.trim());
    if (Number.isSafeInteger(n) && n > 0) return n;
  }
  return undefined;
}

type Request = (type: "get" | "set", to: string | undefined, payload: Element) => Promise<Element>;

/** Discovers the upload service (once per session) and asks it for slots. */
export class Uploads {
  private found: Promise<UploadService | undefined> | undefined;

  constructor(
    private readonly request: Request,
    private readonly self: () => string,
  ) {}

  /** Forgets what was discovered (a new session may have another service). */
  reset(): void {
    this.found = undefined;
  }

  /** The upload service: the server's domain first, then its disco#items (XEP-0363 §3). */
  service(): Promise<UploadService | undefined> {
    this.found ??= this.discover().catch((err) => {
      this.found = undefined;
      throw err;
    });
    return this.found;
  }

  private async info(jid: string): Promise<UploadService | undefined> {
    const res = await this.request("get", jid, xml("query", { xmlns: NS_DISCO_INFO }));
    const q = res.getChild("query", NS_DISCO_INFO);
    if (q === undefined) return undefined;
    if (!q.getChildren("feature").some((f) => f.attr("var") === NS_UPLOAD)) return undefined;
    const max = maxFileSize(q);
    return max === undefined ? { jid } : { jid, maxFileSize: max };
  }

  private async discover(): Promise<UploadService | undefined> {
    const domain = domainOf(this.self());
    const own = await this.info(domain);
    if (own !== undefined) return own;
    const items = await this.request("get", domain, xml("query", { xmlns: NS_DISCO_ITEMS }));
    const jids = (items.getChild("query", NS_DISCO_ITEMS)?.getChildren("item") ?? [])
      .map((i) => i.attr("jid"))
      .filter((j): j is string => j !== undefined && j !== domain)
      .slice(0, 10);
    for (const jid of jids) {
      const s = await this.info(jid).catch(() => undefined);
      if (s !== undefined) return s;
    }
    return undefined;
  }

  /** Asks for a slot; rejects with UploadError (file-too-large, quota, type-refused, ...). */
  async requestSlot(name: string, size: number, type: string): Promise<Slot> {
    const svc = await this.service();
    if (svc === undefined) throw new UploadError("no-service");
    if (svc.maxFileSize !== undefined && size > svc.maxFileSize)
      throw new UploadError(
        "file-too-large",
        `the file is larger than the limit of ${svc.maxFileSize} bytes`,
        svc.maxFileSize,
      );
    let res: Element;
    try {
      res = await this.request(
        "get",
        svc.jid,
        xml("request", {
          xmlns: NS_UPLOAD,
          filename: name,
          size: String(size),
          "content-type": type || undefined,
        }),
      );
    } catch (err) {
      throw slotError(err);
    }
    return parseSlot(res.getChild("slot", NS_UPLOAD));
  }
}

/** The slot from a result, checked: https URLs, only the headers a client may pass on. */
export function parseSlot(slot: Element | undefined): Slot {
  const putEl = slot?.getChild("put");
  const put = httpsUrl(putEl?.attr("url"));
  const get = httpsUrl(slot?.getChild("get")?.attr("url"));
  if (put === undefined || get === undefined)
    throw new UploadError("failed", "the server's slot has no valid https URLs");
  const headers: Record<string, string> = {};
  for (const h of putEl?.getChildren("header") ?? []) {
    const name = ALLOWED_HEADERS.get((h.attr("name") ?? "").toLowerCase());
    const value = h.text().replace(/[\r\n]/g, "");
    if (name !== undefined) headers[name] = value;
  }
  return { put, get, headers };
}

/** The UploadError for a refused slot request. */
export function slotError(err: unknown): UploadError {
  if (!(err instanceof IqError)) return new UploadError("failed", String(err));
  const tooLarge = err.element?.getChild("file-too-large", NS_UPLOAD);
  if (tooLarge !== undefined) {
    const n = Number(tooLarge.getChildText("max-file-size")?.trim());
    return new UploadError("file-too-large", err.text, Number.isSafeInteger(n) ? n : undefined);
  }
  switch (err.condition) {
    case "resource-constraint":
      return new UploadError("quota", err.text);
    case "not-acceptable":
      return new UploadError("type-refused", err.text);
    case "service-unavailable":
    case "feature-not-implemented":
      return new UploadError("no-service", err.text);
    default:
      return new UploadError("refused", err.text ?? err.condition);
  }
}

/** Reads the PUT's answer: 200/201 is stored and clean; anything else throws UploadError. */
export function checkPut(res: PutResult): void {
  if (res.status === 200 || res.status === 201) return;
  let error: string | undefined;
  let reason: string | undefined;
  try {
    const j = JSON.parse(res.body) as { error?: unknown; reason?: unknown };
    if (typeof j.error === "string") error = j.error;
    if (typeof j.reason === "string") reason = j.reason;
  } catch {
    // not JSON: the status alone speaks
  }
  if (error === "infected" || error === "not-scanned" || error === "scanner-unavailable")
    throw new UploadError(error, reason);
  if (res.status === 503) throw new UploadError("scanner-unavailable", reason);
  if (res.status === 413) throw new UploadError("file-too-large", reason);
  throw new UploadError("failed", reason ?? `the server answered HTTP ${res.status}`);
}

/** Image types by extension; other files get no guessed type. */
const TYPES: Record<string, string> = {
  png: "image/png",
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  gif: "image/gif",
  webp: "image/webp",
};

/** The file's name from its URL's last path segment (decoded when it decodes). */
export function nameFromUrl(url: string): string {
  const path = url.replace(/[?#].*$/, "");
  const last = path.slice(path.lastIndexOf("/") + 1);
  try {
    return decodeURIComponent(last);
  } catch {
    return last;
  }
}

/** A guessed type for a file name (images only), or undefined. */
export function typeFromName(name: string): string | undefined {
  const dot = name.lastIndexOf(".");
  return dot < 0 ? undefined : TYPES[name.slice(dot + 1).toLowerCase()];
}

/**
 * The shared file of a message: its x:oob URL when the body is exactly that URL (how
 * Conversations, Dino and Gajim send files); otherwise the message is plain text.
 */
export function fileOf(m: Element, body: string): FileInfo | undefined {
  const url = m.getChild("x", NS_OOB)?.getChildText("url")?.trim();
  if (url === undefined || url !== body.trim() || !/^https?:\/\/[^\s/?#]+\/\S*$/i.test(url))
    return undefined;
  const name = nameFromUrl(url);
  const type = typeFromName(name);
  return { url, ...(name !== "" ? { name } : {}), ...(type !== undefined ? { type } : {}) };
}

/** The x:oob element sharing `url`. */
export function oobElement(url: string): Element {
  return xml("x", { xmlns: NS_OOB }, xml("url", null, url));
}
