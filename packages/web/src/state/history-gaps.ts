// The log's rows: archived encrypted messages whose text this device lacks come in runs, and
// each run is shown as one gap (components/history-gap.tsx), never as empty bubbles.
import type { ChatMessage } from "@hato/sdk";

/** Rows of the log: messages, with each run of unavailable ones gathered into one gap. */
export function withGaps<T extends { time: Date }>(
  rows: (T | ChatMessage)[],
): (T | ChatMessage | { gap: ChatMessage[] })[] {
  const out: (T | ChatMessage | { gap: ChatMessage[] })[] = [];
  for (const r of rows) {
    const unavailable = "unavailable" in r && r.unavailable !== undefined;
    const last = out.at(-1);
    if (!unavailable) out.push(r);
    else if (last !== undefined && "gap" in last) last.gap.push(r as ChatMessage);
    else out.push({ gap: [r as ChatMessage] });
  }
  return out;
}
