// `hato policy explain USER`: what a user may and may not do, in plain words.

import type { Policy } from "./compile.js";

const LATER_FED = " (enforced once federation exists)";
const LATER_CALLS = " (enforced once calls exist)";
const LATER = " (enforced in a later version)";

const bytes = (n: number) =>
  n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(1).replace(/\.0$/, "")} MiB` : `${n} bytes`;

/** The lines `hato policy explain` prints for one account (its local part). */
export function explain(policy: Policy, username: string): string[] {
  const p = policy.forUser(username);
  const r = p.rules;
  const out: string[] = [];
  out.push(`${p.user}@${policy.domain}`);
  out.push(
    `role: ${p.role}${p.role === "admin" ? " (may administer the server)" : p.role === "limited" ? " (may not talk to other servers, in either direction)" : ""}`,
  );
  out.push(`groups: ${p.groups.length > 0 ? p.groups.join(", ") : "none"}`);
  const fed =
    p.role === "limited"
      ? `may not talk to other servers in either direction (limited role)${LATER_FED}`
      : r.federation.mode === "off"
        ? `may not talk to other servers${LATER_FED}`
        : r.federation.mode === "open"
          ? `may talk to any other server${LATER_FED}`
          : `may talk only to ${r.federation.domains.join(", ")}${LATER_FED}`;
  out.push(`federation: ${fed}`);
  const reg = policy.base.registration;
  out.push(
    `registration: ${reg === undefined ? "as the server's register.enabled setting says" : reg === "off" ? "new accounts only by an admin" : reg === "invite" ? "new accounts only with a single-use invite" : "anyone may register an account (when register.enabled is on)"}`,
  );
  if (!r.files.enabled) out.push("files: may not share files");
  else {
    const f = r.files;
    const parts = [
      "may share files",
      f.maxBytes !== undefined ? `up to ${bytes(f.maxBytes)}` : "",
      f.allowedTypes.length > 0 ? `only of types ${f.allowedTypes.join(", ")}` : "",
      f.blockedTypes.length > 0 ? `never of types ${f.blockedTypes.join(", ")}` : "",
    ].filter((s) => s !== "");
    out.push(`files: ${parts.join(", ")}`);
    if (f.scanningRequired) out.push(`files: must be scanned before release${LATER}`);
    if (f.retentionDays !== undefined)
      out.push(`files: deleted after ${f.retentionDays} days${LATER}`);
  }
  out.push(
    `encryption: ${r.encryption === "required" ? "1:1 messages must be end-to-end encrypted (OMEMO); plaintext ones are refused" : "end-to-end encryption is optional"}`,
  );
  out.push(
    `calls: ${r.calls === "off" ? "may not make calls" : r.calls === "relay-only" ? "calls only through the server's relay" : "calls may be peer-to-peer"}${LATER_CALLS}`,
  );
  out.push(
    `archive: ${r.archiveRetentionDays === undefined ? "messages kept until deleted" : `messages deleted after ${r.archiveRetentionDays} days`}${r.archiveRetentionDays === undefined ? "" : LATER}`,
  );
  const rl = r.rateLimits;
  const rates = [
    rl.stanzasPerSecond !== undefined ? `${rl.stanzasPerSecond} stanzas per second` : "",
    rl.bytesPerSecond !== undefined ? `${rl.bytesPerSecond} bytes per second` : "",
    rl.loginsPerMinutePerAddress !== undefined
      ? `${rl.loginsPerMinutePerAddress} logins per minute per address`
      : "",
  ].filter((s) => s !== "");
  if (rates.length > 0) out.push(`rate limits: at most ${rates.join(", ")}`);
  out.push(
    `clients: ${r.allowedClients.length === 0 ? "any client software" : `only ${r.allowedClients.join(", ")} (by what the client says it is)`}`,
  );
  out.push(
    `sessions: ${r.maxSessions === undefined ? "as many as the server allows" : `at most ${r.maxSessions} at once`}`,
  );
  out.push(
    `client version: ${r.versionQueries ? "others may ask which client software this user runs" : "others may not ask which client software this user runs"}`,
  );
  return out;
}
