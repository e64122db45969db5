// XEP-0115 verification strings and hashes, computed by the SDK with WebCrypto SHA-1.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { capsHash, verificationString } from "@hato/sdk";

describe("XEP-0115 caps hash", () => {
  it("matches the simple generation example of §5.2", async () => {
    const identities = [{ category: "client", type: "pc", name: "Exodus 0.9.1" }];
    const features = [
      "http://jabber.org/protocol/disco#info",
      "http://jabber.org/protocol/disco#items",
      "http://jabber.org/protocol/muc",
      "http://jabber.org/protocol/caps",
    ];
    assert.equal(
      verificationString(identities, features),
      "client/pc//Exodus 0.9.1<http://jabber.org/protocol/caps<http://jabber.org/protocol/disco#info<" +
        "http://jabber.org/protocol/disco#items<http://jabber.org/protocol/muc<",
    );
    assert.equal(await capsHash(identities, features), "QgayPKawpkPSDYmwT/WM94uAlu0=");
  });

  it("sorts identities by category, type and xml:lang (§5.3 example identities)", () => {
    const s = verificationString(
      [
        { category: "client", type: "pc", lang: "en", name: "Psi 0.11" },
        { category: "client", type: "pc", lang: "el", name: "Ψ 0.11" },
      ],
      ["urn:xmpp:dataforms:softwareinfo"],
    );
    assert.equal(s, "client/pc/el/Ψ 0.11<client/pc/en/Psi 0.11<urn:xmpp:dataforms:softwareinfo<");
  });
});
