// Tar archives (POSIX ustar, pax and GNU long names) for the built-in engine, read as a
// stream: every regular member goes through the rules; anything unexpected is refused.

import { escapeRefusal, escapesFolder, type Outcome, refused, type Walk } from "./walk.js";

/** Pulls exact byte counts out of a stream of chunks. */
class Reader {
  private buf = Buffer.alloc(0);
  private readonly it: AsyncIterator<Uint8Array>;
  private ended = false;

  constructor(chunks: AsyncIterable<Uint8Array>) {
    this.it = chunks[Symbol.asyncIterator]();
  }

  private async fill(n: number): Promise<void> {
    while (this.buf.length < n && !this.ended) {
      const r = await this.it.next();
      if (r.done) this.ended = true;
      else this.buf = Buffer.concat([this.buf, r.value]);
    }
  }

  /** Exactly `n` bytes, or null at the end of the stream. */
  async read(n: number): Promise<Buffer | null> {
    await this.fill(n);
    if (this.buf.length < n) return null;
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n);
    return out;
  }

  /** The next `n` bytes as chunks; `short` is set when the stream ends first. */
  async *take(n: number, state: { short: boolean; used: number }): AsyncGenerator<Uint8Array> {
    let left = n;
    while (left > 0) {
      if (this.buf.length === 0) await this.fill(1);
      if (this.buf.length === 0) {
        state.short = true;
        return;
      }
      const part = this.buf.subarray(0, Math.min(left, this.buf.length));
      this.buf = this.buf.subarray(part.length);
      left -= part.length;
      state.used += part.length;
      yield part;
    }
  }

  async close(): Promise<void> {
    await this.it.return?.();
  }
}

const field = (h: Buffer, at: number, len: number) => {
  const s = h.subarray(at, at + len);
  const nul = s.indexOf(0);
  return (nul < 0 ? s : s.subarray(0, nul)).toString("utf8");
};

/** A numeric header field: octal text, or GNU base-256 when the high bit is set. */
function number(h: Buffer, at: number, len: number): number {
  if (h[at]! & 0x80) {
    let n = h[at]! & 0x7f;
    for (let i = 1; i < len; i++) n = n * 256 + h[at + i]!;
    return n;
  }
  const s = field(h, at, len).trim();
  return s === "" ? 0 : /^[0-7]+$/.test(s) ? Number.parseInt(s, 8) : Number.NaN;
}

function checksumOk(h: Buffer): boolean {
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 0x20 : h[i]!;
  return sum === number(h, 148, 8);
}

/** The `path` record of a pax extended header, if any. */
function paxPath(body: Buffer): string | null {
  let at = 0;
  let path: string | null = null;
  while (at < body.length) {
    const sp = body.indexOf(0x20, at);
    if (sp < 0) break;
    const len = Number.parseInt(body.subarray(at, sp).toString("latin1"), 10);
    if (!(len > 0)) break;
    const rec = body.subarray(sp + 1, at + len - 1).toString("utf8");
    if (rec.startsWith("path=")) path = rec.slice(5);
    at += len;
  }
  return path;
}

/** Walks a tar stream; `what` names it in reasons; `member` inspects one member's bytes. */
export async function walkTar(
  walk: Walk,
  chunks: AsyncIterable<Uint8Array>,
  what: string,
  member: (name: string, chunks: AsyncIterable<Uint8Array>) => Promise<Outcome>,
): Promise<Outcome> {
  const damaged = refused(`${what} is damaged, so it cannot be scanned`);
  const reader = new Reader(chunks);
  let longName: string | null = null;
  try {
    for (;;) {
      walk.tick();
      const h = await reader.read(512);
      if (!h) return damaged;
      if (h.every((b) => b === 0)) return null;
      if (!checksumOk(h)) return damaged;
      const size = number(h, 124, 12);
      if (!Number.isSafeInteger(size) || size < 0) return damaged;
      const pad = (512 - (size % 512)) % 512;
      const type = String.fromCharCode(h[156]!);
      const prefix = field(h, 257, 6) === "ustar" ? field(h, 345, 155) : "";
      const name = longName ?? (prefix ? `${prefix}/${field(h, 0, 100)}` : field(h, 0, 100));
      if (type === "L" || type === "x") {
        if (size > 64 * 1024) return damaged;
        const body = await reader.read(size + pad);
        if (!body) return damaged;
        const meta = body.subarray(0, size);
        const next = type === "L" ? field(meta, 0, size) : paxPath(meta);
        if (next !== null) longName = next;
        continue;
      }
      longName = null;
      if (escapesFolder(name)) return escapeRefusal(what);
      const counted = walk.count(1);
      if (counted) return counted;
      const state = { short: false, used: 0 };
      if (type === "0" || type === "\0" || type === "7") {
        const found = await member(name, reader.take(size, state));
        if (found) return found;
      } else if ("123456gK".includes(type)) {
        // Links, devices, folders and metadata: no content to scan, but the name still counts.
        const found = await member(name, (async function* () {})());
        if (found) return found;
      } else {
        return refused(
          `${what} holds a kind of entry this server cannot read, so it cannot be scanned`,
        );
      }
      // Whatever the member did not read, and the padding, is skipped.
      for await (const _ of reader.take(size - state.used, state));
      if (state.short) return damaged;
      for await (const _ of reader.take(pad, { short: false, used: 0 }));
    }
  } finally {
    await reader.close();
  }
}
