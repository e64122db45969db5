// A minimal XMPP client for bench/upload.ts: direct TLS, SCRAM, bind, and XEP-0363 slot
// requests, the same for Hato and Prosody (neither figure includes it: only the PUT is timed).

import { once } from "node:events";
import { connect, type TLSSocket } from "node:tls";
import { createScramClient } from "@hato/sasl";
import { type Element, NS_BIND, NS_SASL, StreamParser, serialize } from "@hato/xml";

const NS_UPLOAD = "urn:xmpp:http:upload:0";

export interface Slot {
  put: string;
  /** Headers the slot asks the PUT to carry (XEP-0363 §5: Authorization, Cookie, Expires). */
  headers: Record<string, string>;
}

export class BenchXmpp {
  private readonly received: Element[] = [];
  private waiters: (() => void)[] = [];
  private readonly parser: StreamParser;
  private n = 0;

  private constructor(
    private readonly socket: TLSSocket,
    private readonly domain: string,
  ) {
    this.parser = new StreamParser(
      {
        streamStart: () => this.wake(),
        stanza: (el) => {
          this.received.push(el);
          this.wake();
        },
        streamEnd: () => this.wake(),
        error: () => this.wake(),
      },
      { maxStanzaBytes: 1024 * 1024 },
    );
    socket.on("data", (d: Buffer) => this.parser.write(d));
    socket.on("error", () => {});
  }

  /** Connects with direct TLS (XEP-0368), authenticates with SCRAM and binds a resource. */
  static async login(opts: {
    port: number;
    domain: string;
    username: string;
    password: string;
    ca: string;
  }): Promise<BenchXmpp> {
    const socket = connect({
      host: "127.0.0.1",
      port: opts.port,
      ca: opts.ca,
      servername: opts.domain,
      ALPNProtocols: ["xmpp-client"],
    });
    await once(socket, "secureConnect");
    const c = new BenchXmpp(socket, opts.domain);
    c.open();
    const features = await c.expect((e) => e.name === "features");
    const offered = features
      .getChild("mechanisms", NS_SASL)!
      .getChildren("mechanism")
      .map((m) => m.text());
    const mechanism = offered.includes("SCRAM-SHA-256") ? "SCRAM-SHA-256" : "SCRAM-SHA-1";
    const scram = createScramClient(mechanism, {
      username: opts.username,
      password: opts.password,
    });
    c.send(
      `<auth xmlns='${NS_SASL}' mechanism='${mechanism}'>${scram.first().toString("base64")}</auth>`,
    );
    const challenge = await c.expect((e) => e.name === "challenge" || e.name === "failure");
    if (challenge.name === "failure") throw new Error(`${opts.domain}: login refused`);
    const final = scram.final(Buffer.from(challenge.text(), "base64"));
    c.send(`<response xmlns='${NS_SASL}'>${final.toString("base64")}</response>`);
    const outcome = await c.expect((e) => e.name === "success" || e.name === "failure");
    if (outcome.name !== "success") throw new Error(`${opts.domain}: login failed`);
    c.parser.reset();
    c.open();
    await c.expect((e) => e.name === "features");
    c.send(`<iq type='set' id='bind'><bind xmlns='${NS_BIND}'/></iq>`);
    await c.expect((e) => e.attr("id") === "bind");
    return c;
  }

  /** Asks `service` (the server, or Prosody's upload component) for a slot. */
  async slot(service: string, name: string, size: number, type: string): Promise<Slot> {
    const id = `slot${++this.n}`;
    this.send(
      `<iq type='get' id='${id}' to='${service}'><request xmlns='${NS_UPLOAD}' filename='${name}' size='${size}' content-type='${type}'/></iq>`,
    );
    const r = await this.expect((e) => e.attr("id") === id);
    const slot = r.getChild("slot", NS_UPLOAD);
    const put = slot?.getChild("put");
    if (r.attr("type") !== "result" || put === undefined)
      throw new Error(`slot refused by ${service}: ${serialize(r)}`);
    const headers: Record<string, string> = {};
    for (const h of put.getChildren("header")) headers[h.attr("name")!] = h.text();
    return { put: put.attr("url")!, headers };
  }

  close(): void {
    this.socket.end("</stream:stream>");
    this.socket.destroy();
  }

  private open(): void {
    this.send(
      `<?xml version='1.0'?><stream:stream to='${this.domain}' version='1.0' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>`,
    );
  }

  private send(text: string): void {
    this.socket.write(text);
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  private async expect(pred: (el: Element) => boolean, timeoutMs = 30_000): Promise<Element> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.received.findIndex(pred);
      if (i >= 0) return this.received.splice(i, 1)[0]!;
      if (Date.now() > deadline || this.socket.destroyed)
        throw new Error(`no answer from ${this.domain}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 200);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }
}
