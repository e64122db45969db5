// One message in the log: who, when, the text, "edited", and for our own its delivery state.
import type { ChatMessage } from "@hato/sdk";
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
}

/** A message row. */
export function MessageItem({ message: m, name, editable, onEdit, local }: Props) {
  return (
    <li class={m.outgoing ? "msg out" : "msg in"}>
      <div class="meta">
        <bdi class="from">{name}</bdi>{" "}
        <time dateTime={m.time.toISOString()} title={dateFormat.format(m.time)}>
          {timeFormat.format(m.time)}
        </time>
        {m.corrected ? <span class="edited"> (edited)</span> : null}
      </div>
      {m.file ? <FileView file={m.file} local={local} /> : <MessageText body={m.body} />}
      {m.outgoing ? (
        <div class="foot">
          {local !== undefined ? <span class="scan clean">Scanned, clean</span> : null}
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
