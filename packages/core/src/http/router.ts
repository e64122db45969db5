// HTTP routes of the one port: exact paths and folder prefixes, longest first; modules add
// theirs through the module API (`api.handleHttp`), the server its own the same way.

import type { IncomingMessage, ServerResponse } from "node:http";

/**
 * Answers one request. `path` is the request path, percent-decoded and checked (no `..`
 * segments, NUL or backslash), without the query string.
 */
export type HttpHandler = (
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
) => void | Promise<void>;

export interface HttpRouteOptions {
  /** Methods the route takes; others get 405 with Allow. Default GET and HEAD. */
  methods?: readonly string[];
  /**
   * Largest request body the route takes (its own check, such as uploads' sizes, comes after);
   * default `http.max-body-bytes`.
   */
  maxBodyBytes?: number;
}

export interface HttpRoute {
  /** An exact path (`/health`), or a folder ending in `/` that matches all beneath it. */
  readonly prefix: string;
  readonly methods: readonly string[];
  readonly maxBodyBytes: number | undefined;
  readonly handler: HttpHandler;
  /** Who registered it (a module's name), for logs. */
  readonly owner: string;
}

/** The route table. */
export class HttpRouter {
  private routes: HttpRoute[] = [];

  /** Adds a route; returns the function that removes it. Throws if the prefix is taken. */
  add(
    owner: string,
    prefix: string,
    handler: HttpHandler,
    opts: HttpRouteOptions = {},
  ): () => void {
    if (!prefix.startsWith("/") || /[?#\\\0]|\/\.\.?(\/|$)/.test(prefix)) {
      throw new Error(`HTTP route prefix ${JSON.stringify(prefix)} is not a clean absolute path`);
    }
    if (this.routes.some((r) => r.prefix === prefix)) {
      throw new Error(`the HTTP route ${prefix} exists already`);
    }
    const route: HttpRoute = {
      prefix,
      methods: opts.methods ?? ["GET", "HEAD"],
      maxBodyBytes: opts.maxBodyBytes,
      handler,
      owner,
    };
    // Longest first: `/assets/x` goes to `/assets/` before `/`.
    this.routes = [...this.routes, route].sort((a, b) => b.prefix.length - a.prefix.length);
    return () => {
      this.routes = this.routes.filter((r) => r !== route);
    };
  }

  /** The route for a checked path, if any. */
  match(path: string): HttpRoute | undefined {
    return this.routes.find((r) =>
      r.prefix.endsWith("/") ? path.startsWith(r.prefix) : path === r.prefix,
    );
  }
}

/**
 * The request path, percent-decoded, or undefined when it is not a clean origin-form path:
 * absolute-form targets, `.` and `..` segments (raw or encoded), NUL, backslashes, bad
 * escapes. Such requests get 400, whatever route they aimed at.
 */
export function checkedPath(target: string | undefined): string | undefined {
  if (target === undefined || !target.startsWith("/") || target.startsWith("//")) return undefined;
  const q = target.search(/[?#]/);
  const raw = q < 0 ? target : target.slice(0, q);
  let path: string;
  try {
    path = decodeURIComponent(raw);
  } catch {
    return undefined;
  }
  if (/[\0-\x1f\x7f\\]/.test(path)) return undefined;
  if (path.split("/").some((seg) => seg === "." || seg === "..")) return undefined;
  return path;
}
