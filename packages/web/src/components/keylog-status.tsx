// One contact's keys against the organisation's key log, in a line or two: "Keys checked
// against your organisation's key log", or what is wrong, device by device. For the chat
// header and the contact's Security panel.
import type { ContactCheck, DeviceCheck, HatoClient, KeyLogWatcher } from "@hato/sdk";
import { useEffect } from "preact/hooks";
import { useKeyLog } from "../state/keylog.js";

const PROBLEM: Partial<Record<DeviceCheck["status"], string>> = {
  "not-logged": "its key is not in the key log",
  mismatch: "the key log has a different key for it",
};

/** The words for `jid` (and whether they report a problem). */
function describe(watcher: KeyLogWatcher, r: ContactCheck | undefined): [string, boolean] {
  const s = watcher.status;
  if (s.state === "failed" && s.problem !== "unavailable")
    // The banner above says why, once for every chat.
    return ["Keys not checked: the key log failed its check", true];
  if (r === undefined) return ["Checking keys against your organisation's key log…", false];
  if (r.state === "elsewhere")
    return ["Keys not checked: this contact is on another server, outside your key log", false];
  if (r.state === "failed") {
    if (r.problem === "unavailable")
      return ["Keys could not be checked against the key log", false];
    return [`Keys not checked: ${r.message}`, true];
  }
  const bad = r.devices.filter((d) => PROBLEM[d.status] !== undefined);
  if (bad.length > 0)
    return [bad.map((d) => `Device ${d.device}: ${PROBLEM[d.status]}`).join("; "), true];
  // The log answers with an address's newest keys only: older devices are not a finding.
  const unshown = r.devices.filter((d) => d.status === "not-shown").length;
  const note =
    unshown === 0
      ? ""
      : ` (${unshown} older device${unshown === 1 ? "" : "s"} not shown by the log)`;
  if (!r.devices.some((d) => d.status === "logged"))
    return [unshown === 0 ? "No encryption keys to check" : `Keys not checked${note}`, false];
  return [`Keys checked against your organisation's key log${note}`, false];
}

/** The key log status of contact `jid`; checks it when shown for the first time. */
export function KeyLogStatus({ client, jid }: { client: HatoClient; jid: string }) {
  const watcher = useKeyLog(client);
  useEffect(() => watcher?.watch(jid), [watcher, jid]);
  if (watcher === undefined) return null;
  const [text, problem] = describe(watcher, watcher.contact(jid));
  return (
    <span class={problem ? "keylog-status problem" : "keylog-status"} role="status">
      {text}
    </span>
  );
}
