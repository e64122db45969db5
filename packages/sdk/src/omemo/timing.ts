// How often OMEMO renews and re-reads things: signed pre-key rotation and the freshness of
// cached device lists. Defaults suit people; tests shorten them or move the clock.

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** OMEMO's periods, all in milliseconds (`new HatoClient({ omemoTiming })`). */
export interface OmemoTiming {
  /** Age after which our signed pre-key is replaced by a new one (default 7 days). */
  signedPreKeyAge: number;
  /**
   * How long a replaced signed pre-key is kept so that PreKey messages built on it (by a
   * sender that fetched our bundle before the rotation) still decrypt (default 30 days).
   */
  signedPreKeyGrace: number;
  /** How often a connected client checks whether the signed pre-key is due (default 1 hour). */
  checkEvery: number;
  /**
   * How long a device list read from PEP, or heard in a notification, is used before sending
   * reads it again (default 1 hour). Notifications refresh it, and a new session forgets all.
   */
  deviceListAge: number;
  /** The clock (default Date.now); tests move it. */
  now: () => number;
}

export const DEFAULT_TIMING: OmemoTiming = {
  signedPreKeyAge: 7 * DAY,
  signedPreKeyGrace: 30 * DAY,
  checkEvery: HOUR,
  deviceListAge: HOUR,
  now: () => Date.now(),
};

/** Most replaced signed pre-keys kept at once, whatever the periods (the oldest go first). */
export const MAX_OLD_SIGNED_PRE_KEYS = 8;
