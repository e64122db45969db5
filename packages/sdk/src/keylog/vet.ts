// The key log's say before a contact's new device gets blind trust (Omemo and Omemo2 ask
// through omemo/outgoing.ts `KeyVetter`, naming the namespace): checking keys after the first
// message would be too late, because a device the server slipped in would already have read
// it. docs/key-transparency.md.

import { bare, domainOf } from "../jid.js";
import { NS_OMEMO } from "../ns.js";
import type { KeyVetter } from "../omemo/outgoing.js";
import { type KeyLog, KeyLogError } from "./client.js";
import { identityKeyHash } from "./leaf.js";
import type { KeyLogWatcher, WatchProblem } from "./watch.js";

/** Failures that mean the log lied, as opposed to it being out of reach or our memory damaged. */
const LIES: ReadonlySet<WatchProblem> = new Set([
  "malformed",
  "bad-signature",
  "key-changed",
  "inconsistent",
  "not-included",
]);

/**
 * A vetter over `watcher`'s verified head. It refuses a device of our own server's user when
 * the log holds another key for it, or none at all (looked up again under a fresh head first,
 * since a key is logged just before it is published); and every new device while the log is
 * caught lying, so that making the log fail is no way around it. It allows users of other
 * servers (their keys are in their server's log), a device the log's answer was too full to
 * show, and anything while the log cannot be reached (then the banner says so).
 */
export function keyLogVetter(
  watcher: KeyLogWatcher,
  log: KeyLog,
  self: string,
  leavesPerAnswer: number,
): KeyVetter {
  return async (jid, device, identityKey, ns = NS_OMEMO) => {
    const who = bare(jid);
    if (domainOf(who) !== domainOf(self)) return undefined;
    const ik = await identityKeyHash(identityKey);
    for (const fresh of [false, true]) {
      if (fresh || watcher.status.state !== "ok") await watcher.check();
      const s = watcher.status;
      if (s.state === "failed")
        return LIES.has(s.problem)
          ? `your organisation's key log failed its check (${s.message}): new devices get no messages until it passes`
          : undefined;
      if (s.state !== "ok") return undefined;
      let logged: Awaited<ReturnType<KeyLog["keysOf"]>>;
      try {
        logged = await log.keysOf(who, s.head);
      } catch (err) {
        if (err instanceof KeyLogError)
          return `the key log's answer for ${who} failed its check (${err.message}): not sent to device ${device}`;
        return undefined;
      }
      const same = logged.filter((k) => k.ns === ns && k.device === device);
      if (same.some((k) => k.ik === ik)) return undefined;
      if (same.length === 0 && logged.length >= leavesPerAnswer) return undefined;
      if (fresh)
        return same.length > 0
          ? `${who}'s device ${device} presents a key other than the one in your organisation's key log: not sent to it`
          : `${who}'s device ${device} is not in your organisation's key log: not sent to it`;
    }
    return undefined;
  };
}
