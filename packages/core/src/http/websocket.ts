// RFC 7395 XMPP over WebSocket at /xmpp-websocket: checks the handshake (subprotocol `xmpp`,
// Origin) and hands each accepted WebSocket to a client stream with WebSocket framing.

import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import type { TLSSocket } from "node:tls";
import { WebSocketServer } from "ws";
import type { C2sContext } from "../c2s/context.js";
import { C2sStream } from "../c2s/stream.js";
import { WsFraming } from "../c2s/ws-framing.js";
import { rawError } from "./headers.js";

const KEY = /^[A-Za-z0-9+/]{22}==$/;

/** Whether a browser page of `origin` may open the stream: same origin, or allowed by setting. */
export function originAllowed(
  origin: string | undefined,
  host: string,
  allowed: readonly string[],
): boolean {
  if (origin === undefined) return true; // not a browser: Origin protects browser users only
  const self = `https://${host.replace(/:443$/, "")}`;
  const o = origin.toLowerCase();
  return o === self || allowed.some((a) => a.toLowerCase() === o);
}

/** Refuses an upgrade with a JSON error; the socket is still plain HTTP. */
export function refuseUpgrade(
  socket: Duplex,
  status: number,
  statusText: string,
  error: string,
  reason: string,
  headers: Record<string, string> = {},
): void {
  socket.end(rawError(status, statusText, error, reason, headers));
  setTimeout(() => socket.destroy(), 2000).unref();
}

/** Accepts XMPP WebSockets and runs a client stream on each. */
export class XmppWebSockets {
  private readonly wss: WebSocketServer;

  constructor(private readonly c2s: C2sContext) {
    this.wss = new WebSocketServer({
      noServer: true,
      clientTracking: false,
      // A stanza is the largest message; bigger ones close the WebSocket with 1009.
      maxPayload: c2s.config.limits.stanzaBytes,
      // Compression under TLS invites CRIME-style length leaks and decompression bombs.
      perMessageDeflate: false,
      handleProtocols: (protocols) => (protocols.has("xmpp") ? "xmpp" : false),
    });
  }

  /** Handles an upgrade request to the WebSocket path; `taken` runs once the socket is a WebSocket. */
  upgrade(
    req: IncomingMessage,
    socket: TLSSocket,
    head: Buffer,
    host: string,
    taken: () => void,
  ): void {
    const bad = (reason: string) =>
      refuseUpgrade(socket, 400, "Bad Request", "bad-upgrade", reason);
    if (req.method !== "GET") {
      bad("a WebSocket handshake is a GET request");
      return;
    }
    if ((req.headers.upgrade ?? "").toLowerCase() !== "websocket") {
      bad("only WebSocket upgrades are served here");
      return;
    }
    if (req.headers["sec-websocket-version"] !== "13") {
      refuseUpgrade(socket, 400, "Bad Request", "bad-upgrade", "WebSocket version 13 is required", {
        "Sec-WebSocket-Version": "13",
      });
      return;
    }
    if (!KEY.test(req.headers["sec-websocket-key"] ?? "")) {
      bad("Sec-WebSocket-Key is missing or malformed");
      return;
    }
    const protocols = (req.headers["sec-websocket-protocol"] ?? "").split(",").map((p) => p.trim());
    if (!protocols.includes("xmpp")) {
      bad("the WebSocket subprotocol `xmpp` is required (RFC 7395 §3.1)");
      return;
    }
    const { allowedOrigins } = this.c2s.config.http;
    if (!originAllowed(req.headers.origin, host, allowedOrigins)) {
      refuseUpgrade(
        socket,
        403,
        "Forbidden",
        "origin-not-allowed",
        `pages from ${req.headers.origin} may not open XMPP streams here`,
      );
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      taken();
      const { limits, websocket } = this.c2s.config;
      new C2sStream(
        this.c2s,
        new WsFraming(ws, {
          address: socket.remoteAddress ?? "unknown",
          tlsSocket: socket,
          maxQueued: limits.outboundQueueBytes,
          limits: this.c2s.parserLimits,
          sweeper: this.c2s.sweeper,
          pingSeconds: websocket.pingSeconds,
        }),
      );
    });
  }
}
