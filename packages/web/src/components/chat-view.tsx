// One 1:1 conversation: header with a Back button (narrow screens), the log, typing, composer.
import type { Contact } from "@hato/sdk";
import { useEffect, useRef, useState } from "preact/hooks";
import { attachFiles } from "../files/attach.js";
import type { ChatStore } from "../state/store.js";
import { Avatar } from "./avatar.js";
import { Composer } from "./composer.js";
import { contactName } from "./contact-list.js";
import { EncryptionNotice, EncryptionState } from "./encryption.js";
import { KeyLogStatus } from "./keylog-status.js";
import { MessageLog } from "./message-log.js";
import { presenceOf } from "./presence.js";
import { SecurityPanel } from "./security-panel.js";
import { TrustNotices } from "./trust-notice.js";

interface Props {
  store: ChatStore;
  peer: string;
  contact: Contact | undefined;
}

/** The open chat with `peer`. */
export function ChatView({ store, peer, contact }: Props) {
  const name = contactName(contact, peer);
  const presence = presenceOf(contact?.show ?? "offline", store.status === "online");
  const chat = store.chat(peer);
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), []);
  const [dropping, setDropping] = useState(false);
  const hasFiles = (e: DragEvent) => e.dataTransfer?.types.includes("Files") === true;

  return (
    <section
      class={dropping ? "chat-view dropping" : "chat-view"}
      aria-labelledby="chat-h"
      onDragOver={(e) => {
        if (!hasFiles(e)) return;
        e.preventDefault();
        if (e.dataTransfer) e.dataTransfer.dropEffect = "copy";
        setDropping(true);
      }}
      onDragLeave={(e) => {
        if (e.relatedTarget === null || !e.currentTarget.contains(e.relatedTarget as Node))
          setDropping(false);
      }}
      onDrop={(e) => {
        e.preventDefault();
        setDropping(false);
        const files = e.dataTransfer?.files;
        if (files !== undefined && files.length > 0) attachFiles(store, peer, Array.from(files));
      }}
    >
      <header class="chat-head">
        <button
          type="button"
          class="back"
          onClick={() => {
            store.open(undefined);
            // Back where we came from: the contact's entry in the list.
            requestAnimationFrame(() =>
              document.querySelector<HTMLElement>(`[data-jid="${CSS.escape(peer)}"]`)?.focus(),
            );
          }}
        >
          Back<span class="sr-only"> to contacts</span>
        </button>
        <Avatar contact={contact} label={name} />
        <div>
          <h2 id="chat-h" tabIndex={-1} ref={heading}>
            <bdi>{name}</bdi>
          </h2>
          <span class="presence">
            <span class={`dot ${presence.dot}`} aria-hidden="true" />
            {presence.word}
          </span>{" "}
          <EncryptionState state={store.e2ee.of(peer).state} />
          <KeyLogStatus client={store.client} jid={peer} />
        </div>
        <button
          type="button"
          class="security-button"
          aria-expanded={store.trust.open === peer}
          aria-controls="security-panel"
          onClick={() => store.trust.toggle(peer)}
        >
          Security
        </button>
      </header>
      {store.trust.open === peer ? <SecurityPanel store={store} peer={peer} name={name} /> : null}
      <TrustNotices store={store} peer={peer} name={name} />
      <MessageLog store={store} peer={peer} name={name} />
      <p class="typing" aria-live="polite">
        {chat.typing ? `${name} is typing…` : ""}
      </p>
      <EncryptionNotice store={store} peer={peer} name={name} />
      <Composer store={store} peer={peer} />
    </section>
  );
}
