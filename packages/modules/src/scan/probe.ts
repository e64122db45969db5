// Small zip files that check a clamd's configuration before it is trusted: an encrypted
// entry (clamd must alert: AlertEncrypted) and archives nested deeper than any sane
// MaxRecursion (clamd must alert: AlertExceedsMax). Without those alerts clamd answers "OK"
// for what it did not scan.

import { randomBytes } from "node:crypto";
import { crc32 } from "node:zlib";

/** A zip of stored (uncompressed) entries; `encrypted` sets traditional encryption's flag. */
export function storedZip(entries: { name: string; data: Buffer; encrypted?: boolean }[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name, "utf8");
    // Traditional encryption puts a 12-byte header before the data; the probe's is filler.
    const body = e.encrypted ? Buffer.concat([Buffer.alloc(12, 0x5a), e.data]) : e.data;
    const flags = e.encrypted ? 0x1 : 0;
    const crc = crc32(e.data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(flags, 6);
    local.writeUInt16LE(0x21, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(e.data.length, 22);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(flags, 8);
    central.writeUInt16LE(0x21, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(body.length, 20);
    central.writeUInt32LE(e.data.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, body);
    centrals.push(central, name);
    offset += local.length + name.length + body.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}

// clamd caches clean results by hash, and would skip the inner levels of a probe it had seen:
// every probe is new.
const line = () => Buffer.from(`Hato configuration probe ${randomBytes(16).toString("hex")}\n`);

/** A zip with one encrypted entry. */
export const encryptedProbe = () =>
  storedZip([{ name: "probe.txt", data: line(), encrypted: true }]);

/** Zips nested `levels` deep around a line of text. */
export function nestedProbe(levels: number): Buffer {
  let zip = storedZip([{ name: "probe.txt", data: line() }]);
  for (let i = 0; i < levels; i++) zip = storedZip([{ name: `level${i}.zip`, data: zip }]);
  return zip;
}
