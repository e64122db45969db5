// The message log (role="log"): older pages load from the archive when scrolled to the top,
// and displayed markers go out when the newest message is on screen in a visible tab.

import type { ChatMessage } from "@hato/sdk";
import { useEffect, useLayoutEffect, useRef } from "preact/hooks";
import { withGaps } from "../state/history-gaps.js";
import type { ChatStore, Upload } from "../state/store.js";
import type { Decrypt } from "./encrypted-file-view.js";
import { HistoryGap } from "./history-gap.js";
import { MessageItem } from "./message-item.js";
import { UploadItem } from "./upload-item.js";

interface Props {
  store: ChatStore;
  peer: string;
  name: string;
}

/** Within this many pixels of the bottom counts as "at the bottom". */
const NEAR = 48;

/** The scrollable log of one conversation. */
export function MessageLog({ store, peer, name }: Props) {
  const chat = store.chat(peer);
  const box = useRef<HTMLDivElement>(null);
  const top = useRef<HTMLDivElement>(null);
  const pinned = useRef(true);
  const anchor = useRef<{ first: string | undefined; height: number }>({
    first: undefined,
    height: 0,
  });
  const messages = chat.messages;
  const first = messages[0]?.id;
  const lastOwn = messages.findLast((m) => m.outgoing && m.unavailable === undefined);
  // Uploads not (yet) shared as a message, placed among the messages by time.
  const pending = chat.uploads.filter((u) => u.messageId === undefined);
  const rows: (ChatMessage | Upload)[] = [...messages];
  for (const u of pending) {
    let at = rows.length;
    while (at > 0 && rows[at - 1]!.time.getTime() > u.time.getTime()) at--;
    rows.splice(at, 0, u);
  }

  // Keep the view where the reader is: at the bottom when pinned, or on the same message when
  // an older page was put above it.
  useLayoutEffect(() => {
    const el = box.current;
    if (el === null) return;
    if (pinned.current) el.scrollTop = el.scrollHeight;
    else if (anchor.current.first !== first) {
      el.scrollTop += el.scrollHeight - anchor.current.height;
    }
    anchor.current = { first, height: el.scrollHeight };
  });

  // Fill the view: while the top is on screen and the archive has more, load the next page
  // (the observer below only fires when the top comes into view, not while it stays there).
  useEffect(() => {
    const el = box.current;
    if (el === null || !chat.started || chat.loading || chat.complete) return;
    if (el.scrollTop < NEAR) void store.loadOlder(peer);
  });

  // Read markers: when the bottom is visible and so is the tab.
  useEffect(() => {
    if (pinned.current && store.visible && store.active === peer) store.markRead(peer);
  });

  // Load older messages when the top comes into view.
  useEffect(() => {
    const el = top.current;
    if (el === null || typeof IntersectionObserver === "undefined") return;
    const io = new IntersectionObserver(
      (entries) => {
        if (entries.some((e) => e.isIntersecting) && messages.length > 0) {
          void store.loadOlder(peer);
        }
      },
      { root: box.current },
    );
    io.observe(el);
    return () => io.disconnect();
  }, [store, peer, messages.length > 0]);

  const decrypt: Decrypt = (link, onProgress) =>
    store.client.downloadEncryptedFile(link, { onProgress });

  const onScroll = () => {
    const el = box.current;
    if (el === null) return;
    pinned.current = el.scrollHeight - el.scrollTop - el.clientHeight < NEAR;
    anchor.current.height = el.scrollHeight;
    if (pinned.current && store.visible) store.markRead(peer);
  };

  return (
    <div
      class="log"
      role="log"
      aria-label={`Messages with ${name}`}
      // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrolling region must be reachable by keyboard to scroll it
      tabIndex={0}
      ref={box}
      onScroll={onScroll}
    >
      <div ref={top} class="log-top">
        {chat.complete ? (
          <p class="history-end">Start of the conversation</p>
        ) : (
          <button type="button" disabled={chat.loading} onClick={() => store.loadOlder(peer)}>
            {chat.loading ? "Loading earlier messages…" : "Load earlier messages"}
          </button>
        )}
      </div>
      <ol class="messages">
        {withGaps(rows).map((m) =>
          "gap" in m ? (
            <HistoryGap key={`gap:${m.gap[0]!.archiveId ?? m.gap[0]!.id}`} messages={m.gap} />
          ) : "key" in m ? (
            <UploadItem key={m.key} upload={m} />
          ) : (
            <MessageItem
              key={`${m.outgoing ? "o" : "i"}:${m.id}`}
              message={m}
              name={m.outgoing ? "You" : name}
              editable={
                m === lastOwn &&
                m.file === undefined &&
                m.encryptedFile === undefined &&
                m.encryption !== "failed"
              }
              onEdit={() => store.startEdit(m)}
              fix={store.e2ee.canFix(m) ? store.e2ee.of(peer).repair : undefined}
              onFix={() => void store.e2ee.repair(peer)}
              decrypt={decrypt}
              local={
                m.outgoing ? (store.uploadOf(peer, m.id)?.body as Blob | undefined) : undefined
              }
              scanned={m.outgoing ? store.uploadOf(peer, m.id)?.scanned : undefined}
            />
          ),
        )}
      </ol>
    </div>
  );
}
