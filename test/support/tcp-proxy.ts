// A loopback TCP proxy the test controls: cut every connection through it at a chosen moment,
// so any client (ours or a third-party program) can lose its network mid-conversation.

import { createConnection, createServer, type Socket } from "node:net";

export interface TcpProxy {
  /** The loopback port clients connect to instead of the server's. */
  port: number;
  /** Connections currently open through the proxy. */
  readonly open: number;
  /**
   * Cuts every open connection. "reset" sends RST both ways (a crash or a dead network
   * card); "silent" stops forwarding and never closes (a phone that went into a tunnel),
   * until `close()`.
   */
  cut(mode?: "reset" | "silent"): void;
  close(): Promise<void>;
}

/** Starts a proxy from a free loopback port to `target` on 127.0.0.1. */
export async function startTcpProxy(target: number): Promise<TcpProxy> {
  const pairs = new Set<[Socket, Socket]>();
  const silenced: Socket[] = [];
  const server = createServer((client) => {
    const upstream = createConnection({ host: "127.0.0.1", port: target });
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    const drop = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on("error", drop).on("close", drop);
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
    cut(mode = "reset") {
      for (const pair of [...pairs]) {
        pairs.delete(pair);
        for (const s of pair) {
          s.unpipe();
          s.removeAllListeners("data");
          if (mode === "reset") s.resetAndDestroy();
          else {
            s.pause();
            silenced.push(s);
          }
        }
      }
    },
    async close() {
      for (const pair of pairs) for (const s of pair) s.destroy();
      for (const s of silenced) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}
