// RFC 6120 framing: one XML stream per direction over a TCP or TLS socket.

import type { Socket } from "node:net";
import type { SecureContext, TLSSocket } from "node:tls";
import {
  type Element,
  NS_CLIENT,
  NS_STREAM,
  type ParserLimits,
  StreamParser,
  serialize,
} from "@hato/xml";
import { Connection } from "../connection.js";
import { StreamError } from "../errors.js";
import type { Framing, FramingEvents, StreamOpening } from "./framing.js";

/** An XML stream over one socket. */
export class TcpFraming implements Framing {
  readonly address: string;
  readonly transport = "tcp";
  private readonly conn: Connection;
  private readonly parser: StreamParser;
  private events: FramingEvents | undefined;

  constructor(socket: Socket, maxQueued: number, limits: Partial<ParserLimits>) {
    this.conn = new Connection(socket, maxQueued, {
      data: (chunk) => {
        this.events?.bytes(chunk.length);
        this.parser.write(chunk);
      },
      closed: (reason) => this.events?.closed(reason),
    });
    this.address = this.conn.address;
    this.parser = new StreamParser(
      {
        streamStart: (root) => {
          if (root.name !== "stream" || root.xmlns !== NS_STREAM) {
            this.events?.error(
              new StreamError(
                "invalid-namespace",
                "the stream root must be <stream:stream> in http://etherx.jabber.org/streams",
              ),
            );
          } else this.events?.streamStart(root);
        },
        stanza: (el) => this.events?.element(el),
        streamEnd: () => this.events?.streamEnd(),
        error: (e) => this.events?.error(new StreamError(e.condition, e.text)),
      },
      limits,
    );
  }

  get encrypted(): boolean {
    return this.conn.encrypted;
  }

  get tlsSocket(): TLSSocket | undefined {
    return this.conn.encrypted ? (this.conn.socket as TLSSocket) : undefined;
  }

  start(events: FramingEvents): void {
    this.events = events;
  }

  open(o: StreamOpening, features: Element[] | undefined): void {
    let text =
      "<?xml version='1.0'?><stream:stream xmlns='jabber:client' " +
      `xmlns:stream='${NS_STREAM}' id='${o.id}' from='${o.from}' version='1.0' xml:lang='en'>`;
    if (features) {
      text += `<stream:features>${features.map((f) => serialize(f, NS_CLIENT)).join("")}</stream:features>`;
    }
    this.conn.write(text);
  }

  send(el: Element, written?: (ok: boolean) => void): void {
    this.conn.write(serialize(el, NS_CLIENT), written);
  }

  error(err: Element): void {
    const body = err.children.map((c) => serialize(c as Element, NS_STREAM)).join("");
    this.parser.halt();
    this.conn.write(`<stream:error>${body}</stream:error></stream:stream>`);
    this.conn.end();
  }

  close(): void {
    this.parser.halt();
    this.conn.write("</stream:stream>");
    this.conn.end();
  }

  restart(): void {
    this.parser.reset();
  }

  halt(): void {
    this.parser.halt();
  }

  pause(): void {
    this.conn.socket.pause();
  }

  resume(): void {
    this.conn.socket.resume();
  }

  startTls(context: SecureContext, done: (err?: Error) => void): void {
    this.conn.startTls(context, done);
  }

  teardown(reason: string): void {
    this.conn.teardown(reason);
  }
}
