// One of our uploads before its message exists: progress while the bytes go out, "Scanning"
// while the server's scanner decides, and the reason when it was blocked or failed.
import { displayName, formatSize } from "../files/kind.js";
import type { Upload } from "../state/store.js";

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });

/** A row in the log for an upload in progress, blocked or failed. */
export function UploadItem({ upload: u }: { upload: Upload }) {
  const name = displayName(u.name);
  const pct = u.size === 0 ? 100 : Math.floor((100 * u.sent) / u.size);
  return (
    <li class={`msg out upload ${u.state}`}>
      <div class="meta">
        <bdi class="from">You</bdi>{" "}
        <time dateTime={u.time.toISOString()}>{timeFormat.format(u.time)}</time>
      </div>
      <div class="file">
        <bdi>{name}</bdi> ({formatSize(u.size)}){u.encrypted ? ", end-to-end encrypted" : ""}
      </div>
      {u.state === "uploading" ? (
        <div class="progress">
          <progress max={100} value={pct} aria-label={`Uploading ${name}`} />
          <span>Uploading {pct}%</span>
        </div>
      ) : u.state === "scanning" ? (
        <div class="progress">
          <progress aria-label={`Scanning ${name}`} />
          <span>Scanning for malware…</span>
        </div>
      ) : u.state === "blocked" ? (
        <p class="verdict">Blocked: {u.reason}</p>
      ) : u.state === "failed" ? (
        <p class="verdict">Not sent: {u.reason}</p>
      ) : null}
    </li>
  );
}
