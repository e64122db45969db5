// A contact's avatar from its bytes, through a blob: URL (revoked when replaced), or initials.
import type { Contact } from "@hato/sdk";
import { useEffect, useMemo } from "preact/hooks";

/** Image types a browser shows safely as <img>; anything else gets initials. */
const IMAGE_TYPES = new Set(["image/png", "image/jpeg", "image/gif", "image/webp"]);

/** The avatar; decorative (alt=""), since the name is always shown as text beside it. */
export function Avatar({ contact, label }: { contact: Contact | undefined; label: string }) {
  const avatar = contact?.avatar;
  const url = useMemo(() => {
    if (avatar === undefined || !IMAGE_TYPES.has(avatar.type)) return undefined;
    return URL.createObjectURL(new Blob([avatar.bytes as BlobPart], { type: avatar.type }));
    // The hash names the bytes: a new hash is a new picture.
  }, [avatar?.hash, avatar?.type]);
  useEffect(() => () => (url === undefined ? undefined : URL.revokeObjectURL(url)), [url]);
  if (url !== undefined) return <img class="avatar" src={url} alt="" width={36} height={36} />;
  const initial = Array.from(label)[0]?.toUpperCase() ?? "?";
  return (
    <span class="avatar initials" aria-hidden="true">
      {initial}
    </span>
  );
}
