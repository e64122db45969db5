// End-to-end encryption for one client: OMEMO in the legacy namespace and in urn:xmpp:omemo:2,
// which of the two a message goes out in, the ordered decryption of incoming messages, and the
// local history that keeps the decrypted text (the server's archive holds only ciphertext).

import { type Element, xml } from "@hato/xml";
import { OMEMO_FEATURES } from "./caps.js";
import { type Chat, type Content, unwrap } from "./chat.js";
import type { Emitter } from "./emitter.js";
import { bare } from "./jid.js";
import { LocalHistory, MemoryHistoryStore } from "./local-history.js";
import { NS_HINTS, NS_OMEMO, NS_OMEMO2, NS_OMEMO2_DEVICES } from "./ns.js";
import { type Decrypted, Omemo, OmemoError, type OmemoHost } from "./omemo/omemo.js";
import { linkTrust } from "./omemo/trust.js";
import { LazyOmemo2 } from "./omemo2/lazy.js";
import { randomId } from "./platform.js";
import type { ClientEvents, ClientOptions } from "./types.js";

export interface E2eeHost {
  /** Our bare JID. */
  self(): string;
  request: OmemoHost["request"];
  /** Sends a stanza (queued while offline, as the chat's own). */
  write(el: Element): void;
  chat: Chat;
  events: Emitter<ClientEvents>;
}

/** The client's encryption: present only when the options gave it an OMEMO store. */
export class E2ee {
  readonly omemo: Omemo | undefined;
  readonly omemo2: LazyOmemo2 | undefined;
  /** The decrypted history this device keeps (OMEMO on). */
  readonly local: LocalHistory | undefined;
  /** Incoming messages in order while decryption (async) runs. */
  private inbox: Promise<void> = Promise.resolve();

  constructor(
    private readonly host: E2eeHost,
    opts: Pick<ClientOptions, "omemo" | "omemo2" | "omemoTiming" | "history">,
  ) {
    const { events } = host;
    this.local =
      opts.omemo === undefined
        ? undefined
        : new LocalHistory(opts.history ?? new MemoryHistoryStore(), (text) =>
            events.emit("error", text),
          );
    const omemoHost: OmemoHost = {
      self: () => host.self(),
      request: host.request,
      error: (text) => events.emit("error", text),
      newDevice: (jid, device, info) => events.emit("omemoNewDevice", jid, device, info),
      keyChanged: (jid, info) => events.emit("omemoKeyChanged", jid, info),
    };
    this.omemo =
      opts.omemo === undefined ? undefined : new Omemo(omemoHost, opts.omemo, opts.omemoTiming);
    const omemo2Host: OmemoHost = { ...omemoHost };
    this.omemo2 = opts.omemo2 === undefined ? undefined : new LazyOmemo2(omemo2Host, opts.omemo2);
    if (this.omemo !== undefined && this.omemo2 !== undefined) {
      // One trust rule per contact across both namespaces; OMEMO 2 devices verified through
      // client.omemo like legacy ones (docs/e2ee.md).
      omemo2Host.trust = this.omemo.addTrustSpace(this.omemo2.trustSpace());
      linkTrust(this.omemo.store, this.omemo2.store);
    }
  }

  /** Whether any OMEMO namespace is on. */
  get on(): boolean {
    return this.omemo !== undefined || this.omemo2 !== undefined;
  }

  /** What encryption adds to our disco#info features. */
  features(): string[] {
    return [
      ...(this.omemo === undefined ? [] : OMEMO_FEATURES),
      ...(this.omemo2 === undefined ? [] : [`${NS_OMEMO2_DEVICES}+notify`]),
    ];
  }

  setOnline(online: boolean): void {
    this.omemo?.setOnline(online);
  }

  /** A new session: keys are created and published before "online", so that sending works. */
  async start(): Promise<void> {
    const { events } = this.host;
    await this.omemo
      ?.start()
      .catch((e) => events.emit("error", `OMEMO could not be set up: ${String(e)}`));
    await this.omemo2
      ?.start()
      .catch((e) => events.emit("error", `OMEMO 2 could not be set up: ${String(e)}`));
  }

  /** Resolves once every message received so far is decrypted and kept. */
  settled(): Promise<void> {
    return this.inbox;
  }

  /**
   * The encrypted elements of `body` for `to`: in the legacy namespace by default (what
   * deployed clients read), in urn:xmpp:omemo:2 for a peer that publishes only OMEMO 2 devices.
   */
  async encryptFor(to: string, body: string): Promise<Element[]> {
    const { omemo, omemo2 } = this;
    if (omemo === undefined && omemo2 === undefined) throw offError();
    const useLegacy =
      omemo !== undefined &&
      (omemo2 === undefined ||
        (await omemo.deviceLists.get(to)).ids.length > 0 ||
        (await omemo2.devices(to)).length === 0);
    return useLegacy ? omemo.encrypt(to, body) : omemo2!.encrypt(to, body);
  }

  /** See HatoClient.repairOmemo(). */
  async repair(to: string, device?: number): Promise<void> {
    const { omemo, omemo2 } = this;
    if (omemo === undefined && omemo2 === undefined) throw offError();
    // OMEMO 2 sessions are repaired when the peer publishes OMEMO 2 devices (that device, if
    // named); the legacy ones as before, unless the named device is only an OMEMO 2 one.
    const v2 =
      omemo2 !== undefined &&
      (await omemo2.devices(to)).some((d) => device === undefined || d === device);
    const legacy =
      omemo !== undefined &&
      (!v2 || device === undefined || (await omemo.deviceLists.get(to)).ids.includes(device));
    const tries: Promise<Element>[] = [];
    if (legacy) tries.push(omemo.repair(to, device));
    if (v2) tries.push(omemo2.repair(to, device));
    if (tries.length === 0)
      throw new OmemoError(`cannot repair the session with ${to}: no OMEMO device`, []);
    const results = await Promise.allSettled(tries);
    const sent = results.filter((r) => r.status === "fulfilled");
    if (sent.length === 0) throw (results[0] as PromiseRejectedResult).reason;
    for (const r of sent)
      this.host.write(
        xml(
          "message",
          { type: "chat", to, id: randomId() },
          r.value,
          xml("store", { xmlns: NS_HINTS }),
        ),
      );
  }

  /**
   * Takes an incoming message: a device-list notification is handled here; anything else goes
   * to the chat, decrypted, in arrival order.
   */
  receive(m: Element): void {
    const { events } = this.host;
    if (this.omemo?.event(m) || this.omemo2?.event(m)) {
      events.emit("omemoDevices", bare(m.attr("from") ?? this.host.self()));
      return;
    }
    // Decryption is asynchronous: a queue keeps messages (and their receipts) in order.
    this.inbox = this.inbox.then(() =>
      this.decrypted(m).catch((e) =>
        events.emit("error", `an incoming message failed: ${String(e)}`),
      ),
    );
  }

  /** Hands a message to the chat with its decrypted body, or marked plain or undecryptable. */
  private async decrypted(m: Element): Promise<void> {
    const self = this.host.self();
    const { chat } = this.host;
    const u = unwrap(m, self);
    if (u === undefined) return;
    const legacy = this.omemo && u.msg.getChild("encrypted", NS_OMEMO);
    const enc2 = this.omemo2 && !legacy ? u.msg.getChild("encrypted", NS_OMEMO2) : undefined;
    // A namespace we have no store for is still encrypted: its body is only the fallback text.
    const foreign =
      legacy || enc2
        ? undefined
        : (u.msg.getChild("encrypted", NS_OMEMO) ?? u.msg.getChild("encrypted", NS_OMEMO2));
    const enc = legacy ?? enc2 ?? foreign;
    const type = u.msg.attr("type");
    if (enc === undefined || type === "groupchat" || type === "error") {
      const plain = u.msg.getChild("body") !== undefined;
      chat.process(
        u.msg,
        u.route,
        plain ? { body: u.msg.getChildText("body"), encryption: "none" } : undefined,
      );
      return;
    }
    const sender = u.route === "carbon-sent" ? self : bare(u.msg.attr("from") ?? "");
    // A copy delivered again (XEP-0198 after an unacknowledged session): its key is spent, and
    // the ratchet would call it a replay. Its text is in the local history.
    const again = await this.local?.seenLive(u.msg, u.route, self);
    if (again !== undefined) {
      chat.process(u.msg, u.route, { body: again, encryption: "omemo" });
      return;
    }
    const r: Decrypted =
      enc === foreign
        ? {
            ok: false,
            reason: `it is encrypted with ${enc.xmlns}, which this client does not speak`,
          }
        : legacy
          ? await this.omemo!.decrypt(sender, legacy)
          : await this.omemo2!.decrypt(sender, enc);
    let content: Content;
    if (r.ok) content = { body: r.body, encryption: "omemo" };
    else {
      content = { body: "", encryption: "failed", problem: r.reason };
      const peer = bare((u.route === "carbon-sent" ? u.msg.attr("to") : u.msg.attr("from")) ?? "");
      this.host.events.emit("cannotDecrypt", peer, r.reason, u.msg.attr("id"));
    }
    chat.process(u.msg, u.route, content);
    // The message key is spent: this is the only moment its text can be kept. Awaited inside
    // the inbox queue, so that a history page asked for afterwards finds it.
    if (r.ok && r.body !== undefined) await this.local?.keepLive(u.msg, u.route, self, r.body);
  }
}

function offError(): Error {
  return new Error("OMEMO is off: the client has no omemo store");
}
