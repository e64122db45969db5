// One message in the log: who, when, the text, "edited", and for our own its delivery state.
import type { ChatMessage } from "@hato/sdk";
import type { ChatEncryption } from "../state/e2ee.js";
import { type Decrypt, EncryptedFileView } from "./encrypted-file-view.js";
import { FileView } from "./file-view.js";
import { MessageText } from "./message-text.js";

const STATE_TEXT: Record<NonNullable<ChatMessage["state"]>, string> = {
  pending: "Sending…",
  sent: "Sent",
  delivered: "Delivered",
  displayed: "Read",
};

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });
const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

interface Props {
  message: ChatMessage;
  name: string;
  editable: boolean;
  onEdit: () => void;
  /** Our own upload's bytes (this session), for its preview. */
  local?: Blob | undefined;
  /** Our own upload (this session): whether a scanner looked at its content. */
  scanned?: "clean" | "not-scanned" | undefined;
  /** A message that failed to decrypt as it arrived: the conversation's "Fix session" state. */
  fix?: ChatEncryption["repair"] | undefined;
  onFix?: () => void;
  /** Fetches and decrypts an encrypted file, when the user asks. */
  decrypt?: Decrypt | undefined;
}

/** A message row. */
export function MessageItem({
  message: m,
  name,
  editable,
  onEdit,
  local,
  fix,
  onFix,
  decrypt,
  scanned,
}: Props) {
  return (
    <li class={m.outgoing ? "msg out" : "msg in"}>
      <div class="meta">
        <bdi class="from">{name}</bdi>{" "}
        <time dateTime={m.time.toISOString()} title={dateFormat.format(m.time)}>
          {timeFormat.format(m.time)}
        </time>
        {m.corrected ? <span class="edited"> (edited)</span> : null}
        {m.encryption === "none" ? <span class="e2ee-mark"> Not encrypted</span> : null}
      </div>
      {m.encryption === "failed" ? (
        <Undecryptable problem={m.problem} fix={fix} onFix={onFix} />
      ) : m.encryptedFile && decrypt ? (
        <EncryptedFileView file={m.encryptedFile} decrypt={decrypt} />
      ) : m.file ? (
        <FileView file={m.file} local={local} />
      ) : (
        <MessageText body={m.body} />
      )}
      {m.outgoing ? (
        <div class="foot">
          {scanned === "clean" ? (
            <span class="scan clean">Scanned, clean</span>
          ) : scanned === "not-scanned" ? (
            <span class="scan">Not scanned (end-to-end encrypted)</span>
          ) : null}
          <span class={`state ${m.state ?? "sent"}`}>{STATE_TEXT[m.state ?? "sent"]}</span>
          {editable ? (
            <button type="button" class="edit" onClick={onEdit}>
              Edit<span class="sr-only"> your last message</span>
            </button>
          ) : null}
        </div>
      ) : null}
    </li>
  );
}

/** "Could not decrypt: why", and for a live message the offer to fix the session. */
function Undecryptable({
  problem,
  fix,
  onFix,
}: {
  problem: string | undefined;
  fix: ChatEncryption["repair"] | undefined;
  onFix: (() => void) | undefined;
}) {
  return (
    <div class="undecryptable">
      <p>Could not decrypt: {problem ?? "unknown reason"}</p>
      {fix === undefined || onFix === undefined ? null : (
        <p class="fix">
          <button type="button" disabled={fix === "working"} onClick={onFix}>
            Fix session
          </button>{" "}
          <span role="status">
            {fix === "working"
              ? "Fixing…"
              : fix === "done"
                ? "Session renewed: new messages will decrypt. Ask for this one again."
                : typeof fix === "object"
                  ? `Could not fix the session: ${fix.error}`
                  : ""}
          </span>
        </p>
      )}
    </div>
  );
}
