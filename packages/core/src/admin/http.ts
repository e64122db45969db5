// HTTP helpers of the admin API: JSON bodies with a limit, the admin-only response headers,
// the session cookie, and the CSRF and same-origin checks.

import type { IncomingMessage, ServerResponse } from "node:http";
import { secureHeaders, sendJson } from "../http/headers.js";
import { checkedHost } from "../http/host-meta.js";
import { originAllowed } from "../http/websocket.js";

/** Largest JSON body the admin API reads. */
export const MAX_BODY_BYTES = 256 * 1024;
export const COOKIE = "__Host-hato-admin";
export const CSRF_HEADER = "x-hato-csrf";

/**
 * On every admin response: never cached, and a window the chat page opened gets no handle on
 * it (`noopener-allow-popups`: the console is always its own browsing context group).
 */
export const ADMIN_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  "Cross-Origin-Opener-Policy": "noopener-allow-popups",
  "Cache-Control": "no-store",
});

export function json(res: ServerResponse, status: number, body: unknown): void {
  sendJson(res, status, body, { ...ADMIN_HEADERS });
}

export function fail(
  res: ServerResponse,
  status: number,
  error: string,
  reason: string,
  extra: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendJson(res, status, { error, reason, ...extra }, { ...ADMIN_HEADERS, ...headers });
}

export function noContent(res: ServerResponse, headers: Record<string, string> = {}): void {
  secureHeaders(res);
  res.writeHead(204, { ...ADMIN_HEADERS, ...headers });
  res.end();
}

/** An error the handlers throw to answer with a status and a JSON error. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    reason: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(reason);
  }
}

/** Reads a JSON object body (at most MAX_BODY_BYTES); an empty body is `{}`. */
export async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES)
      throw new ApiError(
        413,
        "body-too-large",
        `request bodies are limited to ${MAX_BODY_BYTES} bytes`,
      );
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString("utf8");
  if (text.trim() === "") return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new ApiError(400, "bad-json", `the body is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw new ApiError(400, "bad-json", "the body must be a JSON object");
  return value as Record<string, unknown>;
}

/** A string field of a body, checked for type and length. */
export function field(
  body: Record<string, unknown>,
  name: string,
  opts: { max?: number; optional?: boolean } = {},
): string | undefined {
  const v = body[name];
  if (v === undefined && opts.optional) return undefined;
  if (typeof v !== "string") throw new ApiError(422, "invalid", `"${name}" must be a string`);
  if (v.length > (opts.max ?? 1024))
    throw new ApiError(422, "invalid", `"${name}" is longer than ${opts.max ?? 1024} characters`);
  return v;
}

/** The value of the admin session cookie, if the request carries one. */
export function sessionCookie(req: IncomingMessage): string | undefined {
  for (const part of (req.headers.cookie ?? "").split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === COOKIE) return part.slice(eq + 1).trim();
  }
  return undefined;
}

export function setCookie(id: string, maxAgeSeconds: number): string {
  return `${COOKIE}=${id}; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=${maxAgeSeconds}`;
}

export const CLEAR_COOKIE = `${COOKIE}=; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=0`;

/**
 * Why a browser request must not be trusted as the console's own, or undefined when it may:
 * an `Origin` other than this server's, or `Sec-Fetch-Site` other than same-origin/none.
 */
export function crossSite(req: IncomingMessage): string | undefined {
  const origin = req.headers.origin;
  const host = checkedHost(req);
  if (origin !== undefined && (host === undefined || !originAllowed(origin, host, [])))
    return `requests from ${origin} are refused; use the console on this server`;
  const site = req.headers["sec-fetch-site"];
  if (site !== undefined && site !== "same-origin" && site !== "none")
    return `${site} requests are refused; use the console on this server`;
  return undefined;
}
