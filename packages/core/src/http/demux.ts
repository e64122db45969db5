// The one port's split (XEP-0368 direct TLS next to HTTPS): ALPN decides when the client
// sent it; otherwise the first decrypted byte does (`<` starts XML, anything else is HTTP).

import type { TLSSocket } from "node:tls";

/** ALPN protocols offered on the one port, in the server's order of preference. */
export const ALPN_PROTOCOLS = ["xmpp-client", "http/1.1"];

export type Protocol = "xmpp" | "http";

/**
 * Calls `done` with the protocol of an established TLS connection. Without ALPN it waits for
 * the first byte and puts it back (unshift), so the chosen side reads the stream whole.
 * `done` is not called when the connection ends first.
 */
export function classify(secure: TLSSocket, done: (p: Protocol) => void): void {
  if (secure.alpnProtocol === "xmpp-client") {
    done("xmpp");
    return;
  }
  if (secure.alpnProtocol === "http/1.1") {
    done("http");
    return;
  }
  const peek = () => {
    const chunk: Buffer | null = secure.read();
    if (chunk === null) {
      secure.once("readable", peek);
      return;
    }
    secure.unshift(chunk);
    done(chunk[0] === 0x3c /* < */ ? "xmpp" : "http");
  };
  secure.once("readable", peek);
}
