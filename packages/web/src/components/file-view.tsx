// A shared file in a message: a preview for a clean image (PNG, JPEG, GIF, WebP by its bytes)
// from this server's upload service, else a link that downloads it. Nothing is opened or run.
import type { FileInfo } from "@hato/sdk";
import { useEffect, useState } from "preact/hooks";
import { displayName, formatSize, isOwnUpload, mayPreview } from "../files/kind.js";
import { fetchImage, imageUrl } from "../files/preview.js";

type Shown = "checking" | "unavailable" | "download" | { image: string };

interface Props {
  file: FileInfo;
  /** Our own upload's bytes, once the server found them clean. */
  local?: Blob | undefined;
}

/** The preview or download link of a shared file. */
export function FileView({ file, local }: Props) {
  const name = displayName(file.name);
  const shown = usePreview(file, local);
  const size = file.size === undefined ? "" : ` (${formatSize(file.size)})`;
  if (shown === "unavailable")
    return (
      <p class="file unavailable">
        <bdi>{name}</bdi>: not available
      </p>
    );
  return (
    <div>
      {typeof shown === "object" ? (
        <img class="preview" src={shown.image} alt={name} decoding="async" />
      ) : null}
      {shown === "checking" ? <p class="checking">Checking {name}…</p> : null}
      <div class="file">
        <a
          class="download"
          href={file.url}
          download={name}
          target="_blank"
          rel="noopener noreferrer"
        >
          <span class="sr-only">Download </span>
          <bdi>{name}</bdi>
        </a>
        {size}
      </div>
    </div>
  );
}

/** Fetches (or reads) an image preview when one is allowed; revokes its blob: URL when done. */
function usePreview(file: FileInfo, local: Blob | undefined): Shown {
  const candidate = mayPreview(file.name, file.type);
  const remote = candidate && isOwnUpload(file.url, location.origin);
  const [shown, setShown] = useState<Shown>(
    candidate && (local || remote) ? "checking" : "download",
  );
  useEffect(() => {
    if (!candidate || (local === undefined && !remote)) return;
    const abort = new AbortController();
    let url: string | undefined;
    const done = (s: Shown) => {
      if (typeof s === "object") url = s.image;
      if (abort.signal.aborted) {
        if (url !== undefined) URL.revokeObjectURL(url);
      } else setShown(s);
    };
    if (local !== undefined)
      void imageUrl(local).then((u) => done(u === undefined ? "download" : { image: u }));
    else
      void fetchImage(file.url, abort.signal).then((r) =>
        done(r.kind === "image" ? { image: r.url } : r.kind),
      );
    return () => {
      abort.abort();
      if (url !== undefined) URL.revokeObjectURL(url);
    };
  }, [file.url, local]);
  return shown;
}
