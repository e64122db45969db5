// The conversation's end-to-end encryption, in words: the chat header's state, and the notice
// above the composer when messages cannot be encrypted (with the explicit choice to send
// unencrypted, which the organisation's policy may take away).
import type { ChatEncryption } from "../state/e2ee.js";
import type { ChatStore } from "../state/store.js";

const STATE_TEXT: Record<ChatEncryption["state"], string> = {
  checking: "Checking encryption…",
  on: "End-to-end encrypted",
  unavailable: "Cannot encrypt",
  off: "Not encrypted",
};

/** The header's line: the state as text (the icon is decoration only). */
export function EncryptionState({ state }: { state: ChatEncryption["state"] }) {
  return (
    <span class={`e2ee-state ${state}`} data-testid="e2ee-state">
      <span class="e2ee-icon" aria-hidden="true" />
      {STATE_TEXT[state]}
    </span>
  );
}

/** Why messages cannot be encrypted, and what the user may do about it; nothing while encrypted. */
export function EncryptionNotice({
  store,
  peer,
  name,
}: {
  store: ChatStore;
  peer: string;
  name: string;
}) {
  const e = store.e2ee.of(peer);
  const required = store.e2ee.required;
  if (e.state === "off")
    return (
      <div class="e2ee-notice off" role="status">
        <p>
          You chose to send messages in this chat unencrypted: the servers on the way can read them.
        </p>
        <button type="button" onClick={() => store.e2ee.encryptAgain(peer)}>
          Encrypt again
        </button>
      </div>
    );
  if (e.state !== "unavailable") return <div class="e2ee-notice" role="status" />;
  return (
    <div class="e2ee-notice unavailable" role="status">
      <p>
        {e.noDevice ? (
          <>
            <bdi>{name}</bdi>'s app cannot receive encrypted messages.
          </>
        ) : (
          <>
            Messages to <bdi>{name}</bdi> cannot be encrypted: {e.problem}
          </>
        )}{" "}
        {required
          ? "Your organisation requires end-to-end encryption, so no message is sent unencrypted."
          : "Nothing is sent unencrypted unless you choose so for this chat."}
      </p>
      {required ? null : (
        <button type="button" onClick={() => store.e2ee.allowPlain(peer)}>
          Send unencrypted in this chat
        </button>
      )}
    </div>
  );
}
