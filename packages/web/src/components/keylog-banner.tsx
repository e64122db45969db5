// Alerts from the key log watcher that concern the whole account: a device key on our own
// address that this browser did not create (with "This is mine"), and a key log that failed
// its checks (a lie by the server, or a damaged memory on this device).
import type { HatoClient, LogStatus, OwnAlert } from "@hato/sdk";
import { useKeyLog } from "../state/keylog.js";

/** A failed check that is worth an alarm: everything but "the server did not answer". */
function logFailure(status: LogStatus): string | undefined {
  return status.state === "failed" && status.problem !== "unavailable" ? status.message : undefined;
}

/** When the server logged a key, in the reader's own format (the server's text if unreadable). */
function when(at: string): string {
  const d = new Date(at);
  return Number.isNaN(d.getTime()) ? at : d.toLocaleString();
}

/** The alert's first sentence, with the time in the reader's format. */
function headline(a: OwnAlert): string {
  return a.kind === "new-device"
    ? `A device you did not add appeared on your account: device ${a.key.device}, added at ${when(a.at)}.`
    : `The key of this device (${a.key.device}) was replaced on your account at ${when(a.at)}.`;
}

/** The banner; empty (and hidden) while the log checks out and no alert is open. */
export function KeyLogBanner({ client }: { client: HatoClient }) {
  const watcher = useKeyLog(client);
  if (watcher === undefined) return null;
  const failure = logFailure(watcher.status);
  const ack = (a: OwnAlert) => void watcher.acknowledge(a);
  return (
    <div role="alert" class="keylog-banner">
      {failure === undefined ? null : (
        <p>
          <strong>Your organisation's key log failed its check:</strong> {failure}. Encrypted chats
          may not be private: tell your administrator.
        </p>
      )}
      {watcher.alerts.map((a) => (
        <p key={`${a.key.ns} ${a.key.device} ${a.key.ik}`}>
          <strong>{headline(a)}</strong> If you did not add it, someone else may read your new
          encrypted messages: change your password and tell your administrator.{" "}
          <button
            type="button"
            aria-label={`This is mine: device ${a.key.device}`}
            onClick={() => ack(a)}
          >
            This is mine
          </button>
        </p>
      ))}
    </div>
  );
}
