// Helpers for upload tests (XEP-0363): a scanner the test controls, and a raw HTTPS client
// that can lie about lengths, trickle bytes and read binary answers.

import { once } from "node:events";
import { readFile } from "node:fs/promises";
import { connect } from "node:tls";
import { type ScanInput, type Scanner, ScannerUnavailable, type Verdict } from "@hato/modules";

/**
 * What the test scanner answers for a file: a verdict, "down" (ScannerUnavailable), or
 * "crash" (an engine that breaks on the file).
 */
export type TestVerdict = Verdict | "down" | "crash";

/** A scanner whose verdicts come from `decide`; `hold` delays verdicts until released. */
export class TestScanner implements Scanner {
  readonly engine = "test";
  readonly scanned: ScanInput[] = [];
  private held: (() => void)[] | undefined;

  constructor(private readonly decide: (bytes: Buffer, file: ScanInput) => TestVerdict) {}

  /** Verdicts wait from now until `release()`. */
  hold(): void {
    this.held ??= [];
  }

  release(): void {
    const waiting = this.held ?? [];
    this.held = undefined;
    for (const go of waiting) go();
  }

  /** How many scans wait for release now. */
  get waiting(): number {
    return this.held?.length ?? 0;
  }

  async scan(file: ScanInput): Promise<Verdict> {
    this.scanned.push(file);
    const bytes = await readFile(file.path);
    if (this.held) await new Promise<void>((go) => this.held!.push(go));
    const v = this.decide(bytes, file);
    if (v === "down") throw new ScannerUnavailable("test scanner is down");
    if (v === "crash") throw new TypeError("test scanner broke on this file");
    return v;
  }

  /** Makes `ready()` fail, as a clamd that is down does. */
  down = false;

  async ready(): Promise<void> {
    if (this.down) throw new ScannerUnavailable("test scanner is down");
  }

  async close(): Promise<void> {}
}

export interface HttpAnswer {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
  /** The body as JSON, when it is. */
  json: { error?: string; reason?: string; status?: string } | undefined;
}

export interface RawRequest {
  method: string;
  url: string;
  headers?: Record<string, string | undefined>;
  body?: Buffer;
  /** Send the body this many bytes at a time, `ms` apart (slowloris). */
  trickle?: { bytes: number; ms: number };
  /** Bytes sent after the body (a body longer than Content-Length said). */
  extra?: Buffer;
  /** Close the connection after the body instead of waiting for an answer. */
  hangUp?: boolean;
}

/** One request on its own TLS connection; the answer is read until the server closes. */
export async function request(ca: string, r: RawRequest): Promise<HttpAnswer> {
  const u = new URL(r.url);
  const socket = connect({
    host: "127.0.0.1",
    port: Number(u.port),
    ca,
    servername: u.hostname,
    ALPNProtocols: ["http/1.1"],
  });
  await once(socket, "secureConnect");
  const chunks: Buffer[] = [];
  socket.on("data", (d: Buffer) => chunks.push(d));
  socket.on("error", () => {});
  const closed = once(socket, "close");
  const headers = { Host: u.host, ...r.headers };
  const head = [`${r.method} ${u.pathname} HTTP/1.1`];
  for (const [k, v] of Object.entries(headers)) if (v !== undefined) head.push(`${k}: ${v}`);
  socket.write(`${head.join("\r\n")}\r\n\r\n`);
  const body = r.body ?? Buffer.alloc(0);
  if (r.trickle) {
    for (let i = 0; i < body.length && !socket.destroyed && chunks.length === 0; ) {
      socket.write(body.subarray(i, i + r.trickle.bytes));
      i += r.trickle.bytes;
      await new Promise((go) => setTimeout(go, r.trickle!.ms));
    }
  } else if (body.length > 0) socket.write(body);
  if (r.extra) socket.write(r.extra);
  if (r.hangUp) socket.end();
  await closed;
  return parse(Buffer.concat(chunks));
}

function parse(raw: Buffer): HttpAnswer {
  const end = raw.indexOf("\r\n\r\n");
  if (end < 0) return { status: 0, headers: {}, body: raw, json: undefined };
  const [statusLine, ...lines] = raw.subarray(0, end).toString("latin1").split("\r\n");
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const i = line.indexOf(":");
    headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  const body = raw.subarray(end + 4);
  let json: HttpAnswer["json"];
  if (body.length > 0 && headers["content-type"]?.startsWith("application/json"))
    json = JSON.parse(body.toString());
  return { status: Number(/^HTTP\/1\.1 (\d{3})/.exec(statusLine!)?.[1]), headers, body, json };
}

/** A PUT of `body` with the right length and the given type. */
export function put(ca: string, url: string, body: Buffer, type?: string): Promise<HttpAnswer> {
  return request(ca, {
    method: "PUT",
    url,
    headers: { "Content-Length": String(body.length), "Content-Type": type },
    body,
  });
}

/** A GET (or HEAD). */
export function fetchFile(ca: string, url: string, method = "GET"): Promise<HttpAnswer> {
  return request(ca, { method, url, headers: { Connection: "close" } });
}
