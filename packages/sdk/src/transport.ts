// RFC 7395 framing: one XML element per WebSocket message, subprotocol "xmpp".

import { type Element, parseElement, serialize, xml } from "@hato/xml";
import { NS_CLIENT, NS_FRAMING } from "./ns.js";
import { after, cancel, fromUtf8, utf8 } from "./platform.js";
import type { WebSocketLike } from "./types.js";

/**
 * Parser limits for what the server sends. A user's message may be as large as the server's
 * `limits.stanza-bytes` allows (the issue's hostile-text test sends 1 MB of text).
 */
const LIMITS = { maxStanzaBytes: 4 * 1024 * 1024, maxDepth: 32, maxChildren: 2048 };

/** The start of a stanza too large to parse, enough to tell its kind. */
const STANZA_START = /^\s*<(message|presence|iq)[\s/>]/;

/** How long the WebSocket (TCP, TLS and HTTP upgrade) may take to open. */
const OPEN_TIMEOUT_MS = 30_000;

export type WebSocketCtor = new (url: string, protocols?: string | string[]) => WebSocketLike;

/** What a transport reports; `closed` fires once, whatever the cause. */
export interface TransportHandlers {
  element(el: Element): void;
  /**
   * A stanza over the size limit arrived and was not parsed. It still counts as received
   * (XEP-0198), or the server would resend it after every reconnection, for ever.
   */
  oversized(kind: string, bytes: number): void;
  closed(reason: string): void;
}

/** One WebSocket carrying one XMPP stream. */
export class Transport {
  private ws: WebSocketLike;
  private done = false;
  private closing: (() => void) | undefined;
  /** Counts elements received (for keepalive: "has anything arrived lately"). */
  received = 0;

  private constructor(
    ws: WebSocketLike,
    private h: TransportHandlers,
  ) {
    this.ws = ws;
  }

  /** Opens a WebSocket to `url` and resolves once it is open with the `xmpp` subprotocol. */
  static open(Ctor: WebSocketCtor, url: string, h: TransportHandlers): Promise<Transport> {
    return new Promise((resolve, reject) => {
      let ws: WebSocketLike;
      try {
        ws = new Ctor(url, "xmpp");
      } catch (e) {
        reject(e instanceof Error ? e : new Error(String(e)));
        return;
      }
      const t = new Transport(ws, h);
      let opened = false;
      const timer = after(OPEN_TIMEOUT_MS, () => {
        reject(new Error(`no WebSocket to ${url} within ${OPEN_TIMEOUT_MS / 1000} s`));
        t.abort("the WebSocket did not open in time");
      });
      ws.onopen = () => {
        cancel(timer);
        opened = true;
        if (ws.protocol !== "xmpp") {
          t.abort("the server did not accept the xmpp subprotocol");
          reject(new Error("the server did not accept the xmpp WebSocket subprotocol"));
          return;
        }
        resolve(t);
      };
      ws.onerror = () => {
        cancel(timer);
        if (!opened) reject(new Error(`cannot open a WebSocket to ${url}`));
      };
      ws.onclose = (ev: { code?: number; reason?: string }) => {
        cancel(timer);
        if (!opened) reject(new Error(`cannot open a WebSocket to ${url}`));
        t.finish(`connection closed (${ev?.code ?? "?"}${ev?.reason ? ` ${ev.reason}` : ""})`);
      };
      ws.onmessage = (ev: { data: unknown }) => t.receive(ev.data);
    });
  }

  /** Whether the socket is still usable. */
  get open(): boolean {
    return !this.done;
  }

  /** Sends one element; stanzas without a namespace get jabber:client. */
  send(el: Element): void {
    if (this.done || this.closing !== undefined) return;
    if (el.xmlns === undefined) el.xmlns = NS_CLIENT;
    try {
      this.ws.send(serialize(el, ""));
    } catch {
      this.abort("the WebSocket refused to send");
    }
  }

  /** Sends the RFC 7395 <open/>. */
  sendOpen(domain: string): void {
    this.send(xml("open", { xmlns: NS_FRAMING, to: domain, version: "1.0" }));
  }

  /**
   * Closes politely (RFC 7395 §3.6): <close/>, then waits briefly for the server's <close/>
   * or the socket to end, so the server has ended the session when this resolves.
   */
  close(waitMs = 2000): Promise<void> {
    if (this.done || this.closing !== undefined) return Promise.resolve();
    this.send(xml("close", { xmlns: NS_FRAMING }));
    return new Promise((resolve) => {
      const timer = after(waitMs, () => this.abort("closed by the client"));
      this.closing = () => {
        cancel(timer);
        resolve();
      };
    });
  }

  /** Drops the connection at once (a dead network does not answer a close handshake). */
  abort(reason: string): void {
    if (this.done) return;
    try {
      this.ws.close();
    } catch {
      // already closing
    }
    this.finish(reason);
  }

  private finish(reason: string): void {
    if (this.done) return;
    this.done = true;
    this.closing?.();
    this.ws.onmessage = null;
    this.ws.onclose = null;
    this.ws.onerror = null;
    this.h.closed(reason);
  }

  private receive(data: unknown): void {
    if (this.done) return;
    let el: Element;
    try {
      let bytes: Uint8Array;
      if (typeof data === "string") bytes = utf8(data);
      else if (data instanceof Uint8Array) bytes = data;
      else if (data instanceof ArrayBuffer) bytes = new Uint8Array(data);
      else throw new Error("unexpected WebSocket message type");
      if (bytes.length > LIMITS.maxStanzaBytes) {
        const head = fromUtf8(bytes.subarray(0, 64));
        const kind = STANZA_START.exec(head)?.[1];
        if (kind === undefined) throw new Error(`an element of ${bytes.length} bytes is too large`);
        this.received++;
        this.h.oversized(kind, bytes.length);
        return;
      }
      el = parseElement(bytes, LIMITS);
    } catch (e) {
      this.abort(`the server sent bad XML: ${e instanceof Error ? e.message : String(e)}`);
      return;
    }
    this.received++;
    if (this.closing !== undefined && el.name === "close" && el.xmlns === NS_FRAMING) {
      this.abort("closed by the client");
      return;
    }
    this.h.element(el);
  }
}
