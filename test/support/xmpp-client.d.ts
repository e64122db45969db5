// Types for the parts of @xmpp/client 0.14 (untyped JavaScript) that the interop agent uses.

declare module "@xmpp/client" {
  import type { EventEmitter } from "node:events";

  export interface XmlElement {
    name: string;
    attrs: Record<string, string | undefined>;
    children: (XmlElement | string)[];
    is(name: string, xmlns?: string): boolean;
    getChild(name: string, xmlns?: string): XmlElement | undefined;
    getChildText(name: string, xmlns?: string): string | null;
    text(): string;
    toString(): string;
  }

  export interface Client extends EventEmitter {
    jid: { toString(): string } | null;
    socket: { socket: import("node:tls").TLSSocket | import("node:net").Socket | null } | null;
    reconnect: { stop(): void };
    start(): Promise<unknown>;
    stop(): Promise<unknown>;
    send(...elements: XmlElement[]): Promise<void>;
  }

  export function client(options: {
    service: string;
    domain?: string;
    username?: string;
    password?: string;
    resource?: string;
    /** Milliseconds to wait for each reply; 2000 unless told. */
    timeout?: number;
  }): Client;

  export function xml(
    name: string,
    attrs?: Record<string, string>,
    ...children: (XmlElement | string)[]
  ): XmlElement;
}
