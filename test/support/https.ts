// A raw HTTPS/1.1 client for tests: the test writes the exact request bytes (odd paths,
// missing Host, huge headers) that friendlier clients would fix or refuse.

import { once } from "node:events";
import { connect } from "node:tls";

export interface RawResponse {
  status: number;
  /** Header names lower-cased; repeated headers joined with ", ". */
  headers: Record<string, string>;
  body: string;
}

/** Sends `request` (complete, with CRLFs) and reads the response until the server closes. */
export async function rawHttps(
  port: number,
  ca: string,
  request: string,
  alpn: string[] | undefined = ["http/1.1"],
): Promise<RawResponse> {
  const socket = connect({
    host: "127.0.0.1",
    port,
    ca,
    servername: "localhost",
    ALPNProtocols: alpn,
  });
  await once(socket, "secureConnect");
  const chunks: Buffer[] = [];
  socket.on("data", (d: Buffer) => chunks.push(d));
  socket.on("error", () => {});
  socket.write(request);
  await once(socket, "close");
  return parseResponse(Buffer.concat(chunks).toString("utf8"));
}

function parseResponse(text: string): RawResponse {
  const end = text.indexOf("\r\n\r\n");
  if (end < 0) throw new Error(`no complete response: ${JSON.stringify(text.slice(0, 200))}`);
  const [statusLine, ...lines] = text.slice(0, end).split("\r\n");
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(statusLine!)?.[1]);
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const i = line.indexOf(":");
    const name = line.slice(0, i).trim().toLowerCase();
    const value = line.slice(i + 1).trim();
    headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
  }
  return { status, headers, body: text.slice(end + 4) };
}

/** A GET (or another method) with `Connection: close`; `headers` are extra header lines. */
export function get(
  port: number,
  ca: string,
  path: string,
  opts: { method?: string; host?: string | null; headers?: string[]; alpn?: string[] } = {},
): Promise<RawResponse> {
  const host = opts.host === undefined ? `localhost:${port}` : opts.host;
  const lines = [
    `${opts.method ?? "GET"} ${path} HTTP/1.1`,
    ...(host === null ? [] : [`Host: ${host}`]),
    "Connection: close",
    ...(opts.headers ?? []),
  ];
  return rawHttps(port, ca, `${lines.join("\r\n")}\r\n\r\n`, opts.alpn ?? ["http/1.1"]);
}
