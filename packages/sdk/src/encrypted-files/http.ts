// The HTTP requests of encrypted files (download, scanner hand-off, verdicts), through a
// function the host may replace (Node tests trust their own CA); the default is fetch.

import { fromUtf8 } from "../platform.js";

/** One request; `maxBytes` caps the answer's body (the rest is never read). */
export interface HttpRequest {
  method: "GET" | "HEAD" | "POST";
  url: string;
  headers?: Record<string, string>;
  body?: string;
  maxBytes?: number;
  /** Body bytes received so far, and the announced total when there is one. */
  onProgress?: (received: number, total?: number) => void;
}

/** An answer: `tooLarge` when the body went past `maxBytes` (then `body` is empty). */
export interface HttpResponse {
  status: number;
  /** A header's value (case-insensitive name), or undefined. */
  header(name: string): string | undefined;
  body: Uint8Array;
  tooLarge?: boolean;
}

/** Sends a request; rejects only when no answer came. */
export type HttpFunction = (req: HttpRequest) => Promise<HttpResponse>;

/** The answer's body as far as the SDK reads it. */
interface FetchReader {
  read(): Promise<{ done: boolean; value?: Uint8Array }>;
  cancel(): Promise<void>;
}
interface FetchResponse {
  status: number;
  headers: { get(name: string): string | null };
  body: { getReader(): FetchReader } | null;
}
type Fetch = (
  url: string,
  init: {
    method: string;
    headers?: Record<string, string>;
    body?: string;
    credentials: "omit";
    redirect: "error";
  },
) => Promise<FetchResponse>;

/** Joins chunks into one array. */
export function concat(chunks: Uint8Array[], length: number): Uint8Array {
  const out = new Uint8Array(length);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** The default: the host's fetch, reading the body chunk by chunk up to `maxBytes`. */
export const fetchHttp: HttpFunction = async (req) => {
  const f = (globalThis as unknown as { fetch?: Fetch }).fetch;
  if (f === undefined) throw new Error("no fetch() here: pass an http function");
  // No cookies, and no redirect to wherever a server would send us.
  const res = await f(req.url, {
    method: req.method,
    credentials: "omit",
    redirect: "error",
    ...(req.headers === undefined ? {} : { headers: req.headers }),
    ...(req.body === undefined ? {} : { body: req.body }),
  });
  const header = (name: string) => res.headers.get(name) ?? undefined;
  const total = Number(header("content-length"));
  const known = Number.isSafeInteger(total) && total >= 0 ? total : undefined;
  const max = req.maxBytes ?? Number.POSITIVE_INFINITY;
  const reader = req.method === "HEAD" ? undefined : res.body?.getReader();
  if (reader === undefined) return { status: res.status, header, body: new Uint8Array(0) };
  if (known !== undefined && known > max) {
    await reader.cancel().catch(() => {});
    return { status: res.status, header, body: new Uint8Array(0), tooLarge: true };
  }
  const chunks: Uint8Array[] = [];
  let got = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done || value === undefined) break;
    got += value.length;
    if (got > max) {
      await reader.cancel().catch(() => {});
      return { status: res.status, header, body: new Uint8Array(0), tooLarge: true };
    }
    chunks.push(value);
    req.onProgress?.(got, known);
  }
  return { status: res.status, header, body: concat(chunks, got) };
};

/** The JSON object of an answer's body, or {} when it is not one. */
export function jsonOf(res: HttpResponse): Record<string, unknown> {
  try {
    const j: unknown = JSON.parse(fromUtf8(res.body));
    return typeof j === "object" && j !== null && !Array.isArray(j)
      ? (j as Record<string, unknown>)
      : {};
  } catch {
    return {};
  }
}
