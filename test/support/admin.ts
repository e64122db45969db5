// An admin API client for tests: node:https over the real TLS port (with the test CA), the
// console's cookie and CSRF header kept like the console keeps them, raw control when needed.

import { request } from "node:https";

export interface AdminResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  /** The parsed JSON body (undefined when there is none or it is not JSON). */
  json: Record<string, unknown> | undefined;
}

export interface AdminRequestOptions {
  body?: unknown;
  /** A body sent exactly as given (malformed JSON, oversize). */
  rawBody?: string | Buffer;
  headers?: Record<string, string>;
  /** Leave out the session cookie / the CSRF header this client holds. */
  noCookie?: boolean;
  noCsrf?: boolean;
}

/** One HTTPS request to the server's one port. */
export function adminFetch(
  port: number,
  ca: string,
  method: string,
  path: string,
  body: string | Buffer | undefined,
  headers: Record<string, string>,
): Promise<AdminResponse> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: "127.0.0.1",
        port,
        ca,
        servername: "localhost",
        method,
        path,
        agent: false,
        headers: { Host: `localhost:${port}`, ...headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          let json: Record<string, unknown> | undefined;
          try {
            json = text === "" ? undefined : (JSON.parse(text) as Record<string, unknown>);
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

/** A console-like client: signs in, keeps the cookie and the CSRF token. */
export class AdminClient {
  cookie: string | undefined;
  csrf: string | undefined;
  token: string | undefined;

  constructor(
    readonly port: number,
    readonly ca: string,
  ) {}

  get origin(): string {
    return `https://localhost:${this.port}`;
  }

  async login(address: string, password: string, headers: Record<string, string> = {}) {
    const r = await this.call("POST", "/admin/api/login", {
      body: { address, password },
      headers,
      noCsrf: true,
    });
    if (r.status === 200) {
      const set = String(r.headers["set-cookie"] ?? "");
      this.cookie = /^__Host-hato-admin=([^;]*)/.exec(set)?.[1];
      this.csrf = r.json?.csrf as string;
    }
    return r;
  }

  call(method: string, path: string, o: AdminRequestOptions = {}): Promise<AdminResponse> {
    const headers: Record<string, string> = {};
    let body: string | Buffer | undefined = o.rawBody;
    if (o.body !== undefined) body = JSON.stringify(o.body);
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (this.cookie !== undefined && !o.noCookie)
      headers.Cookie = `__Host-hato-admin=${this.cookie}`;
    if (this.csrf !== undefined && !o.noCsrf && this.token === undefined)
      headers["X-Hato-CSRF"] = this.csrf;
    if (this.token !== undefined) headers.Authorization = `Bearer ${this.token}`;
    return adminFetch(this.port, this.ca, method, path, body, { ...headers, ...o.headers });
  }
}
