// The OMEMO measurements of bench/omemo.ts, as one self-contained function: the same code runs
// in Node and, serialised by playwright's page.evaluate, in Chromium (so it may use nothing
// from this module's scope: only its arguments, the SDK it imports, and `performance`).

/** What to measure, and where. */
export interface MeasureOptions {
  /** The SDK to import: "@hato/sdk" in Node, the bundle's URL in the browser. */
  sdk: string;
  /** @hato/xml (parseElement, serialize): "@hato/xml" in Node, the same bundle in the browser. */
  xml: string;
  service: string;
  domain: string;
  password: string;
  /** Accounts `${prefix}a`, `${prefix}b` and `${prefix}n1` … `${prefix}n${newDevices}`. */
  prefix: string;
  /** Messages per body size. */
  messages: number;
  /** Body sizes in bytes (ASCII bodies, so characters = bytes). */
  sizes: number[];
  /** New devices to start a session with. */
  newDevices: number;
}

/** Milliseconds per operation (one entry per message or session). */
export interface Measured {
  bySize: {
    size: number;
    /** send() → the peer's "message" event: plain text over the server. */
    plainRoundTrip: number[];
    /** sendEncrypted() → the peer's decrypted "message" event. */
    encryptedRoundTrip: number[];
    /** omemo.encrypt() alone: the Signal session step and AES-GCM, for one device. */
    encrypt: number[];
    /** omemo.decrypt() alone of a SignalMessage (an established session). */
    decrypt: number[];
  }[];
  /** omemo.encrypt() to a device never seen: device list + bundle from PEP, X3DH, the key. */
  newSession: number[];
  /** The new device decrypting that first (PreKey) message, incl. replacing its pre-key. */
  firstDecrypt: number[];
}

/** Runs every measurement; throws when a message does not come back as sent. */
export async function measure(
  o: MeasureOptions,
  extra: Record<string, unknown> = {},
): Promise<Measured> {
  const sdk = (await import(o.sdk)) as typeof import("@hato/sdk");
  const xmlLib = (await import(o.xml)) as typeof import("@hato/xml");
  const now = () => performance.now();
  const clients: InstanceType<typeof sdk.HatoClient>[] = [];
  const client = async (local: string) => {
    const c = new sdk.HatoClient({
      service: o.service,
      jid: `${local}@${o.domain}`,
      password: o.password,
      omemo: new sdk.MemoryOmemoStore(),
      reconnect: false,
      ...extra,
    });
    clients.push(c);
    await c.connect();
    return c;
  };
  try {
    const a = await client(`${o.prefix}a`);
    const b = await client(`${o.prefix}b`);
    // Messages b receives, by body: resolves the waiter with the arrival time.
    const waiting = new Map<string, (at: number, encryption: string | undefined) => void>();
    b.on("message", (m) => {
      if (!m.outgoing) waiting.get(m.body)?.(now(), m.encryption);
    });
    const arrival = (body: string) =>
      new Promise<{ at: number; encryption: string | undefined }>((resolve) =>
        waiting.set(body, (at, encryption) => {
          waiting.delete(body);
          resolve({ at, encryption });
        }),
      );
    // Warm-up: sessions both ways, so that later keys are SignalMessages, not PreKey ones.
    let got = arrival("warm-up");
    await a.sendEncrypted(b.jid, "warm-up");
    await got;
    const back = new Promise<void>((resolve) =>
      a.on("message", (m) => {
        if (!m.outgoing && m.body === "warm-up back") resolve();
      }),
    );
    await b.sendEncrypted(a.jid, "warm-up back");
    await back;

    const bySize: Measured["bySize"] = [];
    for (const size of o.sizes) {
      const body = (i: number, kind: string) => {
        const head = `${kind}${String(i).padStart(6, "0")}:`;
        return head + "x".repeat(Math.max(0, size - head.length));
      };
      const r: Measured["bySize"][number] = {
        size,
        plainRoundTrip: [],
        encryptedRoundTrip: [],
        encrypt: [],
        decrypt: [],
      };
      // Round trips, plain and encrypted interleaved so that both see the same noise.
      for (let i = 0; i < o.messages; i++) {
        let text = body(i, "p");
        got = arrival(text);
        let t0 = now();
        a.send(b.jid, text);
        let m = await got;
        if (m.encryption !== "none") throw new Error(`plain message came as ${m.encryption}`);
        r.plainRoundTrip.push(m.at - t0);
        text = body(i, "e");
        got = arrival(text);
        t0 = now();
        await a.sendEncrypted(b.jid, text);
        m = await got;
        if (m.encryption !== "omemo") throw new Error(`encrypted message came as ${m.encryption}`);
        r.encryptedRoundTrip.push(m.at - t0);
      }
      // The crypto alone: encrypt N messages, then decrypt them in order at b.
      // What b decrypts is parsed from the wire form, as received (parsing is not timed).
      const sealed: { text: string; wire: string }[] = [];
      for (let i = 0; i < o.messages; i++) {
        const text = body(i, "c");
        const t0 = now();
        const els = await a.omemo!.encrypt(b.jid, text);
        r.encrypt.push(now() - t0);
        sealed.push({ text, wire: xmlLib.serialize(els[0]!) });
      }
      for (const { text, wire } of sealed) {
        const enc = xmlLib.parseElement(wire);
        const t0 = now();
        const d = await b.omemo!.decrypt(a.jid, enc);
        r.decrypt.push(now() - t0);
        if (!d.ok || d.body !== text)
          throw new Error(`decrypt failed: ${d.ok ? "wrong body" : d.reason}`);
      }
      bySize.push(r);
    }

    // Sessions with devices a has never seen.
    const newSession: number[] = [];
    const firstDecrypt: number[] = [];
    for (let i = 1; i <= o.newDevices; i++) {
      const peer = await client(`${o.prefix}n${i}`);
      const t0 = now();
      const els = await a.omemo!.encrypt(peer.jid, "hello, new device");
      newSession.push(now() - t0);
      const enc = xmlLib.parseElement(xmlLib.serialize(els[0]!));
      const t1 = now();
      const d = await peer.omemo!.decrypt(a.jid, enc);
      firstDecrypt.push(now() - t1);
      if (!d.ok) throw new Error(`first message failed: ${d.reason}`);
    }
    return { bySize, newSession, firstDecrypt };
  } finally {
    for (const c of clients) await c.disconnect().catch(() => undefined);
  }
}
