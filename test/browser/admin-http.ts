// The admin API from the test's side (not a browser): exact requests with chosen cookies,
// tokens, CSRF and Origin headers, to check what the server refuses.

import { type RawResponse, rawHttps } from "../support/https.js";

export interface ApiRequest {
  method?: string;
  body?: unknown;
  cookie?: string;
  token?: string;
  csrf?: string;
  origin?: string;
}

/** One request to `/admin/api/<path>` (or `path` itself when it starts with `/`). */
export function adminApi(
  port: number,
  ca: string,
  path: string,
  o: ApiRequest = {},
): Promise<RawResponse> {
  const body = o.body === undefined ? "" : JSON.stringify(o.body);
  const lines = [
    `${o.method ?? "GET"} ${path.startsWith("/") ? path : `/admin/api/${path}`} HTTP/1.1`,
    `Host: localhost:${port}`,
    "Connection: close",
    ...(o.cookie ? [`Cookie: __Host-hato-admin=${o.cookie}`] : []),
    ...(o.token ? [`Authorization: Bearer ${o.token}`] : []),
    ...(o.csrf ? [`X-Hato-CSRF: ${o.csrf}`] : []),
    ...(o.origin ? [`Origin: ${o.origin}`] : []),
    ...(body ? ["Content-Type: application/json"] : []),
    `Content-Length: ${Buffer.byteLength(body)}`,
  ];
  return rawHttps(port, ca, `${lines.join("\r\n")}\r\n\r\n${body}`);
}

/** The JSON body's `error` code, or "" when there is none. */
export const errorCode = (r: RawResponse): string => {
  try {
    return String(JSON.parse(r.body).error ?? "");
  } catch {
    return "";
  }
};
