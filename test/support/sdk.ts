// SDK clients against the in-process server over RFC 7395 WebSocket on the TLS port.

import {
  type ChatMessage,
  type ClientEvents,
  type ClientOptions,
  HatoClient,
  type KeyLogMemory,
  type KeyLogState,
} from "@hato/sdk";
import WebSocket from "ws";
import { startServer, type TestServer } from "./inproc.js";

/** The `ws` WebSocket trusting the test CA (what a Node bot passes as ClientOptions.WebSocket). */
export function wsTrusting(ca: string): NonNullable<ClientOptions["WebSocket"]> {
  const log = process.env.HATO_SDK_LOG === "1";
  let n = 0;
  return class extends WebSocket {
    constructor(url: string, protocols?: string | string[]) {
      super(url, protocols, { ca, servername: "localhost" } as WebSocket.ClientOptions);
      if (!log) return;
      const tag = `ws${++n}`;
      const send = this.send.bind(this);
      this.send = ((d: string) => {
        console.log(`${tag} >> ${d}`);
        send(d);
      }) as typeof this.send;
      this.addEventListener("message", (e) => console.log(`${tag} << ${String(e.data)}`));
    }
  };
}

export interface SdkWorld {
  server: TestServer;
  /** A client for `user@localhost` (created, not connected) through `port` (default: the TLS port). */
  client(user: string, opts?: Partial<ClientOptions> & { port?: number }): HatoClient;
  stop(): Promise<void>;
}

/** Starts a server with `users` (password "pw") and tracks clients so stop() ends them all. */
export async function sdkWorld(
  users: string[],
  flags: Record<string, string> = {},
): Promise<SdkWorld> {
  const server = await startServer(flags);
  for (const u of users) await server.addUser(u, "pw");
  const clients: HatoClient[] = [];
  const WS = wsTrusting(server.ca);
  return {
    server,
    client(user, opts = {}) {
      const { port, ...rest } = opts;
      const c = new HatoClient({
        service: `wss://127.0.0.1:${port ?? server.tlsPort}/xmpp-websocket`,
        jid: `${user}@localhost`,
        password: "pw",
        WebSocket: WS,
        ...rest,
      });
      clients.push(c);
      return c;
    },
    async stop() {
      for (const c of clients)
        if (c.status !== "disconnected" && c.status !== "auth-failed") await c.disconnect();
      await server.stop();
    },
  };
}

/** Resolves with the arguments of the first `ev` event for which `pred` holds. */
export function nextEvent<K extends keyof ClientEvents>(
  c: HatoClient,
  ev: K,
  pred: (...args: Parameters<ClientEvents[K]>) => boolean = () => true,
): Promise<Parameters<ClientEvents[K]>> {
  return new Promise((resolve) => {
    const off = c.on(ev, ((...args: Parameters<ClientEvents[K]>) => {
      if (!pred(...args)) return;
      off();
      resolve(args);
    }) as ClientEvents[K]);
  });
}

/** The next message `c` receives from `peer` (bare JID). */
export async function nextMessageFrom(c: HatoClient, peer: string): Promise<ChatMessage> {
  const [m] = await nextEvent(c, "message", (m) => !m.outgoing && m.peer === peer);
  return m;
}

/** A KeyLogState in memory; `data` is what a real store would hold (JSON, as localStorage). */
export class MemoryKeyLogState implements KeyLogState {
  data: unknown;
  async load(): Promise<unknown> {
    return this.data === undefined ? undefined : JSON.parse(JSON.stringify(this.data));
  }
  async save(m: KeyLogMemory): Promise<void> {
    this.data = JSON.parse(JSON.stringify(m));
  }
  get memory(): KeyLogMemory {
    return this.data as KeyLogMemory;
  }
}

/** Waits until `check()` holds, re-checking after each event of `c` (no timing thresholds). */
export function until(c: HatoClient, check: () => boolean): Promise<void> {
  if (check()) return Promise.resolve();
  return new Promise((resolve) => {
    const offs: (() => void)[] = [];
    const test = () => {
      if (!check()) return;
      for (const o of offs) o();
      resolve();
    };
    for (const ev of [
      "contacts",
      "message",
      "updated",
      "status",
      "chatState",
      "subscriptionRequest",
    ] as const) {
      offs.push(c.on(ev, () => queueMicrotask(test)));
    }
  });
}

/** Makes `a` and `b` contacts with mutual subscriptions, both online and seeing each other. */
export async function befriend(a: HatoClient, b: HatoClient): Promise<void> {
  const asked = nextEvent(b, "subscriptionRequest", (from) => from === a.jid);
  await a.addContact(b.jid);
  await asked;
  const askedBack = nextEvent(a, "subscriptionRequest", (from) => from === b.jid);
  b.approve(a.jid);
  await askedBack;
  a.approve(b.jid);
  const both = (c: HatoClient, peer: string) => () =>
    c.contacts().some((x) => x.jid === peer && x.subscription === "both" && x.show !== "offline");
  await Promise.all([until(a, both(a, b.jid)), until(b, both(b, a.jid))]);
}
