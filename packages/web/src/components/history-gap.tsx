// Archived encrypted messages whose text this device does not have (the archive holds only
// ciphertext; the text lives in the local history of the device that read it). A run of them
// is one plain notice, never a row of empty bubbles.
import type { ChatMessage } from "@hato/sdk";

/** One run of consecutive unavailable messages, as a notice. */
export function HistoryGap({ messages }: { messages: ChatMessage[] }) {
  const n = messages.length;
  const beforeDevice = messages.some((m) => m.unavailable === "before-device");
  return (
    <li class="history-gap">
      <div role="note">
        {beforeDevice ? (
          <>
            <strong>Older encrypted messages are not available on this device</strong>
            <span class="why">
              {n === 1 ? "1 message was" : `${n} messages were`} encrypted before this device was
              set up.
            </span>
          </>
        ) : (
          <>
            <strong>
              {n === 1
                ? "1 encrypted message is not available on this device"
                : `${n} encrypted messages are not available on this device`}
            </strong>
            <span class="why">This device did not keep their text.</span>
          </>
        )}
      </div>
    </li>
  );
}
