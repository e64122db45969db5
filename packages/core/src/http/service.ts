// HTTPS on the one port: Node's HTTP/1.1 server fed the TLS sockets the demultiplexer
// classified as HTTP (it never listens itself), with limits on headers, bodies, request
// rate, connections and time, and the security headers on every answer.
//
// No HTTP/2: it would need node:http2's separate session API over these sockets, a second
// copy of every limit and header rule, and RFC 8441 extended CONNECT for WebSockets, which
// `ws` does not support. The web client is a few hashed, immutably cached files, so
// multiplexing would gain little. ALPN therefore offers only http/1.1.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { TLSSocket } from "node:tls";
import type { Config } from "../config.js";
import { Gauge, type Sweeper, WindowCounter } from "../limits.js";
import type { Logger } from "../logger.js";
import { rawError, sendError } from "./headers.js";
import { checkedHost, WEBSOCKET_PATH } from "./host-meta.js";
import { checkedPath, type HttpRouter } from "./router.js";
import { refuseUpgrade, type XmppWebSockets } from "./websocket.js";

export interface HttpServiceOptions {
  config: Config;
  log: Logger;
  sweeper: Sweeper;
  router: HttpRouter;
  websockets: XmppWebSockets;
}

const BAD_REQUEST: Record<string, [number, string, string, string]> = {
  HPE_HEADER_OVERFLOW: [
    431,
    "Request Header Fields Too Large",
    "headers-too-large",
    "the request line and headers exceed the server's limit",
  ],
  ERR_HTTP_REQUEST_TIMEOUT: [408, "Request Timeout", "timeout", "the request took too long"],
};

/** The HTTPS side of the one port. */
export class HttpService {
  private readonly server: Server;
  private readonly connections = new Gauge();
  private readonly rate = new WindowCounter(60_000);
  private readonly limits: Config["http"];
  /** Takes a connection out of the HTTPS count when it becomes a WebSocket stream. */
  private readonly uncounters = new WeakMap<TLSSocket, () => void>();

  constructor(private readonly opts: HttpServiceOptions) {
    this.limits = opts.config.http;
    this.server = createServer(
      {
        maxHeaderSize: this.limits.maxHeaderBytes,
        // Checked here instead, so that the refusal is JSON with the security headers.
        requireHostHeader: false,
        keepAliveTimeout: this.limits.idleSeconds * 1000,
      },
      (req, res) => void this.request(req, res),
    );
    this.server.on("clientError", (err: NodeJS.ErrnoException, socket) => {
      const known = BAD_REQUEST[err.code ?? ""];
      if (!socket.writable || err.code === "ECONNRESET") return socket.destroy();
      const [status, text, code, reason] = known ?? [
        400,
        "Bad Request",
        "bad-request",
        "the request is not valid HTTP/1.1",
      ];
      socket.end(rawError(status, text, code, reason));
      setTimeout(() => socket.destroy(), 2000).unref();
    });
    this.server.on("upgrade", (req: IncomingMessage, socket: TLSSocket, head: Buffer) =>
      this.upgrade(req, socket, head),
    );
    opts.sweeper.every(() => this.rate.expire());
  }

  /** Serves one TLS connection the demultiplexer found to be HTTP. */
  accept(socket: TLSSocket): void {
    const address = socket.remoteAddress ?? "unknown";
    if (this.connections.inc(address) > this.limits.connectionsPerAddress) {
      this.connections.dec(address);
      this.opts.log.debug("too many HTTPS connections from one address", { address });
      socket.destroy();
      return;
    }
    let counted = true;
    const uncount = () => {
      if (counted) this.connections.dec(address);
      counted = false;
    };
    socket.once("close", () => {
      uncount();
      this.opts.sweeper.clear(socket);
    });
    this.uncounters.set(socket, uncount);
    // Node's own header timeout runs only for servers that listen; this one never does.
    this.headerDeadline(socket);
    this.server.emit("connection", socket);
  }

  /** The first request's headers must arrive in time, or the client gets 408. */
  private headerDeadline(socket: TLSSocket): void {
    const seconds = this.limits.headerSeconds;
    this.opts.sweeper.set(socket, seconds * 1000, () => {
      if (!socket.writable) return socket.destroy();
      socket.end(
        rawError(
          408,
          "Request Timeout",
          "timeout",
          `request headers did not arrive within ${seconds} seconds`,
        ),
      );
      setTimeout(() => socket.destroy(), 2000).unref();
    });
  }

  /** Counts a request against its address; false (and 429 sent) when over the limit. */
  private overRate(address: string): number | undefined {
    if (this.rate.add(address) <= this.limits.requestsPerMinute) return undefined;
    return Math.max(1, Math.ceil(this.rate.resetIn(address) / 1000));
  }

  private async request(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const socket = req.socket as TLSSocket;
    this.opts.sweeper.clear(socket);
    res.once("finish", () => {
      // Node closes keep-alive connections idle for http.idle-seconds, but every byte restarts
      // that clock: a next request trickled in a byte at a time is cut here.
      if (socket.destroyed) return;
      const { idleSeconds, headerSeconds } = this.limits;
      this.opts.sweeper.set(socket, (idleSeconds + headerSeconds) * 1000, () => socket.destroy());
    });
    const retry = this.overRate(socket.remoteAddress ?? "unknown");
    if (retry !== undefined) {
      return sendError(
        res,
        429,
        "rate-limited",
        `more than ${this.limits.requestsPerMinute} requests a minute from your address`,
        { "Retry-After": String(retry) },
      );
    }
    const host = checkedHost(req);
    if (host === undefined)
      return sendError(
        res,
        400,
        "bad-host",
        "the Host header is missing or not a valid host[:port]",
      );
    const path = checkedPath(req.url);
    if (path === undefined)
      return sendError(res, 400, "bad-path", "the request path is not a clean absolute path");
    const route = this.opts.router.match(path);
    const length = req.headers["content-length"];
    const maxBody = route?.maxBodyBytes ?? this.limits.maxBodyBytes;
    if (length !== undefined && Number(length) > maxBody) {
      res.setHeader("Connection", "close");
      return sendError(
        res,
        413,
        "body-too-large",
        `request bodies are limited to ${maxBody} bytes`,
      );
    }
    // A body no route reads is not drained for keep-alive: the connection closes after.
    if (req.headers["transfer-encoding"] !== undefined || Number(length ?? 0) > 0)
      res.setHeader("Connection", "close");
    if (route === undefined)
      return sendError(res, 404, "not-found", `nothing is served at ${path}`);
    if (!route.methods.includes(req.method ?? "")) {
      return sendError(
        res,
        405,
        "method-not-allowed",
        `${path} answers ${route.methods.join(", ")} only`,
        { Allow: route.methods.join(", ") },
      );
    }
    try {
      await route.handler(req, res, path);
    } catch (err) {
      this.opts.log.error("HTTP handler failed", { owner: route.owner, path, err });
      sendError(res, 500, "internal-error", "the server failed to answer this request");
    }
  }

  private upgrade(req: IncomingMessage, socket: TLSSocket, head: Buffer): void {
    this.opts.sweeper.clear(socket);
    const retry = this.overRate(socket.remoteAddress ?? "unknown");
    if (retry !== undefined) {
      refuseUpgrade(
        socket,
        429,
        "Too Many Requests",
        "rate-limited",
        `more than ${this.limits.requestsPerMinute} requests a minute from your address`,
        { "Retry-After": String(retry) },
      );
      return;
    }
    const host = checkedHost(req);
    if (host === undefined) {
      refuseUpgrade(
        socket,
        400,
        "Bad Request",
        "bad-host",
        "the Host header is missing or not a valid host[:port]",
      );
      return;
    }
    if (checkedPath(req.url) !== WEBSOCKET_PATH) {
      refuseUpgrade(
        socket,
        404,
        "Not Found",
        "not-found",
        `WebSockets are served at ${WEBSOCKET_PATH} only`,
      );
      return;
    }
    this.opts.websockets.upgrade(req, socket, head, host, () => {
      // From here the connection is an XMPP stream, counted and timed as one.
      this.uncounters.get(socket)?.();
      this.opts.sweeper.clear(socket);
    });
  }
}
