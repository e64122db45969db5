// RFC 7395 framing as the SDK writes it, against a scripted WebSocket (no server): one
// element per message, <open/> to the domain, jabber:client on stanzas, SASL refusals.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { HatoClient, type Status } from "@hato/sdk";
import { parseElement } from "@hato/xml";

const FEATURES = (mechs: string[]) =>
  "<stream:features xmlns:stream='http://etherx.jabber.org/streams'>" +
  "<mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>" +
  mechs.map((m) => `<mechanism>${m}</mechanism>`).join("") +
  "</mechanisms></stream:features>";

/** A WebSocket whose "server" answers from a script: (sent element text) => replies. */
function scripted(script: (sent: string) => string[]) {
  const sockets: FakeSocket[] = [];
  class FakeSocket {
    protocol = "xmpp";
    readyState = 0;
    sent: string[] = [];
    onopen: ((ev: unknown) => void) | null = null;
    onclose: ((ev: unknown) => void) | null = null;
    onerror: ((ev: unknown) => void) | null = null;
    onmessage: ((ev: unknown) => void) | null = null;
    constructor(
      readonly url: string,
      readonly protocols?: string | string[],
    ) {
      sockets.push(this);
      setImmediate(() => {
        this.readyState = 1;
        this.onopen?.({});
      });
    }
    send(data: string): void {
      this.sent.push(data);
      for (const r of script(data)) setImmediate(() => this.onmessage?.({ data: r }));
    }
    close(): void {
      if (this.readyState === 3) return;
      this.readyState = 3;
      setImmediate(() => this.onclose?.({ code: 1000 }));
    }
  }
  return { FakeSocket, sockets };
}

describe("RFC 7395 framing and SASL refusals (scripted server)", () => {
  it("opens with <open/> to the domain and the xmpp subprotocol; a SASL failure is auth-failed", async () => {
    const { FakeSocket, sockets } = scripted((sent) => {
      if (sent.startsWith("<open")) {
        return [
          "<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' from='example.org' id='s1' version='1.0'/>",
          FEATURES(["SCRAM-SHA-1", "SCRAM-SHA-256", "PLAIN"]),
        ];
      }
      if (sent.startsWith("<auth")) {
        return [
          "<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><not-authorized/><text>bad password</text></failure>",
        ];
      }
      return [];
    });
    const client = new HatoClient({
      service: "wss://example.org/xmpp-websocket",
      jid: "Juliet@Example.org",
      password: "x",
      WebSocket: FakeSocket,
    });
    const statuses: Status[] = [];
    client.on("status", (s) => statuses.push(s));
    await assert.rejects(client.connect(), /not-authorized: bad password/);
    assert.deepEqual(statuses, ["connecting", "auth-failed"]);
    assert.equal(client.status, "auth-failed");

    const ws = sockets[0]!;
    assert.equal(ws.url, "wss://example.org/xmpp-websocket");
    assert.equal(ws.protocols, "xmpp");
    // Every message is exactly one complete element.
    const els = ws.sent.map((s) => parseElement(s));
    const open = els[0]!;
    assert.equal(open.name, "open");
    assert.equal(open.xmlns, "urn:ietf:params:xml:ns:xmpp-framing");
    assert.equal(open.attr("to"), "example.org");
    assert.equal(open.attr("version"), "1.0");
    const auth = els[1]!;
    assert.equal(auth.name, "auth");
    assert.equal(auth.attr("mechanism"), "SCRAM-SHA-256", "SHA-256 is preferred");
    const clientFirst = Buffer.from(auth.text(), "base64").toString();
    assert.match(
      clientFirst,
      /^n,,n=Juliet,r=[A-Za-z0-9+/=]{16,}$/,
      "no channel binding, gs2 header n,,",
    );
    assert.equal(ws.readyState, 3, "the socket is closed after the failure");
  });

  it("refuses a server that offers only PLAIN (no password in the clear, even under TLS)", async () => {
    const { FakeSocket } = scripted((sent) =>
      sent.startsWith("<open")
        ? [
            "<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' from='example.org' id='s1' version='1.0'/>",
            FEATURES(["PLAIN"]),
          ]
        : [],
    );
    const client = new HatoClient({
      service: "wss://x/ws",
      jid: "a@example.org",
      password: "x",
      WebSocket: FakeSocket,
    });
    await assert.rejects(client.connect(), /invalid-mechanism/);
    assert.equal(client.status, "auth-failed");
  });

  it("refuses a server whose SCRAM iteration count is too low to protect the password", async () => {
    const { FakeSocket } = scripted((sent) => {
      if (sent.startsWith("<open")) {
        return [
          "<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' from='example.org' id='s1' version='1.0'/>",
          FEATURES(["SCRAM-SHA-1"]),
        ];
      }
      const auth = parseElement(sent);
      if (auth.name !== "auth") return [];
      const nonce = /r=([^,]+)/.exec(Buffer.from(auth.text(), "base64").toString())![1];
      const challenge = Buffer.from(`r=${nonce}srv,s=QSXCR+Q6sek8bf92,i=10`).toString("base64");
      return [`<challenge xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>${challenge}</challenge>`];
    });
    const client = new HatoClient({
      service: "wss://x/ws",
      jid: "a@example.org",
      password: "x",
      WebSocket: FakeSocket,
    });
    await assert.rejects(client.connect(), /iteration count 10/);
    assert.equal(client.status, "auth-failed");
  });

  it("a socket that cannot open leaves the client disconnected", async () => {
    class Refused {
      protocol = "";
      readyState = 0;
      onopen: ((ev: unknown) => void) | null = null;
      onclose: ((ev: unknown) => void) | null = null;
      onerror: ((ev: unknown) => void) | null = null;
      onmessage: ((ev: unknown) => void) | null = null;
      constructor() {
        setImmediate(() => {
          this.onerror?.({});
          this.onclose?.({ code: 1006 });
        });
      }
      send(): void {}
      close(): void {}
    }
    const client = new HatoClient({
      service: "wss://x/ws",
      jid: "a@example.org",
      password: "x",
      WebSocket: Refused,
    });
    await assert.rejects(client.connect(), /cannot open a WebSocket/);
    assert.equal(client.status, "disconnected");
  });
});
