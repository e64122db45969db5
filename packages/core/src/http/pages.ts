// How the two web pages on the port are served: the chat client at `/` and the admin console at
// `/admin/` (issue 6). They share the strict security headers; the admin console adds what keeps
// a flaw in the chat page from reaching it, and the chat page may connect only where it must.

import type { IncomingMessage } from "node:http";
import { CONTENT_SECURITY_POLICY } from "./headers.js";
import type { StaticOptions } from "./static.js";

/** The paths under which the admin console's files are served. */
export const ADMIN_PREFIX = "/admin/";

/** A Host header we are willing to write into a CSP: a name or [IPv6], an optional port. */
const CLEAN_HOST =
  /^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?::\d{1,5})?$|^\[[0-9a-f:.]+\](?::\d{1,5})?$/i;

/**
 * The chat page's CSP: `connect-src` names only what the chat client uses (the XMPP WebSocket,
 * uploads and the scan hand-off), so a script that got into the chat page cannot call the admin
 * API with the user's cookies (`/admin/api/` is not listed). A path needs a host in CSP; the
 * page's own Host is used, checked so it cannot add directives. A bad Host connects nowhere.
 */
export function chatPageCsp(req: IncomingMessage): string {
  const host = req.headers.host ?? "";
  const connect = CLEAN_HOST.test(host)
    ? `connect-src wss://${host}/xmpp-websocket https://${host}/upload/ https://${host}/scan/`
    : "connect-src 'none'";
  return CONTENT_SECURITY_POLICY.replace("connect-src 'self'", connect);
}

/** The chat client: its pages carry the narrowed CSP. */
export const CHAT_PAGES: StaticOptions = {
  notBuilt: {
    error: "web-client-not-built",
    reason: "the web client is not built (npm run build -w @hato/web) and web.root is not set",
  },
  pageHeaders: (req) => ({
    "Content-Security-Policy": chatPageCsp(req),
    // The camera for scanning a contact's verification QR code (docs/e2ee.md); nothing else.
    "Permissions-Policy": "camera=(self), microphone=(), geolocation=()",
  }),
};

/**
 * The admin console: a window it opens keeps no handle to it and a chat page that opens it gets
 * none either (`noopener-allow-popups`), and nothing of it is stored by the browser.
 */
export const ADMIN_PAGES: StaticOptions = {
  notBuilt: {
    error: "admin-console-not-built",
    reason:
      "the admin console is not built (npm run build -w @hato/admin) and web.admin-root is not set",
  },
  headers: { "Cross-Origin-Opener-Policy": "noopener-allow-popups" },
  cacheControl: "no-store",
};
