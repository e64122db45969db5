// Transcripts: direct file transfer (Jingle FT, XEP-0096, iq:oob, SOCKS5 and in-band
// bytestreams, JMI) is refused with policy-violation unless files.peer-to-peer allows it;
// HTTP upload links (jabber:x:oob) and Jingle RTP calls pass.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Element } from "@hato/xml";
import { mutualContacts, RawClient, startServer, type TestServer } from "../support/inproc.js";
import { ask, condition, errorText } from "../support/stanzas.js";

/** What the sender reads. */
const REFUSAL_TEXT =
  "direct file transfer is turned off on this server: files go through the upload service so they can be scanned";

const BOB = "bob@localhost/laptop";
const ALICE = "alice@localhost/phone";

const jingle = (action: string, content: string) =>
  `<jingle xmlns='urn:xmpp:jingle:1' action='${action}' initiator='${ALICE}' sid='s1'>${content}</jingle>`;
const ftContent = (version: number, transport: string) =>
  `<content creator='initiator' name='a-file'><description xmlns='urn:xmpp:jingle:apps:file-transfer:${version}'><file><name>report.pdf</name><size>1024</size></file></description>${transport}</content>`;
const S5B = `<transport xmlns='urn:xmpp:jingle:transports:s5b:1' sid='t1' mode='tcp'><candidate cid='c1' host='192.0.2.1' jid='${ALICE}' port='5086' priority='8257636' type='direct'/></transport>`;
const IBB = "<transport xmlns='urn:xmpp:jingle:transports:ibb:1' block-size='4096' sid='t2'/>";
const RTP_CONTENT =
  "<content creator='initiator' name='voice'><description xmlns='urn:xmpp:jingle:apps:rtp:1' media='audio'><payload-type id='111' name='opus' clockrate='48000' channels='2'/></description><transport xmlns='urn:xmpp:jingle:transports:ice-udp:1' ufrag='u' pwd='p'/></content>";

/** IQ requests that negotiate or carry a direct transfer, one per protocol. */
const REFUSED_IQS: [string, string][] = [
  ["Jingle file transfer :5 over SOCKS5", jingle("session-initiate", ftContent(5, S5B))],
  ["Jingle file transfer :3 over IBB", jingle("session-initiate", ftContent(3, IBB))],
  ["Jingle file transfer :1", jingle("session-initiate", ftContent(1, S5B))],
  [
    "a Jingle s5b transport-info without a description",
    jingle("transport-info", `<content creator='initiator' name='a-file'>${S5B}</content>`),
  ],
  [
    "a Jingle file-transfer session-info (checksum)",
    jingle(
      "session-info",
      "<checksum xmlns='urn:xmpp:jingle:apps:file-transfer:5' creator='initiator' name='a-file'/>",
    ),
  ],
  [
    "XEP-0096 stream initiation with the file-transfer profile",
    "<si xmlns='http://jabber.org/protocol/si' id='si1' profile='http://jabber.org/protocol/si/profile/file-transfer'><file xmlns='http://jabber.org/protocol/si/profile/file-transfer' name='report.pdf' size='1024'/><feature xmlns='http://jabber.org/protocol/feature-neg'><x xmlns='jabber:x:data' type='form'><field var='stream-method' type='list-single'><option><value>http://jabber.org/protocol/bytestreams</value></option></field></x></feature></si>",
  ],
  [
    "jabber:iq:oob",
    "<query xmlns='jabber:iq:oob' sid='o1'><url>http://192.0.2.1:8080/report.pdf</url></query>",
  ],
  [
    "SOCKS5 bytestreams (XEP-0065)",
    `<query xmlns='http://jabber.org/protocol/bytestreams' sid='b1' mode='tcp'><streamhost jid='${ALICE}' host='192.0.2.1' port='5086'/></query>`,
  ],
  [
    "in-band bytestream open (XEP-0047)",
    "<open xmlns='http://jabber.org/protocol/ibb' block-size='4096' sid='i1' stanza='iq'/>",
  ],
  [
    "in-band bytestream data in an IQ",
    "<data xmlns='http://jabber.org/protocol/ibb' seq='0' sid='i1'>aGVsbG8=</data>",
  ],
];

/** Messages that carry a direct transfer. */
const REFUSED_MESSAGES: [string, string][] = [
  [
    "in-band bytestream data in a message (XEP-0047 §3)",
    "<data xmlns='http://jabber.org/protocol/ibb' seq='0' sid='i1'>aGVsbG8=</data>",
  ],
  [
    "a Jingle Message Initiation proposal of a file (XEP-0353)",
    "<propose xmlns='urn:xmpp:jingle-message:0' id='p1'><description xmlns='urn:xmpp:jingle:apps:file-transfer:5'/></propose>",
  ],
];

/** Sends a marker message to bob and returns what else (presence aside) reached him before it. */
async function beforeMarker(from: RawClient, to: RawClient, marker: string): Promise<Element[]> {
  from.send(`<message to='${BOB}' id='${marker}'><body>${marker}</body></message>`);
  await to.expect((e) => e.attr("id") === marker, marker);
  return to.received.splice(0).filter((e) => e.name !== "presence");
}

/** Alice and bob, mutual contacts (IQs to a full JID need that), each with one session. */
async function aliceAndBob(t: TestServer): Promise<{ alice: RawClient; bob: RawClient }> {
  await t.addUser("alice", "pw-a");
  await t.addUser("bob", "pw-b");
  await mutualContacts(t, "alice", "bob");
  const alice = (await RawClient.login(t, "alice", "pw-a", "phone")).client;
  const bob = (await RawClient.login(t, "bob", "pw-b", "laptop")).client;
  return { alice, bob };
}

describe("peer-to-peer file transfer, off by default", () => {
  let t: TestServer;
  let alice: RawClient;
  let bob: RawClient;
  before(async () => {
    t = await startServer();
    ({ alice, bob } = await aliceAndBob(t));
  });
  after(async () => {
    alice.close();
    bob.close();
    await t.stop();
  });

  REFUSED_IQS.forEach(([what, payload], i) => {
    it(`alice offers ${what}; the server answers policy-violation and bob sees nothing`, async () => {
      const id = `iq${i}`;
      const res = await ask(alice, id, `<iq type='set' id='${id}' to='${BOB}'>${payload}</iq>`);
      assert.equal(res.attr("type"), "error");
      assert.equal(res.attr("from"), BOB);
      assert.equal(condition(res), "policy-violation");
      assert.equal(res.getChild("error")!.attr("type"), "modify");
      assert.equal(errorText(res), REFUSAL_TEXT);
      assert.deepEqual(await beforeMarker(alice, bob, `after-${id}`), []);
    });
  });

  REFUSED_MESSAGES.forEach(([what, payload], i) => {
    it(`alice sends ${what}; she gets a message error, bob sees nothing`, async () => {
      const id = `m${i}`;
      const res = await ask(alice, id, `<message to='${BOB}' id='${id}'>${payload}</message>`);
      assert.equal(res.name, "message");
      assert.equal(res.attr("type"), "error");
      assert.equal(condition(res), "policy-violation");
      assert.equal(errorText(res), REFUSAL_TEXT);
      assert.deepEqual(await beforeMarker(alice, bob, `after-${id}`), []);
    });
  });

  it("IBB data in a message of type error, or a bytestream IQ result, is dropped (nobody answers those)", async () => {
    alice.send(
      `<message to='${BOB}' id='e1' type='error'><data xmlns='http://jabber.org/protocol/ibb' seq='0' sid='i1'>aGVsbG8=</data><error type='cancel'><undefined-condition xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></message>`,
    );
    alice.send(
      `<iq to='${BOB}' id='r1' type='result'><query xmlns='http://jabber.org/protocol/bytestreams' sid='b1'><streamhost-used jid='${ALICE}'/></query></iq>`,
    );
    assert.deepEqual(await beforeMarker(alice, bob, "after-dropped"), []);
    assert.equal(alice.received.filter((e) => e.name !== "presence").length, 0);
  });

  it("an HTTP upload link (jabber:x:oob in a message) reaches bob", async () => {
    alice.send(
      `<message to='${BOB}' id='oob1' type='chat'><body>https://localhost/upload/s/k/report.pdf</body><x xmlns='jabber:x:oob'><url>https://localhost/upload/s/k/report.pdf</url></x></message>`,
    );
    const got = await bob.expect((e) => e.attr("id") === "oob1", "x:oob message");
    assert.equal(
      got.getChild("x", "jabber:x:oob")?.getChildText("url"),
      "https://localhost/upload/s/k/report.pdf",
    );
  });

  it("a Jingle RTP call (session-initiate, JMI propose) reaches bob", async () => {
    alice.send(
      `<iq type='set' id='rtp1' to='${BOB}'>${jingle("session-initiate", RTP_CONTENT)}</iq>`,
    );
    const iq = await bob.expect((e) => e.attr("id") === "rtp1", "Jingle RTP");
    assert.ok(iq.getChild("jingle", "urn:xmpp:jingle:1"));
    alice.send(
      `<message to='${BOB}' id='rtp2'><propose xmlns='urn:xmpp:jingle-message:0' id='call1'><description xmlns='urn:xmpp:jingle:apps:rtp:1' media='audio'/></propose></message>`,
    );
    await bob.expect((e) => e.attr("id") === "rtp2", "JMI call proposal");
  });

  it("file metadata of an uploaded file (SIMS <file/> inside a reference) reaches bob", async () => {
    alice.send(
      `<message to='${BOB}' id='sims1'><reference xmlns='urn:xmpp:reference:0' type='data' uri='https://localhost/upload/s/k/a.png'><media-sharing xmlns='urn:xmpp:sims:1'><file xmlns='urn:xmpp:jingle:apps:file-transfer:5'><name>a.png</name></file></media-sharing></reference></message>`,
    );
    await bob.expect((e) => e.attr("id") === "sims1", "SIMS message");
  });
});

describe("peer-to-peer file transfer with files.peer-to-peer: true", () => {
  let t: TestServer;
  let alice: RawClient;
  let bob: RawClient;
  before(async () => {
    t = await startServer({ "files.peer-to-peer": "true" });
    ({ alice, bob } = await aliceAndBob(t));
  });
  after(async () => {
    alice.close();
    bob.close();
    await t.stop();
  });

  REFUSED_IQS.forEach(([what, payload], i) => {
    it(`${what} reaches bob`, async () => {
      alice.send(`<iq type='set' id='ok${i}' to='${BOB}'>${payload}</iq>`);
      await bob.expect((e) => e.attr("id") === `ok${i}`, what);
    });
  });

  REFUSED_MESSAGES.forEach(([what, payload], i) => {
    it(`${what} reaches bob`, async () => {
      alice.send(`<message to='${BOB}' id='okm${i}'>${payload}</message>`);
      await bob.expect((e) => e.attr("id") === `okm${i}`, what);
    });
  });
});
