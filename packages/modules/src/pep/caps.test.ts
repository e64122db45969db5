// XEP-0115 §5.2 and §5.3 examples: the verification strings Hato computes match the XEP's.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseElement } from "@hato/xml";
import { verificationString } from "./caps.js";

const simple = `<query xmlns='http://jabber.org/protocol/disco#info'>
  <identity category='client' name='Exodus 0.9.1' type='pc'/>
  <feature var='http://jabber.org/protocol/caps'/>
  <feature var='http://jabber.org/protocol/disco#info'/>
  <feature var='http://jabber.org/protocol/disco#items'/>
  <feature var='http://jabber.org/protocol/muc'/>
</query>`;

const complex = `<query xmlns='http://jabber.org/protocol/disco#info'>
  <identity xml:lang='en' category='client' name='Psi 0.11' type='pc'/>
  <identity xml:lang='el' category='client' name='Ψ 0.11' type='pc'/>
  <feature var='http://jabber.org/protocol/caps'/>
  <feature var='http://jabber.org/protocol/disco#info'/>
  <feature var='http://jabber.org/protocol/disco#items'/>
  <feature var='http://jabber.org/protocol/muc'/>
  <x xmlns='jabber:x:data' type='result'>
    <field var='FORM_TYPE' type='hidden'><value>urn:xmpp:dataforms:softwareinfo</value></field>
    <field var='ip_version'><value>ipv4</value><value>ipv6</value></field>
    <field var='os'><value>Mac</value></field>
    <field var='os_version'><value>10.5.1</value></field>
    <field var='software'><value>Psi</value></field>
    <field var='software_version'><value>0.11</value></field>
  </x>
</query>`;

describe("XEP-0115 verification string", () => {
  it("matches the simple example (§5.2)", () => {
    assert.equal(verificationString(parseElement(simple), "sha-1"), "QgayPKawpkPSDYmwT/WM94uAlu0=");
  });
  it("matches the complex example with languages and a form (§5.3)", () => {
    assert.equal(
      verificationString(parseElement(complex), "sha-1"),
      "q07IKJEyjvHSyhy//CH0CxmKi8w=",
    );
  });
  it("refuses duplicate features and identities, and hashes it cannot compute (§5.4)", () => {
    const dup = simple.replace(
      "</query>",
      "<feature var='http://jabber.org/protocol/muc'/></query>",
    );
    assert.equal(verificationString(parseElement(dup), "sha-1"), undefined);
    const dupId = simple.replace(
      "</query>",
      "<identity category='client' name='Exodus 0.9.1' type='pc'/></query>",
    );
    assert.equal(verificationString(parseElement(dupId), "sha-1"), undefined);
    assert.equal(verificationString(parseElement(simple), "md5"), undefined);
    assert.match(verificationString(parseElement(simple), "sha-256") ?? "", /^[A-Za-z0-9+/]{43}=$/);
  });
});
