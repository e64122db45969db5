// How a client stream's XML travels: one XML stream over TCP/TLS (RFC 6120) or one element
// per WebSocket message (RFC 7395). The stream state machine (stream.ts) speaks only to this.

import type { SecureContext, TLSSocket } from "node:tls";
import type { Element } from "@hato/xml";
import type { StreamError } from "../errors.js";

/** What the framing reports to the stream, in order. */
export interface FramingEvents {
  /** The client opened a stream (`<stream:stream>` or `<open/>`, already of the right kind). */
  streamStart(root: Element): void;
  /** `n` bytes arrived from the client (before they are parsed): for the byte rate. */
  bytes(n: number): void;
  /** One top-level element: stanza or nonza. */
  element(el: Element): void;
  /** The client closed its stream (`</stream:stream>` or `<close/>`). */
  streamEnd(): void;
  /** The client's bytes broke the framing or the XML rules: a stream error to send. */
  error(err: StreamError): void;
  /** The connection is gone; `reason` says why. */
  closed(reason: string): void;
}

/** The attributes of the server's stream opening. */
export interface StreamOpening {
  id: string;
  from: string;
}

/** One client connection's framing. */
export interface Framing {
  readonly address: string;
  /** Which transport carries the stream (for the metrics). */
  readonly transport: "tcp" | "websocket";
  /** False only on a plain TCP connection before STARTTLS. */
  readonly encrypted: boolean;
  /** The TLS socket under the stream, for SASL channel binding (RFC 9266, RFC 5929). */
  readonly tlsSocket: TLSSocket | undefined;
  /** Starts delivering events. */
  start(events: FramingEvents): void;
  /** Sends the server's stream opening, followed by `<stream:features>` when given. */
  open(opening: StreamOpening, features: Element[] | undefined): void;
  /** Sends a stanza or nonza; `written` runs once it reached the kernel (or failed). */
  send(el: Element, written?: (ok: boolean) => void): void;
  /** Sends a `<stream:error/>` (built by StreamError.toElement), closes the stream and the connection. */
  error(err: Element): void;
  /** Closes the stream and the connection. */
  close(): void;
  /** Expects a new stream from the client (after SASL success or STARTTLS). */
  restart(): void;
  /** Ignores all input until restart(). */
  halt(): void;
  /** Stops reading while an asynchronous step runs. */
  pause(): void;
  resume(): void;
  /** Upgrades to TLS in place (STARTTLS); only where `encrypted` is false. */
  startTls(context: SecureContext, done: (err?: Error) => void): void;
  /** Drops the connection at once. */
  teardown(reason: string): void;
}
