// End-to-end encryption of 1:1 chats in the web client: on by default. Every message and
// correction goes out with OMEMO; when the peer cannot receive it, nothing is sent until the
// user explicitly allows plain text for that one conversation, and never when the
// organisation's policy requires encryption. Also: the conversation's state for the header,
// and "Fix session" for messages that could not be decrypted. DOM-free.

import { type ChatMessage, type HatoClient, OmemoError, type PolicyLine } from "@hato/sdk";

/**
 * A conversation's encryption as the header shows it: "checking" (asking which devices the
 * peer has), "on" (messages go out encrypted), "unavailable" (the peer cannot receive
 * encrypted messages, or they cannot be encrypted to it: `problem` says why), "off" (the user
 * chose to send this conversation's messages unencrypted).
 */
export type E2eeState = "checking" | "on" | "unavailable" | "off";

/** One conversation's encryption. */
export interface ChatEncryption {
  state: E2eeState;
  /** Unavailable: why, in words (the SDK's reasons). */
  problem?: string;
  /** Unavailable: the peer publishes no OMEMO device at all (its app has no OMEMO). */
  noDevice?: boolean;
  /** "Fix session": idle, working, done (the peer's device got a fresh session) or the error. */
  repair: "idle" | "working" | "done" | { error: string };
}

/** What the encryption logic needs from the chat store. */
export interface E2eeHost {
  readonly client: HatoClient;
  readonly policy: PolicyLine[] | undefined;
  changed(): void;
  error(text: string): void;
}

/**
 * Whether the organisation requires end-to-end encryption (the policy summary's `encryption`
 * line: "1:1 messages must be end-to-end encrypted (OMEMO); …" versus "… is optional").
 */
export function encryptionRequired(policy: PolicyLine[] | undefined): boolean {
  const line = policy?.find((l) => l.rule === "encryption");
  return line !== undefined && !/\boptional\b/i.test(line.text);
}

/** The encryption of every conversation, and sending through it. */
export class E2ee {
  private readonly chats = new Map<string, ChatEncryption>();
  /** Sends one after the other: encrypting takes a while, and the order must hold. */
  private queue: Promise<unknown> = Promise.resolve();

  /** `${peer} ${id}` of messages that failed to decrypt as they arrived (history's do not count). */
  private readonly fixable = new Set<string>();

  constructor(private readonly host: E2eeHost) {}

  /** The organisation requires encryption: plain text is never sent. */
  get required(): boolean {
    return encryptionRequired(this.host.policy);
  }

  /** The state of the conversation with `peer` (checked on first use). */
  of(peer: string): ChatEncryption {
    let c = this.chats.get(peer);
    if (c === undefined) {
      c = { state: "checking", repair: "idle" };
      this.chats.set(peer, c);
      // Not during the render that asked.
      void Promise.resolve().then(() => this.check(peer));
    } else if (c.state === "off" && this.required) {
      // The organisation now requires encryption: the earlier choice of plain text is void.
      c.state = "checking";
      void Promise.resolve().then(() => this.check(peer));
    }
    return c;
  }

  /** Asks which OMEMO devices `peer` has: none means its app cannot receive encrypted messages. */
  async check(peer: string): Promise<void> {
    const c = this.of(peer);
    const { omemo, omemo2 } = this.host.client;
    if (c.state === "off") return;
    if (omemo === undefined && omemo2 === undefined) {
      this.set(c, "unavailable", "encryption is off in this client");
      return;
    }
    try {
      // Either namespace will do (the SDK picks one per peer); OMEMO 2 is asked only when the
      // legacy list is empty, so that its code loads only for a peer that needs it.
      let devices = (await omemo?.devices(peer)) ?? [];
      if (devices.length === 0 && omemo2 !== undefined) devices = await omemo2.devices(peer);
      // The user may have chosen meanwhile.
      if ((c.state as E2eeState) === "off") return;
      if (devices.length === 0) this.set(c, "unavailable", undefined, true);
      else if (c.state === "checking" || c.noDevice) this.set(c, "on");
    } catch (err) {
      // Not knowing is not "on": the first send decides.
      if (c.state === "checking") this.set(c, "unavailable", String(err));
    }
  }

  /**
   * A live message: one that failed to decrypt gets "Fix session"; an encrypted one from a peer
   * we thought could not encrypt means it can now.
   */
  seen(m: ChatMessage): void {
    if (m.encryption === "failed") this.fixable.add(`${m.peer} ${m.id}`);
    const c = this.chats.get(m.peer);
    if (c?.noDevice && m.encryption === "omemo") void this.check(m.peer);
  }

  /**
   * Sends `body` to `peer`: encrypted, or in plain text when the user chose so for this
   * conversation (and the policy allows it). Resolves false when nothing was sent; the
   * conversation's state then says why.
   */
  send(peer: string, body: string): Promise<boolean> {
    return this.serial(peer, (plain) =>
      plain ? this.host.client.send(peer, body) : this.host.client.sendEncrypted(peer, body),
    );
  }

  /** XEP-0308: corrects our message `id`, encrypted as send() would send it. */
  correct(peer: string, id: string, body: string): Promise<boolean> {
    return this.serial(peer, (plain) =>
      plain
        ? this.host.client.correct(peer, id, body)
        : this.host.client.correctEncrypted(peer, id, body),
    );
  }

  /** Whether what goes to `peer` goes unencrypted: the user's choice for this chat, if the policy allows it. */
  plainFor(peer: string): boolean {
    return this.of(peer).state === "off" && !this.required;
  }

  /** Whether message `m` failed to decrypt as it arrived, so that "Fix session" may help. */
  canFix(m: ChatMessage): boolean {
    return m.encryption === "failed" && this.fixable.has(`${m.peer} ${m.id}`);
  }

  /** The user's explicit choice: send this conversation's messages unencrypted (refused under the policy). */
  allowPlain(peer: string): void {
    if (this.required) return;
    const c = this.of(peer);
    c.state = "off";
    delete c.problem;
    this.host.changed();
  }

  /** Back to encryption after allowPlain(). */
  encryptAgain(peer: string): void {
    const c = this.of(peer);
    c.state = "checking";
    this.host.changed();
    void this.check(peer);
  }

  /** "Fix session": a new session with each of the peer's devices, announced by a key transport. */
  async repair(peer: string): Promise<void> {
    const c = this.of(peer);
    c.repair = "working";
    this.host.changed();
    try {
      await this.host.client.repairOmemo(peer);
      c.repair = "done";
    } catch (err) {
      c.repair = { error: err instanceof Error ? err.message : String(err) };
    }
    this.host.changed();
  }

  private serial(peer: string, go: (plain: boolean) => unknown): Promise<boolean> {
    const run = async (): Promise<boolean> => {
      const c = this.of(peer);
      const plain = c.state === "off" && !this.required;
      if (!plain && this.host.client.omemo === undefined && this.host.client.omemo2 === undefined) {
        this.set(c, "unavailable", "encryption is off in this client");
        return false;
      }
      try {
        await go(plain);
        if (!plain && c.state !== "on") this.set(c, "on");
        return true;
      } catch (err) {
        if (err instanceof OmemoError) {
          // No reason per device: the peer has none, unless our own device is not set up.
          const { omemo, omemo2 } = this.host.client;
          const ours = omemo?.deviceId !== undefined || omemo2?.deviceId !== undefined;
          this.set(c, "unavailable", err.message, ours && err.reasons.length === 0);
        } else {
          this.host.error(`Message to ${peer} not sent: ${String(err)}`);
        }
        return false;
      }
    };
    const next = this.queue.then(run, run);
    this.queue = next;
    return next;
  }

  private set(c: ChatEncryption, state: E2eeState, problem?: string, noDevice = false): void {
    c.state = state;
    if (problem === undefined) delete c.problem;
    else c.problem = problem;
    if (noDevice) c.noDevice = true;
    else delete c.noDevice;
    this.host.changed();
  }
}
