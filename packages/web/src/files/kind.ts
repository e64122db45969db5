// What a shared file may become on screen: an image preview only for PNG, JPEG, GIF and WebP
// recognised by their first bytes (never SVG or HTML, whatever the name or type claims), and
// only from this server's upload service; everything else is a download link.

/** The image types shown inline; SVG (scripts) and anything else are downloads. */
export type PreviewType = "image/png" | "image/jpeg" | "image/gif" | "image/webp";

const PREVIEW_TYPES = new Set<string>(["image/png", "image/jpeg", "image/gif", "image/webp"]);

/** A larger image is offered as a download only (fetching it unasked would cost too much). */
export const MAX_PREVIEW_BYTES = 10 * 1024 * 1024;

/** Whether a file's type (or, without one, its extension) names an image we may preview. */
export function mayPreview(name: string | undefined, type: string | undefined): boolean {
  if (type !== undefined && type !== "") return PREVIEW_TYPES.has(type.toLowerCase());
  return /\.(png|jpe?g|gif|webp)$/i.test(name ?? "");
}

const startsWith = (b: Uint8Array, sig: readonly number[], at = 0): boolean =>
  sig.every((x, i) => b[at + i] === x);

/**
 * The image type the bytes are, by their signature, or undefined: the bytes decide, not the
 * name or the server's Content-Type, so an SVG or HTML file called "x.png" is never shown.
 */
export function sniffImage(b: Uint8Array): PreviewType | undefined {
  if (startsWith(b, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return "image/png";
  if (startsWith(b, [0xff, 0xd8, 0xff])) return "image/jpeg";
  if (startsWith(b, [0x47, 0x49, 0x46, 0x38]) && (b[4] === 0x37 || b[4] === 0x39) && b[5] === 0x61)
    return "image/gif";
  if (startsWith(b, [0x52, 0x49, 0x46, 0x46]) && startsWith(b, [0x57, 0x45, 0x42, 0x50], 8))
    return "image/webp";
  return undefined;
}

/**
 * Whether `url` is a file of this server's upload service (same origin, under /upload/): the
 * only place the client fetches a file from by itself.
 */
export function isOwnUpload(url: string, origin: string): boolean {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return false;
  }
  return u.origin === origin && u.protocol === "https:" && u.pathname.startsWith("/upload/");
}

/** "12 KB", "3.4 MB": a size for people. */
export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  const units = ["KB", "MB", "GB"];
  let n = bytes / 1024;
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${n < 10 ? n.toFixed(1) : Math.round(n)} ${units[i]}`;
}

/** A file name safe to show: no bidi or control characters, not empty, not absurdly long. */
export function displayName(name: string | undefined): string {
  const clean = (name ?? "").replace(/[\u0000-\u001f\u007f\u202a-\u202e\u2066-\u2069]/g, "");
  if (clean === "") return "file";
  return clean.length > 120 ? `${clean.slice(0, 80)}…${clean.slice(-30)}` : clean;
}
