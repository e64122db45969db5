// Files for upload tests: a real PNG made on the spot, the EICAR test file built at run time
// (the repository never holds the whole signature), and Node's HTTPS as an SDK put function.

import { request } from "node:https";
import { crc32, deflateSync } from "node:zlib";
import type { HttpFunction, PutFunction } from "@hato/sdk";

/** A valid RGB PNG of `w`×`h` pixels; `stored` keeps the pixels uncompressed (a bigger file). */
export function pngBytes(w: number, h: number, stored = false): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type, "ascii"), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(td));
    return Buffer.concat([len, td, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr.set([8, 2, 0, 0, 0], 8); // 8-bit RGB, no interlace
  const rows = Buffer.alloc(h * (1 + 3 * w));
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const at = y * (1 + 3 * w) + 1 + 3 * x;
      rows[at] = (x * 255) / w;
      rows[at + 1] = (y * 255) / h;
      rows[at + 2] = 160;
    }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", ihdr),
    chunk("IDAT", deflateSync(rows, { level: stored ? 0 : 6 })),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

/** The 68-byte EICAR anti-virus test file, joined from two halves at run time. */
export function eicar(): string {
  const head = String.raw`X5O!P%@AP[4\PZX54(P^)7CC)7}$`;
  const tail = ["EICAR", "STANDARD", "ANTIVIRUS", "TEST", "FILE!$H+H*"].join("-");
  return head + tail;
}

/** A PutFunction over node:https trusting the test CA, reporting progress per 64 KiB. */
export function httpsPut(ca: string): PutFunction {
  return (url, body, headers, onProgress) =>
    new Promise((resolve, reject) => {
      const bytes = Buffer.from(body as Uint8Array);
      const req = request(url, {
        method: "PUT",
        ca,
        family: 4,
        servername: "localhost",
        headers: { ...headers, "Content-Length": String(bytes.length) },
      });
      req.on("error", reject);
      req.on("response", (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }),
        );
      });
      const step = 64 * 1024;
      for (let at = 0; at < bytes.length; at += step) {
        req.write(bytes.subarray(at, at + step));
        onProgress?.(Math.min(at + step, bytes.length), bytes.length);
      }
      if (bytes.length === 0) onProgress?.(0, 0);
      req.end();
    });
}

/** GETs `url` trusting the test CA: status, headers and body. */
export function httpsGet(
  url: string,
  ca: string,
): Promise<{
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: "GET", ca, family: 4, servername: "localhost" });
    req.on("error", reject);
    req.on("response", (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
      );
    });
    req.end();
  });
}

/** Requests seen by an httpsFetch function: method and URL, in order. */
export type Seen = { method: string; url: string }[];

/**
 * An SDK HttpFunction over node:https trusting the test CA (what a Node bot passes as `http`),
 * honouring `maxBytes`; `seen` records every request.
 */
export function httpsFetch(ca: string, seen: Seen = []): HttpFunction {
  return (req) =>
    new Promise((resolve, reject) => {
      seen.push({ method: req.method, url: req.url });
      const r = request(req.url, {
        method: req.method,
        ca,
        family: 4,
        servername: "localhost",
        headers: {
          ...req.headers,
          ...(req.body === undefined
            ? {}
            : { "Content-Length": String(Buffer.byteLength(req.body)) }),
        },
      });
      r.on("error", reject);
      r.on("response", (res) => {
        const header = (name: string) => {
          const v = res.headers[name.toLowerCase()];
          return Array.isArray(v) ? v.join(", ") : v;
        };
        const chunks: Buffer[] = [];
        let got = 0;
        res.on("data", (c: Buffer) => {
          got += c.length;
          if (req.maxBytes !== undefined && got > req.maxBytes) {
            res.destroy();
            resolve({
              status: res.statusCode ?? 0,
              header,
              body: new Uint8Array(0),
              tooLarge: true,
            });
            return;
          }
          chunks.push(c);
        });
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            header,
            body: new Uint8Array(Buffer.concat(chunks)),
          }),
        );
      });
      r.end(req.body);
    });
}
