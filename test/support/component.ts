// A raw XEP-0114 external component for scenario tests: the test says what goes on the wire.

import { createHash } from "node:crypto";
import type { Element } from "@hato/xml";
import { RawClient } from "./inproc.js";

/** An external component connection (jabber:component:accept) on the server's component port. */
export class ComponentClient {
  private constructor(
    readonly raw: RawClient,
    readonly domain: string,
  ) {}

  /** Connects and opens the stream to `domain`; waits for the server's header. */
  static async open(port: number, domain: string): Promise<ComponentClient> {
    const raw = await RawClient.connect(port);
    raw.send(
      `<?xml version='1.0'?><stream:stream xmlns='jabber:component:accept' xmlns:stream='http://etherx.jabber.org/streams' to='${domain}'>`,
    );
    const c = new ComponentClient(raw, domain);
    await c.waitHeader();
    return c;
  }

  private async waitHeader(): Promise<void> {
    for (let i = 0; i < 1000 && !this.raw.streamHeader && !this.raw.closed; i++)
      await new Promise((r) => setTimeout(r, 10));
  }

  /** The stream id the server announced. */
  get streamId(): string {
    return this.raw.streamHeader?.attr("id") ?? "";
  }

  /** Sends the handshake for `secret`: lowercase hex SHA-1 of stream id and secret. */
  sendHandshake(secret: string): void {
    const digest = createHash("sha1")
      .update(this.streamId + secret)
      .digest("hex");
    this.raw.send(`<handshake>${digest}</handshake>`);
  }

  /** Sends the handshake and waits for the server's empty `<handshake/>`. */
  async handshake(secret: string): Promise<Element> {
    this.sendHandshake(secret);
    return this.raw.expect((e) => e.name === "handshake", "<handshake/>");
  }

  /** Connects and authenticates in one step. */
  static async connect(port: number, domain: string, secret: string): Promise<ComponentClient> {
    const c = await ComponentClient.open(port, domain);
    await c.handshake(secret);
    return c;
  }

  send(text: string): void {
    this.raw.send(text);
  }

  expect(pred: (el: Element) => boolean, what?: string, timeoutMs?: number): Promise<Element> {
    return this.raw.expect(pred, what, timeoutMs);
  }

  get received(): Element[] {
    return this.raw.received;
  }

  close(): void {
    this.raw.close();
  }
}
