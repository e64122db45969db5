// XEP-0156 discovery over HTTPS: /.well-known/host-meta (XRD) and host-meta.json (JRD)
// advertise the RFC 7395 WebSocket endpoint of this same port.

import type { IncomingMessage } from "node:http";
import { escapeAttr } from "@hato/xml";
import { secureHeaders, sendError, sendJson } from "./headers.js";
import type { HttpHandler } from "./router.js";

export const WEBSOCKET_PATH = "/xmpp-websocket";
const REL_WEBSOCKET = "urn:xmpp:alt-connections:websocket";
const NS_XRD = "http://docs.oasis-open.org/ns/xri/xrd-1.0";

const LABEL = "[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?";
const HOST = new RegExp(
  `^(?:(?:${LABEL}\\.)*${LABEL}\\.?|\\[[0-9a-f:.]{2,45}\\])(?::(\\d{1,5}))?$`,
);

/**
 * The request's Host header, lower-cased, when it is a plain host name or a bracketed IPv6
 * address with an optional port; undefined otherwise (missing, several, user info, spaces...).
 */
export function checkedHost(req: IncomingMessage): string | undefined {
  const host = req.headers.host;
  if (typeof host !== "string" || host.length > 261) return undefined;
  const lower = host.toLowerCase();
  const m = HOST.exec(lower);
  if (!m) return undefined;
  if (m[1] !== undefined && Number(m[1]) > 65535) return undefined;
  return lower;
}

/** The host the discovery files advertise: the setting when given, else the request's. */
function advertisedHost(req: IncomingMessage, publicHost: string): string | undefined {
  return publicHost !== "" ? publicHost.toLowerCase() : checkedHost(req);
}

/** The two host-meta handlers (XRD and JRD). */
export function hostMetaHandlers(publicHost: string): { xrd: HttpHandler; jrd: HttpHandler } {
  const target = (req: IncomingMessage) => {
    const host = advertisedHost(req, publicHost);
    return host === undefined ? undefined : `wss://${host}${WEBSOCKET_PATH}`;
  };
  // XEP-0156 §3: host-meta is meant to be read by web clients of other origins.
  const cors = { "Access-Control-Allow-Origin": "*" };
  return {
    xrd(req, res) {
      const href = target(req);
      if (href === undefined)
        return sendError(res, 400, "bad-host", "the Host header is not valid");
      const body =
        "<?xml version='1.0' encoding='utf-8'?>\n" +
        `<XRD xmlns='${NS_XRD}'>\n` +
        `  <Link rel='${REL_WEBSOCKET}' href='${escapeAttr(href)}'/>\n` +
        "</XRD>\n";
      secureHeaders(res);
      res.writeHead(200, {
        ...cors,
        "Content-Type": "application/xrd+xml; charset=utf-8",
        "Content-Length": String(Buffer.byteLength(body)),
        "Cache-Control": "no-cache",
      });
      res.end(req.method === "HEAD" ? undefined : body);
    },
    jrd(req, res) {
      const href = target(req);
      if (href === undefined)
        return sendError(res, 400, "bad-host", "the Host header is not valid");
      sendJson(res, 200, { links: [{ rel: REL_WEBSOCKET, href }] }, cors);
    },
  };
}
