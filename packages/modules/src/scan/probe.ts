// Small zip files that check a clamd's configuration before it is trusted: an encrypted
// entry (clamd must alert: AlertEncrypted) and archives nested deeper than any sane
// MaxRecursion (clamd must alert: AlertExceedsMax). Without those alerts clamd answers "OK"
// for what it did not scan.

import { randomBytes } from "node:crypto";
import { buildZip } from "./zip-write.js";

// clamd caches clean results by hash, and would skip the inner levels of a probe it had seen:
// every probe is new.
const line = () => Buffer.from(`Hato configuration probe ${randomBytes(16).toString("hex")}\n`);

/** A zip with one encrypted entry. */
export const encryptedProbe = () =>
  buildZip([{ name: "probe.txt", data: line(), method: 0, encrypted: true }]);

/** Zips nested `levels` deep around a line of text. */
export function nestedProbe(levels: number): Buffer {
  let zip = buildZip([{ name: "probe.txt", data: line(), method: 0 }]);
  for (let i = 0; i < levels; i++)
    zip = buildZip([{ name: `level${i}.zip`, data: zip, method: 0 }]);
  return zip;
}
