// Image previews as blob: URLs: the bytes are checked to be PNG, JPEG, GIF or WebP and are
// re-typed as such, so nothing but an image decoder ever sees them.
import { MAX_PREVIEW_BYTES, sniffImage } from "./kind.js";

/** A blob: URL showing `blob` as an image, or undefined when its bytes are not a previewable image. */
export async function imageUrl(blob: Blob): Promise<string | undefined> {
  if (blob.size > MAX_PREVIEW_BYTES) return undefined;
  const type = sniffImage(new Uint8Array(await blob.slice(0, 16).arrayBuffer()));
  if (type === undefined) return undefined;
  return URL.createObjectURL(new Blob([blob], { type }));
}

/** What fetching a shared image from our upload service gave. */
export type Fetched =
  | { kind: "image"; url: string }
  /** 404: not (yet) released by the scanner, expired, or never there. */
  | { kind: "unavailable" }
  /** Too large, not an image after all, or another error: offered as a download. */
  | { kind: "download" };

/** Fetches an uploaded image (same origin only; the caller checks) for a preview. */
export async function fetchImage(url: string, signal: AbortSignal): Promise<Fetched> {
  let res: Response;
  try {
    res = await fetch(url, { credentials: "omit", cache: "no-store", redirect: "error", signal });
  } catch {
    return { kind: "download" };
  }
  if (res.status === 404 || res.status === 410) return { kind: "unavailable" };
  const length = Number(res.headers.get("content-length") ?? "0");
  if (res.status !== 200 || length > MAX_PREVIEW_BYTES) {
    void res.body?.cancel().catch(() => undefined);
    return { kind: "download" };
  }
  const shown = await imageUrl(await res.blob());
  return shown === undefined ? { kind: "download" } : { kind: "image", url: shown };
}
