// What in-band registration accepts: usernames, passwords, and attempts per address and hour.

import { StanzaError } from "@hato/core";
import { prepLocal } from "@hato/jid";

const HOUR = 3_600_000;

/** A prepared username, or not-acceptable with the reason. */
export function checkUsername(text: string | undefined): string {
  const username = text === undefined || text === "" ? null : prepLocal(text);
  if (username === null) {
    throw new StanzaError(
      "not-acceptable",
      text ? `"${text.slice(0, 64)}" cannot be a username` : "a username is required",
    );
  }
  return username;
}

/** The password when its length (in characters) is within the server's limits. */
export function checkPassword(text: string | undefined, min: number, max: number): string {
  const length = text === undefined ? 0 : [...text].length;
  if (text === undefined || length < min) {
    throw new StanzaError("not-acceptable", `a password of at least ${min} characters is required`);
  }
  if (length > max) {
    throw new StanzaError("not-acceptable", `a password may have at most ${max} characters`);
  }
  return text;
}

/**
 * Counts attempts per address in hourly windows; `take` throws policy-violation (wait) past
 * `max`, naming what was counted.
 */
export function hourlyLimit(max: number, what: string): (address: string) => void {
  const windows = new Map<string, { count: number; until: number }>();
  return (address) => {
    const now = Date.now();
    if (windows.size > 10_000) {
      for (const [a, w] of windows) if (w.until <= now) windows.delete(a);
    }
    let w = windows.get(address);
    if (w === undefined || w.until <= now) {
      w = { count: 0, until: now + HOUR };
      windows.set(address, w);
    }
    if (w.count >= max) {
      throw new StanzaError(
        "policy-violation",
        `too many ${what} from your address; at most ${max} an hour`,
        "wait",
      );
    }
    w.count++;
  };
}
