// RFC 7395 framing: XMPP over WebSocket. Every message is one complete XML element, parsed on
// its own by the same hardened parser (with the stream's limits); <open/> and <close/> stand
// for the stream header and its end; no whitespace keepalives (WebSocket pings instead).

import type { SecureContext, TLSSocket } from "node:tls";
import {
  type Element,
  NS_CLIENT,
  NS_FRAMING,
  NS_STREAM,
  type ParserLimits,
  parseElement,
  serialize,
} from "@hato/xml";
import type { WebSocket } from "ws";
import { type StreamCondition, StreamError } from "../errors.js";
import type { Sweeper } from "../limits.js";
import type { Framing, FramingEvents, StreamOpening } from "./framing.js";

export interface WsFramingOptions {
  address: string;
  /** The TLS socket the WebSocket runs on (channel binding). */
  tlsSocket: TLSSocket;
  maxQueued: number;
  limits: Partial<ParserLimits>;
  sweeper: Sweeper;
  /** 0: no pings. */
  pingSeconds: number;
}

const CLOSE = `<close xmlns='${NS_FRAMING}'/>`;

/**
 * A top-level element as a standalone document: stanzas carry xmlns='jabber:client' (each
 * WebSocket message is parsed on its own, RFC 7395 §3.3.3).
 */
function standalone(el: Element): string {
  const text = serialize(el, NS_CLIENT);
  if ((el.xmlns ?? NS_CLIENT) !== NS_CLIENT) return text;
  const at = 1 + el.name.length;
  return `${text.slice(0, at)} xmlns='${NS_CLIENT}'${text.slice(at)}`;
}

/** One XMPP stream over a WebSocket. */
export class WsFraming implements Framing {
  readonly address: string;
  readonly encrypted = true;
  readonly transport = "websocket";
  readonly tlsSocket: TLSSocket;
  private events: FramingEvents | undefined;
  private expectingOpen = true;
  private halted = false;
  private done = false;
  private alive = true;
  private corked = false;
  private readonly pinger = {};

  constructor(
    private readonly ws: WebSocket,
    private readonly opts: WsFramingOptions,
  ) {
    this.address = opts.address;
    this.tlsSocket = opts.tlsSocket;
  }

  start(events: FramingEvents): void {
    this.events = events;
    this.ws.on("message", (data, isBinary) => this.message(data as Buffer, isBinary));
    this.ws.on("pong", () => {
      this.alive = true;
    });
    this.ws.on("error", (err) => this.gone(`websocket error: ${err.message}`));
    this.ws.on("close", (code, reason) =>
      this.gone(`websocket closed (${code}${reason.length > 0 ? ` ${reason.toString()}` : ""})`),
    );
    this.schedulePing();
  }

  private schedulePing(): void {
    const seconds = this.opts.pingSeconds;
    if (seconds === 0 || this.done) return;
    this.opts.sweeper.set(this.pinger, seconds * 1000, () => {
      if (this.done) return;
      if (!this.alive)
        return this.teardown(`no answer to a WebSocket ping within ${seconds} seconds`);
      this.alive = false;
      this.ws.ping();
      this.schedulePing();
    });
  }

  private message(data: Buffer, isBinary: boolean): void {
    if (this.halted || this.done) return;
    this.alive = true;
    this.events?.bytes(data.length);
    const fail = (condition: StreamCondition, text: string) => {
      this.halted = true;
      this.events?.error(new StreamError(condition, text));
    };
    if (isBinary) {
      fail("bad-format", "XMPP over WebSocket uses text messages (RFC 7395 §3.2)");
      return;
    }
    let el: Element;
    try {
      el = parseElement(data, this.opts.limits);
    } catch (err) {
      const m = /^([a-z-]+): ([\s\S]*)$/.exec((err as Error).message);
      fail(
        (m?.[1] ?? "not-well-formed") as StreamCondition,
        `${m?.[2] ?? "bad XML"} (each WebSocket message must be exactly one complete XML element, RFC 7395 §3.3.3)`,
      );
      return;
    }
    if (el.xmlns === NS_FRAMING && el.name === "open") {
      if (!this.expectingOpen) {
        fail(
          "policy-violation",
          "<open/> may only start a stream or restart it after authentication",
        );
        return;
      }
      this.expectingOpen = false;
      this.events?.streamStart(el);
      return;
    }
    if (el.xmlns === NS_FRAMING && el.name === "close") {
      this.events?.streamEnd();
      return;
    }
    if (this.expectingOpen) {
      fail(
        "invalid-namespace",
        `a stream starts with <open xmlns='${NS_FRAMING}'/> (RFC 7395 §3.4)`,
      );
      return;
    }
    if (el.xmlns === "") {
      fail(
        "invalid-namespace",
        "each message declares its namespace: stanzas carry xmlns='jabber:client' (RFC 7395 §3.3.3)",
      );
      return;
    }
    this.events?.element(el);
  }

  open(o: StreamOpening, features: Element[] | undefined): void {
    this.write(
      `<open xmlns='${NS_FRAMING}' id='${o.id}' from='${o.from}' version='1.0' xml:lang='en'/>`,
    );
    if (features) {
      this.write(
        `<stream:features xmlns:stream='${NS_STREAM}'>${features.map((f) => serialize(f)).join("")}</stream:features>`,
      );
    }
  }

  send(el: Element, written?: (ok: boolean) => void): void {
    this.write(standalone(el), written);
  }

  private write(text: string, written?: (ok: boolean) => void): void {
    if (this.done) {
      written?.(false);
      return;
    }
    // A client that stops reading must not make the server hold its traffic forever.
    if (this.ws.bufferedAmount + text.length > this.opts.maxQueued) {
      written?.(false);
      this.teardown(`outbound queue over ${this.opts.maxQueued} bytes: the client is not reading`);
      return;
    }
    // Every message sent in one event-loop turn leaves in one socket write (one TLS record
    // where it fits), as the TCP framing batches its writes.
    if (!this.corked) {
      this.corked = true;
      this.tlsSocket.cork();
      setImmediate(() => {
        this.corked = false;
        this.tlsSocket.uncork();
      });
    }
    this.ws.send(text, written ? (err) => written(!err) : undefined);
  }

  error(err: Element): void {
    const body = err.children.map((c) => serialize(c as Element, NS_STREAM)).join("");
    this.write(`<stream:error xmlns:stream='${NS_STREAM}'>${body}</stream:error>`);
    this.close();
  }

  close(): void {
    this.write(CLOSE);
    this.halted = true;
    if (this.done) return;
    this.ws.close(1000);
    this.gone("closed by server");
  }

  restart(): void {
    this.expectingOpen = true;
    this.halted = false;
  }

  halt(): void {
    this.halted = true;
  }

  pause(): void {
    this.ws.pause();
  }

  resume(): void {
    this.ws.resume();
  }

  startTls(_context: SecureContext, done: (err?: Error) => void): void {
    done(new Error("a WebSocket stream is encrypted already"));
  }

  teardown(reason: string): void {
    if (this.done) return;
    this.ws.terminate();
    this.gone(reason);
  }

  private gone(reason: string): void {
    if (this.done) return;
    this.done = true;
    this.opts.sweeper.clear(this.pinger);
    this.events?.closed(reason);
  }
}
