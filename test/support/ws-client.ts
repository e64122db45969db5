// A raw RFC 7395 client for transcript tests: one XML element per WebSocket message, the test
// says exactly what goes on the wire.

import type { TLSSocket } from "node:tls";
import { createScramClient } from "@hato/sasl";
import {
  type Element,
  NS_BIND,
  NS_FRAMING,
  NS_SASL,
  NS_SM,
  NS_STREAM,
  parseElement,
} from "@hato/xml";
import { WebSocket } from "ws";

export interface WsConnectOptions {
  ca: string;
  /** Subprotocols asked for; default ["xmpp"]. */
  protocols?: string[];
  origin?: string;
  path?: string;
  /** Answer WebSocket pings (default true, as every WebSocket client does). */
  autoPong?: boolean;
}

/** What a refused WebSocket handshake answered. */
export interface Refusal {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export class WsClient {
  readonly received: Element[] = [];
  /** Raw text of every message received, in order. */
  readonly raw: string[] = [];
  closed = false;
  closeCode: number | undefined;
  closeReason = "";
  stanzaCount = 0;
  smBase = 0;
  autoAck = false;
  private smMark = 0;
  private waiters: (() => void)[] = [];

  private constructor(readonly ws: WebSocket) {
    ws.on("message", (data: Buffer) => {
      const text = data.toString("utf8");
      this.raw.push(text);
      const el = parseElement(text, { maxStanzaBytes: 64 * 1024 * 1024 });
      if (["message", "presence", "iq"].includes(el.name)) this.stanzaCount++;
      if (el.xmlns === NS_SM && (el.name === "enabled" || el.name === "resumed"))
        this.smMark = this.stanzaCount;
      if (this.autoAck && el.name === "r" && el.xmlns === NS_SM) {
        this.send(`<a xmlns='${NS_SM}' h='${this.handled}'/>`);
        return;
      }
      this.received.push(el);
      this.wake();
    });
    ws.on("close", (code, reason) => {
      this.closed = true;
      this.closeCode = code;
      this.closeReason = reason.toString();
      this.wake();
    });
    ws.on("error", () => {});
  }

  /** Opens a WebSocket to the one port; rejects with a Refusal when the handshake is refused. */
  static connect(port: number, opts: WsConnectOptions): Promise<WsClient> {
    const ws = new WebSocket(
      `wss://localhost:${port}${opts.path ?? "/xmpp-websocket"}`,
      opts.protocols ?? ["xmpp"],
      {
        ca: opts.ca,
        origin: opts.origin,
        maxPayload: 64 * 1024 * 1024,
        autoPong: opts.autoPong ?? true,
      },
    );
    return new Promise((resolve, reject) => {
      ws.once("open", () => resolve(new WsClient(ws)));
      ws.once("unexpected-response", (_req, res) => {
        let body = "";
        res.on("data", (d: Buffer) => {
          body += d.toString();
        });
        res.on("end", () => reject({ status: res.statusCode ?? 0, headers: res.headers, body }));
      });
      ws.once("error", (err) => reject(err));
    });
  }

  send(text: string | Buffer): void {
    this.ws.send(text);
  }

  open(to = "localhost"): void {
    this.send(`<open xmlns='${NS_FRAMING}' to='${to}' version='1.0'/>`);
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  async expect(
    pred: (el: Element) => boolean,
    what = "element",
    timeoutMs = 20_000,
  ): Promise<Element> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.received.findIndex(pred);
      if (i >= 0) return this.received.splice(i, 1)[0]!;
      if (this.closed) throw new Error(`closed while waiting for ${what}; got ${this.describe()}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}; got ${this.describe()}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  expectName(name: string): Promise<Element> {
    return this.expect((el) => el.name === name, `<${name}/>`);
  }

  async expectStreamError(): Promise<{ condition: string; text: string | undefined }> {
    const err = await this.expect(
      (el) => el.name === "error" && el.xmlns === NS_STREAM,
      "stream error",
    );
    const cond = err.elements().find((c) => c.name !== "text")!;
    return { condition: cond.name, text: err.getChildText("text") };
  }

  async expectClosed(timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    if (!this.closed) throw new Error("WebSocket still open");
  }

  private describe(): string {
    return this.received.map((e) => `<${e.name} xmlns='${e.xmlns}'>`).join(", ") || "nothing";
  }

  /** SCRAM-SHA-256 (or another mechanism) from <open/> (unless `opened`) to <success/>. */
  async authenticate(
    user: string,
    password: string,
    mechanism = "SCRAM-SHA-256",
    channelBinding?: { type: "tls-exporter"; data: Buffer },
    opened = false,
  ): Promise<Element> {
    if (!opened) {
      this.open();
      await this.expectName("features");
    }
    const scram = createScramClient(mechanism, { username: user, password, channelBinding });
    this.send(
      `<auth xmlns='${NS_SASL}' mechanism='${mechanism}'>${scram.first().toString("base64")}</auth>`,
    );
    const challenge = await this.expect((e) => e.name === "challenge" || e.name === "failure");
    if (challenge.name === "failure") return challenge;
    const final = scram.final(Buffer.from(challenge.text(), "base64"));
    this.send(`<response xmlns='${NS_SASL}'>${final.toString("base64")}</response>`);
    return this.expect((e) => e.name === "success" || e.name === "failure", "success");
  }

  /** The restart after SASL, then resource binding; returns the full JID. */
  async bind(resource?: string, presence = true): Promise<string> {
    this.open();
    await this.expectName("features");
    const r = resource === undefined ? "" : `<resource>${resource}</resource>`;
    this.send(
      `<iq xmlns='jabber:client' type='set' id='bind1'><bind xmlns='${NS_BIND}'>${r}</bind></iq>`,
    );
    const res = await this.expect(
      (e) => e.name === "iq" && e.attr("id") === "bind1",
      "bind result",
    );
    const jid = res.getChild("bind", NS_BIND)?.getChildText("jid");
    if (!jid) throw new Error("bind failed");
    if (presence) this.send("<presence xmlns='jabber:client'/>");
    return jid;
  }

  get handled(): number {
    return this.stanzaCount - this.smBase;
  }

  async enableSm(): Promise<Element> {
    this.send(`<enable xmlns='${NS_SM}' resume='true'/>`);
    const answer = await this.expect(
      (e) => e.xmlns === NS_SM && (e.name === "enabled" || e.name === "failed"),
      "<enabled/>",
    );
    this.smBase = this.smMark;
    return answer;
  }

  /** Connect, authenticate, bind. */
  static async login(
    port: number,
    ca: string,
    user: string,
    password: string,
    resource?: string,
  ): Promise<{ client: WsClient; jid: string }> {
    const client = await WsClient.connect(port, { ca });
    const outcome = await client.authenticate(user, password);
    if (outcome.name !== "success") throw new Error(`login failed for ${user}`);
    return { client, jid: await client.bind(resource) };
  }

  /** The TLS connection under the WebSocket (for channel binding). */
  get tlsSocket(): TLSSocket {
    return (this.ws as unknown as { _socket: TLSSocket })._socket;
  }

  /** Kills the TCP connection without any closing handshake. */
  kill(): void {
    this.ws.terminate();
  }
}
