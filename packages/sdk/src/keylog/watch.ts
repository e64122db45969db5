// Automatic key transparency checks (docs/key-transparency.md, "The client's checks"): a
// watcher that verifies each new signed head against the one it remembers, checks contacts'
// device keys for inclusion, and alerts the user to any key logged for their own address that
// this device did not create. DOM-free: persistence and device lookup are ports.

import { Emitter } from "../emitter.js";
import { bare, domainOf } from "../jid.js";
import { after, cancel, type Timer } from "../platform.js";
import { KeyLogError, type KeyLogProblem, type LoggedKey } from "./client.js";
import type { SignedHead } from "./leaf.js";
import { type KeyLogMemory, parseMemory } from "./memory.js";

export type { KeyLogMemory } from "./memory.js";

/** One device key: namespace, device id, SHA-256 (hex) of its identity key. */
export interface DeviceKey {
  ns: string;
  device: number;
  ik: string;
}

/** Where the watcher keeps what it must remember between runs (the web client: localStorage). */
export interface KeyLogState {
  /** What save() stored last, or undefined on first use. Read as untrusted data. */
  load(): Promise<unknown>;
  save(memory: KeyLogMemory): Promise<void>;
}

/** What the watcher asks of the client. */
export interface KeyLogPorts {
  /** Our bare JID. */
  self: string;
  /** The verified log operations (client.keylog()). */
  head(opts: { pinnedKey?: string; last?: SignedHead }): Promise<SignedHead>;
  keysOf(jid: string, head: SignedHead): Promise<LoggedKey[]>;
  /** The keys this device created (its OMEMO identity): never an alert. */
  mine(): Promise<DeviceKey[]>;
  /**
   * A contact's current devices as the OMEMO layer sees them (device list; the identity key we
   * use or its bundle's, as SHA-256 hex; undefined when it has no bundle).
   */
  devicesOf(jid: string): Promise<{ ns: string; device: number; ik?: string }[]>;
}

/**
 * Why a check failed: the log lied (a KeyLogProblem); our memory is unreadable; more keys were
 * logged for our address since the last check than one answer shows; or no answer at all.
 */
export type WatchProblem = KeyLogProblem | "state-damaged" | "too-many-keys" | "unavailable";

/** The log as last checked. */
export type LogStatus =
  | { state: "starting" }
  | { state: "ok"; head: SignedHead; checkedAt: number }
  /** The server's answer was a lie or unusable: loud; the remembered head was kept. */
  | { state: "failed"; problem: WatchProblem; message: string; at: number };

/** A key logged for our own address that we did not create and have not acknowledged. */
export interface OwnAlert {
  /** "new-device": a device id we never had; "changed-key": one of ours with another key. */
  kind: "new-device" | "changed-key";
  key: DeviceKey;
  /** When the server logged it (ISO time). */
  at: string;
  /** A sentence for the user. */
  text: string;
}

/** A contact's device against the log. */
export interface DeviceCheck {
  ns: string;
  device: number;
  ik?: string;
  /**
   * "logged": this key is in the log; "not-logged": no key of this device is; "mismatch": the
   * log has another key for this device; "no-bundle": the device publishes no key to check;
   * "not-shown": the log's answer was full (`keylog.leaves-per-answer` newest keys of the
   * address) without this device, whose key may be older: unknown, not a finding.
   */
  status: "logged" | "not-logged" | "mismatch" | "no-bundle" | "not-shown";
  /** When the key was logged. */
  at?: string;
}

/** One contact's result. */
export type ContactCheck =
  | { state: "ok"; devices: DeviceCheck[]; size: number }
  /** The contact's account is on another server: its keys are in that server's log, not ours. */
  | { state: "elsewhere" }
  | { state: "failed"; problem: WatchProblem; message: string };

export interface KeyLogWatchEvents {
  /** Anything changed: read status, alerts, contact(). */
  change: () => void;
  /** A new alert about our own address. */
  alert: (a: OwnAlert) => void;
  /** A failed check of the log (also in status). */
  failure: (problem: WatchProblem, message: string) => void;
}

export interface WatchOptions {
  /** Between periodic checks (default 10 minutes); 0 turns the timer off. */
  intervalMs?: number;
  /** Contacts whose results are kept and re-checked (default 200; older ones are dropped). */
  maxContacts?: number;
  /** Leaves the server returns at most per address (`keylog.leaves-per-answer`, default 64). */
  leavesPerAnswer?: number;
}

const DEFAULT_INTERVAL = 10 * 60 * 1000;
/** More contact devices than this in one check are not looked at (hostile device lists). */
const MAX_DEVICES = 100;

const keyId = (k: { ns: string; device: number; ik?: string }) => `${k.ns} ${k.device} ${k.ik}`;

/** Checks the server's key log automatically; see the file header. */
export class KeyLogWatcher {
  private readonly events = new Emitter<KeyLogWatchEvents>();
  private memory: KeyLogMemory | undefined;
  private loaded = false;
  private running: Promise<void> | undefined;
  private again = false;
  private timer: Timer | undefined;
  private stopped = false;
  private paused = false;
  private readonly cleanups: (() => void)[] = [];
  private readonly contacts = new Map<string, ContactCheck>();
  /** Contacts to (re)check in the next round. */
  private readonly dirty = new Set<string>();
  private readonly interval: number;
  private readonly maxContacts: number;
  private readonly leavesPerAnswer: number;

  status: LogStatus = { state: "starting" };
  alerts: OwnAlert[] = [];

  constructor(
    private readonly ports: KeyLogPorts,
    private readonly state: KeyLogState,
    opts: WatchOptions = {},
  ) {
    this.interval = opts.intervalMs ?? DEFAULT_INTERVAL;
    this.maxContacts = opts.maxContacts ?? 200;
    this.leavesPerAnswer = opts.leavesPerAnswer ?? 64;
  }

  on<K extends keyof KeyLogWatchEvents>(ev: K, fn: KeyLogWatchEvents[K]): () => void {
    return this.events.on(ev, fn);
  }

  /** The last result for `jid` (undefined until it was checked: see watch()). */
  contact(jid: string): ContactCheck | undefined {
    return this.contacts.get(bare(jid));
  }

  /** Starts checking `jid` (once, then with every round) unless it is checked already. */
  watch(jid: string): void {
    const b = bare(jid);
    if (!this.contacts.has(b) && !this.dirty.has(b)) void this.checkContact(b);
  }

  /** Checks `jid` (again), e.g. after its device list changed; resolves when done. */
  checkContact(jid: string): Promise<void> {
    this.dirty.add(bare(jid));
    return this.check();
  }

  /** Our own device list changed (or we were told to look): checks the log and our address. */
  check(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (this.running !== undefined) {
      this.again = true;
      return this.running;
    }
    const run = (async () => {
      do {
        this.again = false;
        // Whatever breaks (storage full, say) is a failed check, never an unhandled rejection.
        await this.round().catch((err: unknown) => this.failWith(err));
      } while (this.again && !this.stopped);
    })().finally(() => {
      this.running = undefined;
      this.schedule();
    });
    this.running = run;
    return run;
  }

  /** Starts watching: a check now, then periodically (until pause() or stop()). */
  start(): Promise<void> {
    this.paused = false;
    return this.check();
  }

  /** No periodic checks until start() (the client went offline; a timer must not keep it alive). */
  pause(): void {
    this.paused = true;
    cancel(this.timer);
    this.timer = undefined;
  }

  /** Stops for good: no more checks, and whatever was registered with onStop() is undone. */
  stop(): void {
    this.stopped = true;
    cancel(this.timer);
    this.timer = undefined;
    for (const fn of this.cleanups.splice(0)) fn();
  }

  /** Runs `fn` on stop() (the client glue unsubscribes from the client's events). */
  onStop(fn: () => void): void {
    this.cleanups.push(fn);
  }

  /** The user says a key in an alert is theirs: it is never reported again. */
  async acknowledge(alert: OwnAlert): Promise<void> {
    const mem = this.memory;
    if (mem === undefined) return;
    const id = keyId(alert.key);
    if (!mem.acknowledged.some((k) => keyId(k) === id)) mem.acknowledged.push(alert.key);
    await this.state.save(mem);
    this.alerts = this.alerts.filter((a) => keyId(a.key) !== id);
    this.events.emit("change");
  }

  /**
   * Forgets the remembered head and pinned key (only when the organisation says its log was
   * reset, e.g. after losing the key file): the next head is trusted on first use again.
   */
  async forgetHead(): Promise<void> {
    if (this.memory === undefined) this.memory = { v: 1, acknowledged: [] };
    delete this.memory.head;
    await this.state.save(this.memory);
    await this.check();
  }

  // ---- internals ----

  private schedule(): void {
    cancel(this.timer);
    this.timer = undefined;
    if (this.stopped || this.paused || this.interval <= 0) return;
    this.timer = after(this.interval, () => {
      for (const jid of this.contacts.keys()) this.dirty.add(jid);
      void this.check();
    });
  }

  private fail(problem: WatchProblem, message: string): void {
    this.status = { state: "failed", problem, message, at: Date.now() };
    this.events.emit("failure", problem, message);
    this.events.emit("change");
  }

  /** One round: the head, our own address, then the contacts asked for. */
  private async round(): Promise<void> {
    if (!this.loaded) {
      const raw = await this.state.load().catch(() => undefined);
      const mem = parseMemory(raw);
      if (mem === undefined) {
        // Starting afresh would drop the pinned key and the head: a way around every check.
        this.fail("state-damaged", "the key log state kept on this device is unreadable");
        return;
      }
      this.memory = mem;
      this.loaded = true;
    }
    const mem = this.memory!;
    let head: SignedHead;
    try {
      head = await this.ports.head({ last: mem.head });
    } catch (err) {
      this.failWith(err);
      return;
    }
    mem.head = head;
    await this.state.save(mem);
    this.status = { state: "ok", head, checkedAt: Date.now() };
    // A failure here is reported; the contacts are still checked under the verified head.
    await this.checkOwn(mem, head).catch((err: unknown) => this.failWith(err));
    const jids = [...this.dirty];
    this.dirty.clear();
    for (const jid of jids) {
      const r = await this.checkOne(jid, head);
      this.contacts.delete(jid); // re-inserted last: the map's order is least recently checked first
      this.contacts.set(jid, r);
      if (r.state === "failed" && r.problem !== "unavailable") this.fail(r.problem, r.message);
    }
    while (this.contacts.size > this.maxContacts) {
      this.contacts.delete(this.contacts.keys().next().value as string);
    }
    this.events.emit("change");
  }

  private failWith(err: unknown): void {
    if (err instanceof KeyLogError) this.fail(err.problem, err.message);
    else this.fail("unavailable", `the key log could not be checked: ${errorText(err)}`);
  }

  /** Our own address: every logged key is ours, acknowledged, or an alert. */
  private async checkOwn(mem: KeyLogMemory, head: SignedHead): Promise<void> {
    const logged = await this.ports.keysOf(this.ports.self, head);
    const mine = await this.ports.mine();
    const known = new Set([...mine, ...mem.acknowledged].map(keyId));
    const myDevices = new Set(mine.map((k) => `${k.ns} ${k.device}`));
    const next: OwnAlert[] = [];
    for (const k of logged) {
      const key = { ns: k.ns, device: k.device, ik: k.ik };
      if (known.has(keyId(key))) continue;
      const kind = myDevices.has(`${k.ns} ${k.device}`) ? "changed-key" : "new-device";
      next.push({
        kind,
        key,
        at: k.at,
        text:
          kind === "new-device"
            ? `A device you did not add appeared on your account: device ${k.device}, added at ${k.at}.`
            : `The key of this device (${k.device}) was replaced on your account at ${k.at}.`,
      });
    }
    // A full answer whose oldest key is newer than our last check may hide keys in between.
    const oldest = Math.min(...logged.map((k) => k.index));
    if (logged.length >= this.leavesPerAnswer && oldest > (mem.ownChecked ?? 0)) {
      this.fail(
        "too-many-keys",
        `more keys were logged for your account (${logged.length} or more since the last check) than the log shows at once`,
      );
    } else {
      mem.ownChecked = head.size;
      await this.state.save(mem);
    }
    const before = new Set(this.alerts.map((a) => keyId(a.key)));
    this.alerts = next;
    for (const a of next) if (!before.has(keyId(a.key))) this.events.emit("alert", a);
  }

  /** One contact's devices against the log under `head`. */
  private async checkOne(jid: string, head: SignedHead): Promise<ContactCheck> {
    if (domainOf(jid) !== domainOf(this.ports.self)) return { state: "elsewhere" };
    try {
      const [devices, logged] = await Promise.all([
        this.ports.devicesOf(jid),
        this.ports.keysOf(jid, head),
      ]);
      const out: DeviceCheck[] = [];
      for (const d of devices.slice(0, MAX_DEVICES)) {
        const same = logged.filter((k) => k.ns === d.ns && k.device === d.device);
        if (d.ik === undefined) {
          out.push({ ns: d.ns, device: d.device, status: "no-bundle" });
          continue;
        }
        const hit = same.find((k) => k.ik === d.ik);
        const full = logged.length >= this.leavesPerAnswer;
        const status = hit
          ? "logged"
          : same.length > 0
            ? "mismatch"
            : full
              ? "not-shown"
              : "not-logged";
        out.push({ ns: d.ns, device: d.device, ik: d.ik, status, at: hit?.at });
      }
      return { state: "ok", devices: out, size: head.size };
    } catch (err) {
      if (err instanceof KeyLogError)
        return { state: "failed", problem: err.problem, message: err.message };
      return { state: "failed", problem: "unavailable", message: errorText(err) };
    }
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
