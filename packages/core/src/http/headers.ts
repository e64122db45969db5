// Security headers and JSON errors shared by every HTTP response of the one port (and, later,
// by uploads and the admin console): one place, so no route can forget them.

import type { ServerResponse } from "node:http";

/**
 * The Content-Security-Policy: no inline script or style, nothing from other origins, Trusted
 * Types enforced so no DOM sink takes a string. `connect-src 'self'` covers same-origin wss:
 * in CSP Level 3 browsers (current Chromium, Firefox, Safari), so the WebSocket needs no more.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' blob: data:",
  "font-src 'self'",
  "connect-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "require-trusted-types-for 'script'",
  "trusted-types 'none'",
].join("; ");

/** Headers on every HTTP response, errors and 404s included. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  "Strict-Transport-Security": "max-age=63072000; includeSubDomains",
  "Content-Security-Policy": CONTENT_SECURITY_POLICY,
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "no-referrer",
  "X-Frame-Options": "DENY",
  "Cross-Origin-Opener-Policy": "same-origin",
  "Cross-Origin-Resource-Policy": "same-origin",
  "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
});

/** Sets the security headers on a response (before anything else is written). */
export function secureHeaders(res: ServerResponse): void {
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
}

/** A JSON response; HEAD gets the headers only. */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = `${JSON.stringify(body)}\n`;
  secureHeaders(res);
  res.writeHead(status, {
    ...headers,
    "Content-Type": "application/json; charset=utf-8",
    "Content-Length": String(Buffer.byteLength(text)),
    "Cache-Control": "no-store",
  });
  res.end(res.req?.method === "HEAD" ? undefined : text);
}

/** An HTTP error as JSON: `{"error": code, "reason": text}`. */
export function sendError(
  res: ServerResponse,
  status: number,
  error: string,
  reason: string,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendJson(res, status, { error, reason }, headers);
}

/**
 * A complete error response written straight to a socket, for failures before Node has a
 * request object (headers too large, a malformed request, a header timeout).
 */
export function rawError(
  status: number,
  statusText: string,
  error: string,
  reason: string,
  headers: Record<string, string> = {},
): string {
  const body = `${JSON.stringify({ error, reason })}\n`;
  const lines = [
    `HTTP/1.1 ${status} ${statusText}`,
    ...Object.entries({ ...SECURITY_HEADERS, ...headers }).map(([k, v]) => `${k}: ${v}`),
    "Content-Type: application/json; charset=utf-8",
    `Content-Length: ${Buffer.byteLength(body)}`,
    "Cache-Control: no-store",
    "Connection: close",
  ];
  return `${lines.join("\r\n")}\r\n\r\n${body}`;
}
