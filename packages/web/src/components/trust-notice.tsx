// The chat's notices about the contact's devices: a warning when a device's key changed (its
// messages are refused until the user decides, in the Security panel), and a quiet notice when
// the contact added a device (saying whether it gets messages).
import type { ChatStore } from "../state/store.js";

export function TrustNotices({
  store,
  peer,
  name,
}: {
  store: ChatStore;
  peer: string;
  name: string;
}) {
  const notices = store.trust.of(peer).notices;
  const review = () => {
    if (store.trust.open !== peer) store.trust.toggle(peer);
  };
  return (
    <div class="trust-notices">
      {notices.map((n) =>
        n.kind === "key-changed" ? (
          <div key={`k${n.device}`} class="trust-warning" role="alert">
            <p>
              <strong>Warning:</strong> <bdi>{name}</bdi>'s device {n.device} presented a different
              security key. Nothing is sent to it or read from it until you accept the new key. If{" "}
              <bdi>{name}</bdi> did not reinstall or reset that device, someone may be impersonating
              them.
            </p>
            <button type="button" onClick={review}>
              Review in Security
            </button>{" "}
            <button type="button" onClick={() => store.trust.dismiss(peer, n)}>
              Dismiss<span class="sr-only"> the warning about device {n.device}</span>
            </button>
          </div>
        ) : (
          <div key={`n${n.device}`} class="trust-info" role="status">
            <p>
              <bdi>{name}</bdi> added a device ({n.device}).{" "}
              {n.getsMessages
                ? "It gets your messages: you have not verified any of their devices."
                : "It gets no messages until you verify it in Security."}
            </p>
            <button type="button" onClick={() => store.trust.dismiss(peer, n)}>
              Dismiss<span class="sr-only"> the notice about device {n.device}</span>
            </button>
          </div>
        ),
      )}
    </div>
  );
}
