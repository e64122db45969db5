// Saving decrypted bytes as a download: a blob: URL typed application/octet-stream and an
// <a download> clicked, so the browser saves the file and never renders it.

/** Lets the browser save `bytes` as `name`. */
export function saveBytes(bytes: Uint8Array, name: string): void {
  const url = URL.createObjectURL(
    new Blob([bytes as Uint8Array<ArrayBuffer>], { type: "application/octet-stream" }),
  );
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  a.rel = "noopener";
  a.hidden = true;
  document.body.append(a);
  a.click();
  a.remove();
  // The download has taken its copy once the click was handled.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
