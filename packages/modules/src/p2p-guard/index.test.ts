import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseElement } from "@hato/xml";
import { directTransfer } from "./index.js";

const found = (stanza: string) => directTransfer(parseElement(stanza));

describe("direct transfer detection", () => {
  it("names each protocol where it puts its elements", () => {
    assert.equal(
      found(
        "<iq type='set'><jingle xmlns='urn:xmpp:jingle:1'><content><description xmlns='urn:xmpp:jingle:apps:file-transfer:4'/></content></jingle></iq>",
      ),
      "Jingle file transfer",
    );
    assert.equal(
      found(
        "<iq type='set'><jingle xmlns='urn:xmpp:jingle:1'><content><transport xmlns='urn:xmpp:jingle:transports:ibb:1'/></content></jingle></iq>",
      ),
      "a Jingle direct transport",
    );
    assert.equal(found("<iq type='set'><query xmlns='jabber:iq:oob'/></iq>"), "jabber:iq:oob");
    assert.equal(
      found("<iq type='get'><query xmlns='http://jabber.org/protocol/bytestreams#udp'/></iq>"),
      "SOCKS5 bytestreams",
    );
    assert.equal(
      found("<message><close xmlns='http://jabber.org/protocol/ibb' sid='s'/></message>"),
      "in-band bytestreams",
    );
  });

  it("leaves upload links, iq:oob outside IQs, calls and forwarded copies alone", () => {
    assert.equal(
      found("<message><x xmlns='jabber:x:oob'><url>https://h/f</url></x></message>"),
      undefined,
    );
    assert.equal(found("<message><query xmlns='jabber:iq:oob'/></message>"), undefined);
    assert.equal(
      found(
        "<iq type='set'><jingle xmlns='urn:xmpp:jingle:1'><content><description xmlns='urn:xmpp:jingle:apps:rtp:1'/><transport xmlns='urn:xmpp:jingle:transports:ice-udp:1'/></content></jingle></iq>",
      ),
      undefined,
    );
    assert.equal(
      found(
        "<message><forwarded xmlns='urn:xmpp:forward:0'><message><data xmlns='http://jabber.org/protocol/ibb'/></message></forwarded></message>",
      ),
      undefined,
    );
  });
});
