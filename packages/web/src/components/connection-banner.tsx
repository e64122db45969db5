// A banner that says plainly when the connection is down and the client is reconnecting.
import type { Status } from "@hato/sdk";

const TEXT: Partial<Record<Status, string>> = {
  connecting: "Connecting…",
  reconnecting:
    "Offline: the connection was lost. Reconnecting… Messages you send will go out when it is back.",
  disconnected: "Offline: disconnected from the server.",
  "auth-failed": "Offline: the server refused your credentials. Sign out and sign in again.",
};

/** Shown whenever the client is not online; a status region so screen readers hear it. */
export function ConnectionBanner({ status, detail }: { status: Status; detail: string }) {
  const text = TEXT[status];
  return (
    <div role="status" class="banner">
      {text === undefined ? "" : detail === "" ? text : `${text} (${detail})`}
    </div>
  );
}
