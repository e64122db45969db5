// A client socket with batched writes, a cap on unsent bytes, and STARTTLS upgrade (RFC 6120 §5).

import type { Socket } from "node:net";
import { type SecureContext, TLSSocket } from "node:tls";

type Written = (ok: boolean) => void;

// Writes are gathered and flushed once per event-loop turn: many stanzas routed to one
// client in the same turn become one socket write (and one TLS record) instead of many.
const dirty = new Set<Connection>();
let flushScheduled = false;

function flushAll(): void {
  flushScheduled = false;
  for (const c of dirty) c.flush();
  dirty.clear();
}

export interface ConnectionEvents {
  data(chunk: Buffer): void;
  /** The socket is gone; `reason` says why. */
  closed(reason: string): void;
}

/** One TCP or TLS connection. */
export class Connection {
  socket: Socket;
  readonly address: string;
  private pending: string[] = [];
  private pendingBytes = 0;
  private callbacks: Written[] = [];
  private closed = false;
  private readonly maxQueued: number;
  private readonly events: ConnectionEvents;

  constructor(socket: Socket, maxQueued: number, events: ConnectionEvents) {
    this.socket = socket;
    this.address = socket.remoteAddress ?? "unknown";
    this.maxQueued = maxQueued;
    this.events = events;
    this.attach(socket);
  }

  get encrypted(): boolean {
    return this.socket instanceof TLSSocket;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  private attach(socket: Socket): void {
    socket.setNoDelay(true);
    socket.on("data", (chunk: Buffer) => this.events.data(chunk));
    socket.on("error", (err) => this.teardown(`socket error: ${err.message}`));
    socket.on("end", () => this.teardown("peer closed the connection"));
    socket.on("close", () => this.teardown("connection closed"));
  }

  /** Queues text; `written` runs when it has been handed to the kernel (or failed). */
  write(text: string, written?: Written): void {
    if (this.closed) {
      written?.(false);
      return;
    }
    this.pending.push(text);
    this.pendingBytes += text.length;
    if (written) this.callbacks.push(written);
    // A client that stops reading must not make the server hold its traffic forever.
    if (this.pendingBytes + this.socket.writableLength > this.maxQueued) {
      this.teardown(`outbound queue over ${this.maxQueued} bytes: the client is not reading`);
      return;
    }
    dirty.add(this);
    if (!flushScheduled) {
      flushScheduled = true;
      setImmediate(flushAll);
    }
  }

  /** Sends what is queued now. */
  flush(): void {
    if (this.pending.length === 0 || this.closed) return;
    const data = this.pending.length === 1 ? this.pending[0]! : this.pending.join("");
    const callbacks = this.callbacks;
    this.pending = [];
    this.pendingBytes = 0;
    this.callbacks = [];
    if (callbacks.length === 0) this.socket.write(data);
    else
      this.socket.write(data, (err) => {
        for (const cb of callbacks) cb(!err);
      });
  }

  /**
   * Upgrades a plain socket to TLS in place (STARTTLS). Data already read but not yet
   * parsed is the caller's to discard; nothing sent in plaintext after `<starttls/>` counts.
   */
  startTls(context: SecureContext, handshakeDone: (err?: Error) => void): void {
    this.flush();
    const plain = this.socket;
    plain.removeAllListeners("data");
    plain.removeAllListeners("end");
    plain.removeAllListeners("close");
    plain.removeAllListeners("error");
    plain.on("error", () => {});
    const secure = new TLSSocket(plain, { isServer: true, secureContext: context });
    this.socket = secure;
    secure.once("secure", () => handshakeDone());
    secure.once("error", (err) => handshakeDone(err));
    this.attach(secure);
  }

  /** Flushes what is queued, then closes the connection. */
  end(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    this.socket.end();
    // A peer that never reads would keep a half-closed socket: give it a moment, no more.
    setTimeout(() => this.socket.destroy(), 2000).unref();
    this.events.closed("closed by server");
  }

  /** Drops the connection at once. */
  teardown(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    dirty.delete(this);
    for (const cb of this.callbacks) cb(false);
    this.callbacks = [];
    this.pending = [];
    this.socket.destroy();
    this.events.closed(reason);
  }
}
