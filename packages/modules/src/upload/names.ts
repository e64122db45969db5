// Safe file names and media types for XEP-0363 uploads: what a downloader's disk and browser
// see can never be a path, a hidden file, a bidi-disguised extension (the Dino CVE-2021-33896
// class) or an active document.

/** Longest sanitised name, in UTF-16 code units (well below every file system's 255 bytes). */
export const MAX_NAME_LENGTH = 120;

// C0/C1 controls, bidi embeddings/overrides/isolates and marks, zero-width and BOM characters,
// separators that some tools treat as line breaks: removed.
const INVISIBLE =
  /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2028\u2029\u2060-\u2069\ufeff\ufff9-\ufffb]/gu;
// Characters Windows refuses in names, and both path separators.
const RESERVED = /[/\\:*?"<>|]/g;
const WINDOWS_DEVICE = /^(?:con|prn|aux|nul|com\d|lpt\d)(?:\..*)?$/i;

/**
 * The name a file is stored, linked and downloaded under: only the last path segment of what
 * the client sent, without invisible or reserved characters, leading dots or trailing dots and
 * spaces, at most MAX_NAME_LENGTH long with its extension kept; "file" when nothing is left.
 */
export function sanitiseName(raw: string): string {
  let name = raw.normalize("NFC").replace(INVISIBLE, "");
  // Percent-encoded separators and dots would become real ones once someone decodes them.
  name = name.replace(/%(?:2f|5c|2e)/gi, "_");
  const last = name.split(/[/\\]/).pop() ?? "";
  name = last
    .replace(RESERVED, "_")
    .replace(/\s+/gu, " ")
    .replace(/^[.\s]+/u, "")
    .replace(/[.\s]+$/u, "");
  if (WINDOWS_DEVICE.test(name)) name = `_${name}`;
  if (name.length > MAX_NAME_LENGTH) {
    const dot = name.lastIndexOf(".");
    const ext = dot > 0 && name.length - dot <= 16 ? name.slice(dot) : "";
    name =
      cut(name.slice(0, dot > 0 && ext !== "" ? dot : name.length), MAX_NAME_LENGTH - ext.length) +
      ext;
  }
  return name === "" ? "file" : name;
}

/** The first `n` code units, never ending in half a surrogate pair. */
function cut(s: string, n: number): string {
  const out = s.slice(0, n);
  return /[\ud800-\udbff]$/.test(out) ? out.slice(0, -1) : out;
}

/** The name as it appears in a URL path segment. */
export function urlName(name: string): string {
  return encodeURIComponent(name).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/**
 * `Content-Disposition: attachment` (RFC 6266) with an ASCII fallback and the UTF-8 name
 * (RFC 8187): browsers save, never display.
 */
export function contentDisposition(name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]/g, "_").replace(/["\\%]/g, "_");
  return `attachment; filename="${ascii}"; filename*=UTF-8''${urlName(name)}`;
}

/**
 * Media types served as themselves: passive formats that browsers do not run. Everything else
 * (HTML, SVG, XML, JavaScript, PDF, unknown) is served as application/octet-stream.
 */
const SAFE_TYPES = new Set([
  "image/png",
  "image/jpeg",
  "image/gif",
  "image/webp",
  "image/avif",
  "audio/mpeg",
  "audio/ogg",
  "audio/opus",
  "audio/aac",
  "audio/mp4",
  "audio/webm",
  "audio/wav",
  "video/mp4",
  "video/webm",
  "video/ogg",
  "text/plain",
  "application/zip",
  "application/gzip",
]);

/** A media type as announced: lower-cased, parameters dropped; "" when it is not one. */
export function mediaType(raw: string | undefined): string {
  if (raw === undefined) return "";
  const t = raw.split(";")[0]!.trim().toLowerCase();
  return /^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$/.test(t) ? t : "";
}

/** The Content-Type a download is served with. */
export function servedType(stored: string): string {
  if (!SAFE_TYPES.has(stored)) return "application/octet-stream";
  return stored === "text/plain" ? "text/plain; charset=utf-8" : stored;
}

/** Whether `type` matches one of the patterns (`image/png`, `image/*`). */
export function typeMatches(type: string, patterns: readonly string[]): boolean {
  return patterns.some((p) => p === type || (p.endsWith("/*") && type.startsWith(p.slice(0, -1))));
}
