// A loopback TCP proxy whose network can be cut and later restored. test/support/tcp-proxy.ts
// cuts the connections open at that moment but lets the next one through at once, so a client
// reconnects before anyone sees it offline; here the cut lasts until `restore()`: meanwhile new
// connections are reset ("reset": a dead link) or accepted and never answered ("silent": a
// tunnel), and everything open is cut the same way.

import { createConnection, createServer, type Socket } from "node:net";

export interface CuttableProxy {
  port: number;
  /** Connections forwarded right now. */
  readonly open: number;
  cut(mode: "reset" | "silent"): void;
  /** The network is back: new connections are forwarded again (cut ones stay dead). */
  restore(): void;
  close(): Promise<void>;
}

export async function startCuttableProxy(target: number): Promise<CuttableProxy> {
  const pairs = new Set<[Socket, Socket]>();
  const dead = new Set<Socket>();
  let down: "reset" | "silent" | undefined;
  const bury = (s: Socket, mode: "reset" | "silent") => {
    s.unpipe();
    s.removeAllListeners("data");
    if (mode === "reset") s.resetAndDestroy();
    else {
      s.pause();
      dead.add(s);
      s.on("error", () => undefined);
      s.on("close", () => dead.delete(s));
    }
  };
  const server = createServer((client) => {
    client.on("error", () => undefined);
    if (down) {
      bury(client, down);
      return;
    }
    const upstream = createConnection({ host: "127.0.0.1", port: target });
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    const drop = () => {
      if (!pairs.delete(pair)) return;
      client.destroy();
      upstream.destroy();
    };
    client.on("close", drop);
    upstream.on("error", drop).on("close", drop);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    get open() {
      return pairs.size;
    },
    cut(mode) {
      down = mode;
      for (const pair of [...pairs]) {
        pairs.delete(pair);
        for (const s of pair) bury(s, mode);
      }
    },
    restore() {
      down = undefined;
    },
    async close() {
      for (const pair of pairs) for (const s of pair) s.destroy();
      for (const s of dead) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}
