// An end-to-end encrypted file in a message (XEP-0454 aesgcm:// link): a card with its name
// and size and a Download button. Nothing is fetched until the user asks; the file is then
// decrypted here in the browser and saved as a download, never opened or shown.
import type { DecryptedFile, EncryptedFileInfo } from "@hato/sdk";
import { useState } from "preact/hooks";
import { displayName, formatSize } from "../files/kind.js";
import { saveBytes } from "../files/save.js";

/** Fetches and decrypts the file (the SDK's downloadEncryptedFile). */
export type Decrypt = (
  link: string,
  onProgress: (received: number, total?: number) => void,
) => Promise<DecryptedFile>;

type Step =
  | { kind: "idle" }
  | { kind: "working"; pct: number | undefined }
  /** Decrypted but not scanned by the organisation: saved only if the user says so. */
  | { kind: "unscanned"; file: DecryptedFile }
  | { kind: "saved"; scan: DecryptedFile["scan"] }
  | { kind: "error"; reason: string };

interface Props {
  file: EncryptedFileInfo;
  decrypt: Decrypt;
}

/** The card of an encrypted file. */
export function EncryptedFileView({ file, decrypt }: Props) {
  const [step, setStep] = useState<Step>({ kind: "idle" });
  const name = displayName(file.name);
  const size = file.size === undefined ? "" : ` (${formatSize(file.size)})`;

  async function download(): Promise<void> {
    setStep({ kind: "working", pct: undefined });
    try {
      const got = await decrypt(file.link, (received, total) =>
        setStep({
          kind: "working",
          pct: total ? Math.min(100, Math.floor((100 * received) / total)) : undefined,
        }),
      );
      if (got.scan === "clean") {
        saveBytes(got.bytes, name);
        setStep({ kind: "saved", scan: "clean" });
      } else setStep({ kind: "unscanned", file: got });
    } catch (err) {
      const reason =
        (err as { reason?: unknown }).reason ?? (err instanceof Error ? err.message : String(err));
      setStep({ kind: "error", reason: String(reason) });
    }
  }

  return (
    <div class="enc-file">
      <div class="file">
        <span class="enc-label">Encrypted file</span> <bdi>{name}</bdi>
        {size}
      </div>
      {step.kind === "idle" || step.kind === "error" ? (
        <button type="button" class="enc-download" onClick={() => void download()}>
          Download<span class="sr-only"> {name}</span>
        </button>
      ) : null}
      <div role="status" class="enc-status">
        {step.kind === "working" ? (
          <span>Downloading and decrypting{step.pct === undefined ? "…" : ` ${step.pct}%`}</span>
        ) : step.kind === "saved" ? (
          <span>
            Decrypted and saved
            {step.scan === "clean" ? ", scanned by your organisation: clean" : ", not scanned"}
          </span>
        ) : step.kind === "error" ? (
          <span class="verdict">Not downloaded: {step.reason}</span>
        ) : null}
      </div>
      {step.kind === "unscanned" ? (
        <div class="enc-unscanned" role="alert">
          <p>
            This file was not scanned for malware ({step.file.scanReason ?? "no verdict"}). Save it
            only if you trust it.
          </p>
          <button
            type="button"
            onClick={() => {
              saveBytes(step.file.bytes, name);
              setStep({ kind: "saved", scan: "not-scanned" });
            }}
          >
            Save anyway
          </button>{" "}
          <button type="button" onClick={() => setStep({ kind: "idle" })}>
            Cancel
          </button>
        </div>
      ) : null}
    </div>
  );
}
