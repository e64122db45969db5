// Workload for the XML parser benchmark: a realistic client-to-server XMPP stream.

/** Deterministic PRNG (xorshift32) so every run parses the same bytes. */
export function prng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 0x100000000;
  };
}

export const STREAM_HEADER =
  "<?xml version='1.0'?><stream:stream xmlns='jabber:client' " +
  "xmlns:stream='http://etherx.jabber.org/streams' to='example.com' version='1.0' xml:lang='en'>";

const WORDS = (
  "the meeting is at three ok see you there thanks let me check the build failed again " +
  "please review my patch lunch tomorrow sounds good I will call you later"
).split(" ");
// Roughly one word in seven is non-ASCII or escaped, as in a multilingual organisation.
const SPECIAL = [
  "Grüße",
  "größer",
  "日本語のテキスト",
  "привет",
  "😀",
  "👍🏽",
  "&amp;",
  "&lt;3",
  "naïve",
  "€5",
];

const CONTACTS = [
  "juliet@example.com",
  "romeo@example.net",
  "nurse@example.com",
  "tybalt@capulet.lit",
];

/** A stream of `count` stanzas: 80 % chat messages, 10 % presence, 10 % iq. */
export function xmppStream(count: number, seed = 42): Buffer {
  const rnd = prng(seed);
  const pick = <T>(list: T[]): T => list[Math.floor(rnd() * list.length)]!;
  const parts: string[] = [STREAM_HEADER];
  for (let k = 0; k < count; k++) {
    const r = rnd();
    const to = pick(CONTACTS);
    if (r < 0.8) {
      const n = 3 + Math.floor(rnd() * 40);
      const words: string[] = [];
      for (let w = 0; w < n; w++) words.push(rnd() < 0.14 ? pick(SPECIAL) : pick(WORDS));
      parts.push(
        `<message to='${to}' type='chat' id='m${k.toString(36)}-${Math.floor(rnd() * 1e9)}' xml:lang='en'>` +
          `<body>${words.join(" ")}</body>` +
          "<active xmlns='http://jabber.org/protocol/chatstates'/>" +
          "<request xmlns='urn:xmpp:receipts'/>" +
          `<origin-id xmlns='urn:xmpp:sid:0' id='${Math.floor(rnd() * 1e12).toString(16)}'/>` +
          "</message>",
      );
    } else if (r < 0.9) {
      parts.push(
        `<presence id='p${k}'><show>${pick(["away", "dnd", "xa", "chat"])}</show>` +
          `<status>${pick(["Out for lunch", "In a meeting — back at 3", "Im Urlaub", "会議中"])}</status>` +
          "<c xmlns='http://jabber.org/protocol/caps' hash='sha-1' node='https://gajim.org' " +
          "ver='QgayPKawpkPSDYmwT/WM94uAlu0='/></presence>",
      );
    } else if (r < 0.95) {
      parts.push(
        `<iq type='get' id='i${k}' to='${to}/balcony'>` +
          "<query xmlns='http://jabber.org/protocol/disco#info'/></iq>",
      );
    } else {
      parts.push(
        `<iq type='result' id='r${k}'><query xmlns='jabber:iq:roster' ver='v${k}'>` +
          CONTACTS.map(
            (c) =>
              `<item jid='${c}' subscription='both' name='${c.split("@")[0]}'><group>Friends</group></item>`,
          ).join("") +
          "</query></iq>",
      );
    }
    parts.push(rnd() < 0.3 ? "\n" : "");
  }
  return Buffer.from(parts.join(""));
}

/** Splits data into chunks of random sizes in [min, max], like TCP reads. */
export function chunked(data: Uint8Array, min: number, max: number, seed = 7): Uint8Array[] {
  const rnd = prng(seed);
  const out: Uint8Array[] = [];
  for (let o = 0; o < data.length; ) {
    const n = min + Math.floor(rnd() * (max - min + 1));
    out.push(data.subarray(o, o + n));
    o += n;
  }
  return out;
}
