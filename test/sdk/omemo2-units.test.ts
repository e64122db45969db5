// OMEMO 2's building blocks: RFC 7748, RFC 8032 and RFC 5869 known answers through our
// WebCrypto wrappers, and known answers computed by python-omemo 1.0.2 / twomemo 1.0.3 / xeddsa
// (Debian) for the Ed25519→X25519 conversion, the root and message chain KDFs, the AEAD, the
// payload and the protobufs; then X3DH and the ratchet between two parties, and hostile input.

import assert from "node:assert/strict";
import { test } from "node:test";
import {
  agreeActive,
  agreePassive,
  omemo2Crypto as c,
  envelope,
  identityPair,
  openEnvelope,
  openPayload2,
  parseBundle2,
  parseDevices,
  omemo2Proto as proto,
  omemo2Ratchet as r,
} from "@hato/sdk/internal";
import { parseElement } from "@hato/xml";

const hex = (s: string) => Uint8Array.from(s.match(/../g) ?? [], (h) => Number.parseInt(h, 16));
const toHex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const range = (from: number, to: number) =>
  Uint8Array.from({ length: to - from }, (_, i) => from + i);
const utf8 = (s: string) => new TextEncoder().encode(s);

test("X25519: RFC 7748 §5.2 and §6.1 through WebCrypto", async () => {
  assert.equal(
    toHex(
      await c.x25519(
        hex("a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4"),
        hex("e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c"),
      ),
    ),
    "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552",
  );
  assert.equal(
    toHex(
      await c.x25519Public(hex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a")),
    ),
    "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a",
  );
  await assert.rejects(c.x25519(range(0, 32), new Uint8Array(31)), /32 bytes/);
});

test("Ed25519: RFC 8032 §7.1 test 1 (seed, public key, signature of the empty message)", async () => {
  const seed = hex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
  const pub = hex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
  const sig = await c.ed25519Sign(seed, new Uint8Array());
  assert.equal(
    toHex(sig),
    "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
  );
  assert.equal(await c.ed25519Verify(pub, sig, new Uint8Array()), true);
  sig[0]! ^= 1;
  assert.equal(await c.ed25519Verify(pub, sig, new Uint8Array()), false);
  assert.equal(await c.ed25519Verify(pub.slice(1), sig, new Uint8Array()), false);
});

test("Ed25519 → X25519: python's xeddsa answers for RFC 8032's key, and the two halves agree", async () => {
  const seed = hex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
  const pub = hex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
  // xeddsa.ed25519_pub_to_curve25519_pub(pub) and xeddsa.seed_to_priv(seed):
  assert.equal(
    toHex(c.edToX25519(pub)),
    "d85e07ec22b0ad881537c2f44d662d1a143cf830c57aca4305d85c7a90f6b62e",
  );
  const priv = await c.seedToX25519(seed);
  // seed_to_priv clamps; X25519 clamps on use, so compare the public keys.
  assert.equal(toHex(await c.x25519Public(priv)), toHex(c.edToX25519(pub)));
  assert.equal(
    toHex(
      await c.x25519Public(hex("307c83864f2833cb427a2ef1c00a013cfdff2768d980c0a3a520f006904de94f")),
    ),
    toHex(c.edToX25519(pub)),
  );
  for (let i = 0; i < 5; i++) {
    const id = await c.ed25519Pair();
    assert.equal(
      toHex(await c.x25519Public(await c.seedToX25519(id.priv))),
      toHex(c.edToX25519(id.pub)),
    );
  }
  assert.throws(() => c.edToX25519(new Uint8Array(31)), /32 bytes/);
  assert.throws(() => c.edToX25519(new Uint8Array(32).fill(0xff)), /not canonical/);
});

test("identity keys have the sign bit 0, so XEdDSA verifiers (Converse.js) recover them", async () => {
  for (let i = 0; i < 16; i++) {
    const id = await identityPair();
    assert.equal(id.pub[31]! & 0x80, 0);
    const sig = await c.ed25519Sign(id.priv, utf8("spk"));
    assert.equal(await c.ed25519Verify(id.pub, sig, utf8("spk")), true);
  }
});

test("HKDF-SHA-256: RFC 5869 test case 3 (empty salt and info)", async () => {
  assert.equal(
    toHex(await c.hkdf(hex("0b".repeat(22)), new Uint8Array(), "", 42)),
    "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8",
  );
});

test("the root and message chain KDFs give twomemo's answers", async () => {
  const [root, chain] = await r.rootStep(range(0, 32), range(32, 64));
  assert.equal(
    toHex(root) + toHex(chain),
    "2fbe579f01132bf210d06bff40cb1603f1246281a78907a2dca43f7bf86415eb098895adc1a352cf2d6db6a44eef9f968b2ed13408ad7f9dfd36a7890f80cac1",
  );
  const ch = { key: range(0, 32), n: 0 };
  const mk = await r.chainStep(ch);
  // twomemo derives HMAC(ck, 0x02) ‖ HMAC(ck, 0x01): the next chain key, then the message key.
  assert.equal(
    toHex(ch.key) + toHex(mk),
    "4304c22c84a53755ab08ead8d97a8d429be5efa480682d7ad1da27f73e1fbe1d9b4c8120a4823a95f47cde17a244f4507244ee6e3957d1fab9fa29b44d3829b7",
  );
  assert.equal(ch.n, 1);
});

const TWOMEMO_AEAD =
  "0a10d192e5cfc816bfa63de16a69826f83fa1268080310021a2007070707070707070707070707070707070707070707070707070707070707072240ec1c3c19721735508096000fda8ebe2eba72559238b86f21e0f7c287caf0ded1d61b808897f66b686bdb03e50cf1a219cd2ab2148f0be8c1d82e739f5472daa6";

test("the AEAD: byte for byte twomemo's OMEMOAuthenticatedMessage, and it opens", async () => {
  const plain = utf8("0123456789abcdef0123456789abcdef0123456789abcdef");
  const header = { n: 3, pn: 2, dhPub: new Uint8Array(32).fill(7) };
  assert.equal(toHex(proto.encodeMessage(header)), "080310021a20" + "07".repeat(32));
  const sealed = await r.sealMessage(range(100, 132), range(0, 64), header, plain);
  assert.equal(toHex(sealed), TWOMEMO_AEAD);
  const { mac, message } = proto.decodeAuthenticated(hex(TWOMEMO_AEAD));
  const m = proto.decodeMessage(message);
  assert.deepEqual({ n: m.n, pn: m.pn }, { n: 3, pn: 2 });
  const opened = await r.openMessage(range(100, 132), range(0, 64), mac, message, m.ciphertext!);
  assert.equal(new TextDecoder().decode(opened), new TextDecoder().decode(plain));
  const badAd = range(1, 65);
  await assert.rejects(
    r.openMessage(range(100, 132), badAd, mac, message, m.ciphertext!),
    /authentication failed/,
  );
});

test("the payload: a twomemo payload opens; a flipped bit or a short key fails", async () => {
  const km = hex(
    "7bf8da407b6bbb1473e26144a38cbe48e8074c6da14fff3dfb0143c9b0099e36abcd7548952ce470eea2e6613a734762",
  );
  const payload = hex(
    "c63e23b6446af6543a9c7a6367d43448521e9dd302ea984897b87a70f829db1117aeaa192f05c2f9b1a85e0d91a7abf5",
  );
  assert.equal(
    new TextDecoder().decode(await openPayload2(km, payload)),
    "<envelope xmlns='urn:xmpp:sce:1'/>",
  );
  const bad = payload.slice();
  bad[5]! ^= 1;
  await assert.rejects(openPayload2(km, bad), /HMAC mismatch/);
  await assert.rejects(openPayload2(km.slice(0, 32), payload), /not 48/);
});

test("OMEMOKeyExchange: twomemo's encoding both ways; malformed protobufs are refused", () => {
  const want =
    "080510ac021a20" +
    "01".repeat(32) +
    "2220" +
    "02".repeat(32) +
    "2a3a0a10" +
    "03".repeat(16) +
    "1226080310021a20" +
    "07".repeat(32);
  const message = proto.encodeAuthenticated(
    new Uint8Array(16).fill(3),
    proto.encodeMessage({ n: 3, pn: 2, dhPub: new Uint8Array(32).fill(7) }),
  );
  const kex = {
    pkId: 5,
    spkId: 300,
    ik: new Uint8Array(32).fill(1),
    ek: new Uint8Array(32).fill(2),
    message,
  };
  assert.equal(toHex(proto.encodeKeyExchange(kex)), want);
  const back = proto.decodeKeyExchange(hex(want));
  assert.deepEqual([back.pkId, back.spkId, toHex(back.message)], [5, 300, toHex(message)]);
  assert.throws(
    () => proto.decodeKeyExchange(hex(want).slice(0, 40)),
    /truncated|too long|missing/,
  );
  assert.throws(() => proto.decodeMessage(hex("0803")), /missing/);
  assert.throws(() => proto.decodeMessage(hex("08031002")), /missing/);
  assert.throws(() => proto.decodeMessage(hex(`080310021a1f${"07".repeat(31)}`)), /32 bytes/);
  assert.throws(() => proto.decodeMessage(hex("0d00000000")), /wire type/);
  assert.throws(() => proto.decodeMessage(hex("08ffffffffffffffffff01")), /varint/);
  assert.throws(() => proto.decodeAuthenticated(hex("0a10")), /too long|truncated/);
  assert.throws(() => proto.decodeMessage(hex(`0803080310021a20${"07".repeat(32)}`)), /repeated/);
});

test("X3DH and the ratchet: both sides agree, out of order, replay and tampering refused", async () => {
  const alice = await c.ed25519Pair();
  const bob = await c.ed25519Pair();
  const spk = await c.x25519Pair();
  const pk = await c.x25519Pair();
  const signature = await c.ed25519Sign(bob.priv, spk.pub);
  const a = await agreeActive(alice, {
    ik: bob.pub,
    spk: { id: 1, pub: spk.pub, signature },
    pk: { id: 2, pub: pk.pub },
  });
  const b = await agreePassive(bob, spk, pk, alice.pub, a.ek);
  assert.equal(toHex(a.secret), toHex(b.secret));
  assert.equal(toHex(a.ad), toHex(alice.pub) + toHex(bob.pub));
  await assert.rejects(
    agreeActive(alice, {
      ik: bob.pub,
      spk: { id: 1, pub: pk.pub, signature },
      pk: { id: 2, pub: pk.pub },
    }),
    /signature/,
  );

  let sa = await r.initActive(a.secret, a.ad, spk.pub);
  const m1 = await r.ratchetEncrypt(sa, utf8("one"));
  const first = proto.decodeMessage(proto.decodeAuthenticated(m1).message);
  let sb = await r.initPassive(b.secret, b.ad, spk, first.dhPub);
  let d = await r.ratchetDecrypt(sb, m1);
  sb = d.state;
  assert.equal(new TextDecoder().decode(d.plain), "one");
  d = await r.ratchetDecrypt(sa, await r.ratchetEncrypt(sb, utf8("two")));
  sa = d.state;
  const m3 = await r.ratchetEncrypt(sa, utf8("three"));
  const m4 = await r.ratchetEncrypt(sa, utf8("four"));
  d = await r.ratchetDecrypt(sb, m4);
  sb = d.state;
  assert.equal(new TextDecoder().decode(d.plain), "four");
  d = await r.ratchetDecrypt(sb, m3);
  sb = d.state;
  assert.equal(new TextDecoder().decode(d.plain), "three", "a skipped key opens the late message");
  await assert.rejects(r.ratchetDecrypt(sb, m3), /replay/);
  await assert.rejects(r.ratchetDecrypt(sb, m4), /replay/);
  const m5 = await r.ratchetEncrypt(sa, utf8("five"));
  const forged = m5.slice();
  forged[4]! ^= 1; // inside the MAC
  await assert.rejects(r.ratchetDecrypt(sb, forged), /authentication failed/);
  d = await r.ratchetDecrypt(sb, m5);
  assert.equal(new TextDecoder().decode(d.plain), "five", "a forged message changed no state");
});

test("the SCE envelope: body, rpad and from; a wrong <from/> or a foreign element is refused", () => {
  const e = envelope("hi <b>&</b>", "alice@example.org");
  const el = parseElement(new TextDecoder().decode(e));
  assert.equal(el.xmlns, "urn:xmpp:sce:1");
  assert.ok((el.getChildText("rpad", "urn:xmpp:sce:1") ?? "").length > 0);
  assert.equal(openEnvelope(e, "alice@example.org"), "hi <b>&</b>");
  assert.throws(() => openEnvelope(e, "mallory@example.org"), /is not the sender/);
  assert.throws(() => openEnvelope(utf8("<x xmlns='y'/>"), "a@b"), /not an SCE/);
  assert.throws(() => openEnvelope(utf8("<envelope"), "a@b"), /not well-formed/);
  const lengths = new Set(Array.from({ length: 20 }, () => envelope("same", "a@b").length));
  assert.ok(lengths.size > 1, "the padding varies the length");
});

test("bundles and device lists from hostile input", () => {
  const ns = "urn:xmpp:omemo:2";
  const k = Buffer.alloc(32, 1).toString("base64");
  const sig = Buffer.alloc(64, 2).toString("base64");
  const good = parseElement(
    `<bundle xmlns='${ns}'><spk id='4'>${k}</spk><spks>${sig}</spks><ik>${k}</ik><prekeys><pk id='1'>${k}</pk><pk id='x'>${k}</pk><pk id='2'>AAAA</pk></prekeys></bundle>`,
  );
  const b = parseBundle2(good);
  assert.equal(b.spk.id, 4);
  assert.deepEqual(
    b.preKeys.map((p) => p.id),
    [1],
  );
  assert.throws(() => parseBundle2(undefined), /no OMEMO 2 bundle/);
  assert.throws(
    () => parseBundle2(parseElement(`<bundle xmlns='${ns}'><ik>${k}</ik></bundle>`)),
    /lacks/,
  );
  assert.throws(
    () =>
      parseBundle2(
        parseElement(
          `<bundle xmlns='${ns}'><spk id='4'>${k}</spk><spks>${sig}</spks><ik>${k}</ik></bundle>`,
        ),
      ),
    /no pre-keys/,
  );
  const list = parseElement(
    `<devices xmlns='${ns}'><device id='1'/><device id='1'/><device id='0'/><device id='-3'/><device id='2147483648'/><device id='7' label='phone'/></devices>`,
  );
  assert.deepEqual(parseDevices(list), [1, 7]);
  assert.deepEqual(
    parseDevices(
      parseElement("<list xmlns='eu.siacs.conversations.axolotl'><device id='1'/></list>"),
    ),
    [],
  );
  const many = parseElement(
    `<devices xmlns='${ns}'>${Array.from({ length: 300 }, (_, i) => `<device id='${i + 1}'/>`).join("")}</devices>`,
  );
  assert.equal(parseDevices(many).length, 100);
});
