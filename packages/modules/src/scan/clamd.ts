// ClamAV's clamd as a scanning engine: the file is streamed over INSTREAM (TCP or a unix
// socket) and the one-line reply becomes a verdict. Fails closed: no reply, a garbled reply
// or a timeout throws ScannerUnavailable; a scan clamd could not finish is refused.

import { createReadStream } from "node:fs";
import { connect, type Socket } from "node:net";
import { Readable } from "node:stream";
import { encryptedProbe, nestedProbe } from "./probe.js";
import { type ScanInput, type Scanner, ScannerUnavailable, type Verdict } from "./types.js";

/** Where clamd listens: a TCP host and port, or a unix socket path. */
export type ClamdAddress = { host: string; port: number } | { path: string };

/** Parses `tcp://HOST:PORT` (`tcp://[::1]:3310`) or an absolute unix socket path. */
export function parseClamdAddress(text: string): ClamdAddress {
  if (text.startsWith("/")) return { path: text };
  const m = /^tcp:\/\/(?:\[([0-9a-fA-F:.]+)\]|([^\s/:[\]]+)):(\d{1,5})$/.exec(text);
  const port = m ? Number(m[3]) : 0;
  if (!m || port < 1 || port > 65535) {
    throw new Error(
      `scan.clamd-address: expected tcp://HOST:PORT or a unix socket path, got ${text}`,
    );
  }
  return { host: m[1] ?? m[2]!, port };
}

/** Longest reply accepted from clamd; a real one is a line. */
const MAX_REPLY = 4096;
/** Bytes sent in one INSTREAM chunk (clamd's default StreamMaxLength is far larger). */
const CHUNK = 64 * 1024;

/**
 * A clamd reply as a verdict. `Heuristics.Limits.Exceeded.*` (AlertExceedsMax) and
 * `Heuristics.Encrypted.*` (AlertEncrypted) mean clamd could not scan everything: refused.
 */
export function parseClamdReply(reply: string): Verdict {
  const line = reply.replace(/\0+$/, "").trim();
  const engine = "clamd";
  if (/^stream: OK$/.test(line)) return { status: "clean", engine };
  const found = /^stream: (.+) FOUND$/.exec(line);
  if (found) {
    const signature = found[1]!.trim();
    if (/^Heuristics\.(Limits\.Exceeded|Encrypted)\b/.test(signature)) {
      const encrypted = signature.startsWith("Heuristics.Encrypted");
      return {
        status: "refused",
        engine,
        reason: encrypted
          ? "the file is encrypted (or holds an encrypted archive), so it cannot be scanned"
          : "the file is larger or more deeply packed than the scanner's limits, so it cannot be scanned in full",
      };
    }
    return {
      status: "infected",
      engine,
      signature,
      reason: `the virus scanner found ${signature} in the file`,
    };
  }
  if (/size limit exceeded/i.test(line)) {
    return {
      status: "refused",
      engine,
      reason: "the file is larger than the virus scanner accepts, so it cannot be scanned",
    };
  }
  if (/ERROR$/.test(line)) {
    return {
      status: "refused",
      engine,
      reason: "the virus scanner could not scan the file",
    };
  }
  throw new ScannerUnavailable(
    `clamd gave an unexpected reply: ${JSON.stringify(line.slice(0, 200))}`,
  );
}

export interface ClamdOptions {
  address: ClamdAddress;
  timeoutSeconds: number;
}

/** One request: connect, send, read the NUL-terminated reply (bounded), within the timeout. */
function exchange(options: ClamdOptions, send: (socket: Socket) => Promise<void>): Promise<string> {
  return new Promise((resolve, reject) => {
    const a = options.address;
    const socket =
      "path" in a ? connect({ path: a.path }) : connect({ host: a.host, port: a.port });
    let reply = Buffer.alloc(0);
    let settled = false;
    const finish = (err: Error | null, text?: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (err) reject(err);
      else resolve(text!);
    };
    const timer: NodeJS.Timeout = setTimeout(
      () =>
        finish(
          new ScannerUnavailable(`clamd did not answer within ${options.timeoutSeconds} seconds`),
        ),
      options.timeoutSeconds * 1000,
    );
    socket.on("data", (chunk: Buffer) => {
      reply = Buffer.concat([reply, chunk]);
      const nul = reply.indexOf(0);
      if (nul >= 0) finish(null, reply.subarray(0, nul).toString("utf8"));
      else if (reply.length > MAX_REPLY)
        finish(new ScannerUnavailable("clamd's reply is too long"));
    });
    // clamd may close the connection while we still write (a size limit): its reply, if it
    // sent one, has arrived by the time the socket closes.
    socket.on("close", () => {
      if (reply.length > 0) finish(null, reply.toString("utf8"));
      else finish(new CutOff());
    });
    let connected = false;
    socket.once("connect", () => {
      connected = true;
      send(socket).catch((err: unknown) => {
        // A write that failed because clamd closed the connection (a size limit) ends with
        // "close" above, which reads whatever clamd replied; anything else is ours to report.
        if (err !== CLOSED) {
          finish(
            new ScannerUnavailable(
              `the file could not be sent to clamd: ${(err as Error).message}`,
            ),
          );
        }
      });
    });
    socket.on("error", (err: NodeJS.ErrnoException) => {
      if (!connected) {
        finish(new ScannerUnavailable(`clamd cannot be reached: ${err.code ?? err.message}`));
      }
    });
  });
}

const CLOSED = new Error("clamd closed the connection");

/**
 * clamd closed the connection without a reply. Its reply may have been lost: when clamd stops
 * reading (a file over StreamMaxLength) and closes with data unread, the TCP reset can discard
 * "INSTREAM size limit exceeded" before Hato reads it.
 */
class CutOff extends ScannerUnavailable {
  constructor() {
    super("clamd closed the connection without a reply");
  }
}

const write = (socket: Socket, data: Uint8Array) =>
  new Promise<void>((resolve, reject) => {
    if (socket.destroyed || !socket.writable) return reject(CLOSED);
    if (socket.write(data)) return resolve();
    const onDrain = () => {
      socket.off("close", onClose);
      resolve();
    };
    const onClose = () => {
      socket.off("drain", onDrain);
      reject(CLOSED);
    };
    socket.once("drain", onDrain).once("close", onClose);
  });

/** Streams bytes to clamd with INSTREAM: length-prefixed chunks, then a zero length. */
async function instream(socket: Socket, source: () => Readable): Promise<void> {
  await write(socket, Buffer.from("zINSTREAM\0", "latin1"));
  const file = source();
  try {
    for await (const chunk of file as AsyncIterable<Buffer>) {
      const len = Buffer.alloc(4);
      len.writeUInt32BE(chunk.length, 0);
      await write(socket, Buffer.concat([len, chunk]));
    }
  } finally {
    file.destroy();
  }
  await write(socket, Buffer.alloc(4));
}

/** Nesting of the recursion probe: above clamd's default MaxRecursion (17) by far. */
export const PROBE_LEVELS = 64;

/**
 * Checks that clamd refuses what it cannot scan: an encrypted zip must come back as
 * Heuristics.Encrypted (AlertEncrypted yes) and archives nested PROBE_LEVELS deep as
 * Heuristics.Limits.Exceeded (AlertExceedsMax yes). Otherwise clamd would answer "OK" for files
 * it did not scan in full, so it is not trusted: ScannerUnavailable says what to set.
 */
export async function verifyClamd(options: ClamdOptions): Promise<void> {
  const scanBytes = (bytes: Buffer) =>
    exchange(options, (s) => instream(s, () => Readable.from([bytes])));
  const enc = await scanBytes(encryptedProbe());
  if (!/Heuristics\.Encrypted\./.test(enc)) {
    throw new ScannerUnavailable(
      `clamd passes encrypted archives (it answered ${JSON.stringify(enc.slice(0, 100))}): set AlertEncrypted yes in clamd.conf`,
    );
  }
  const deep = await scanBytes(nestedProbe(PROBE_LEVELS));
  if (!/Heuristics\.Limits\.Exceeded\./.test(deep)) {
    throw new ScannerUnavailable(
      `clamd passes archives it did not scan in full (${PROBE_LEVELS} nested zips: ${JSON.stringify(deep.slice(0, 100))}): set AlertExceedsMax yes in clamd.conf, and MaxRecursion below ${PROBE_LEVELS}`,
    );
  }
}

/** How long a successful check of clamd's configuration is trusted. */
const VERIFIED_MS = 60 * 60 * 1000;

/** Asks clamd `PING`; resolves when it answers `PONG`, throws ScannerUnavailable otherwise. */
export async function pingClamd(options: ClamdOptions): Promise<void> {
  const reply = await exchange(options, (s) => write(s, Buffer.from("zPING\0", "latin1")));
  if (reply.trim() !== "PONG") {
    throw new ScannerUnavailable(`clamd answered PING with ${JSON.stringify(reply.slice(0, 100))}`);
  }
}

export interface ClamdScanner extends Scanner {
  ping(): Promise<void>;
  /** Checks clamd's configuration now (see `verifyClamd`); scans do it first and hourly. */
  verify(): Promise<void>;
}

/** The clamd engine. Every scan first makes sure clamd's configuration refuses what it cannot scan. */
export function createClamdScanner(options: ClamdOptions): ClamdScanner {
  let verifiedAt = 0;
  let checking: Promise<void> | null = null;
  const verify = () => {
    checking ??= verifyClamd(options)
      .then(() => {
        verifiedAt = Date.now();
      })
      .finally(() => {
        checking = null;
      });
    return checking;
  };
  return {
    engine: "clamd",
    async scan(file: ScanInput): Promise<Verdict> {
      if (Date.now() - verifiedAt > VERIFIED_MS) await verify();
      let reply: string;
      try {
        reply = await exchange(options, (s) =>
          instream(s, () => createReadStream(file.path, { highWaterMark: CHUNK })),
        );
      } catch (err) {
        if (!(err instanceof CutOff)) throw err;
        // A clamd that still answers gave up on this file (most often its stream size
        // limit): refused. One that does not is down: no verdict.
        await pingClamd(options);
        return {
          status: "refused",
          engine: "clamd",
          reason:
            "the virus scanner stopped reading the file (it is probably larger than the scanner accepts), so it cannot be scanned",
        };
      }
      return parseClamdReply(reply);
    },
    async ready() {
      if (Date.now() - verifiedAt > VERIFIED_MS) await verify();
      else await pingClamd(options);
    },
    ping: () => pingClamd(options),
    verify,
    async close() {},
  };
}
