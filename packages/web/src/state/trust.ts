// Trust and verification of contacts' OMEMO devices as the web client shows it: the Security
// panel's data (devices, fingerprints, trust, codes, verification results) and the chat's
// notices (a contact's key changed: a warning; a contact added a device: a quiet notice).
// DOM-free; the SDK does the work (client.omemo, docs/e2ee.md).

import {
  type DeviceFingerprint,
  type HatoClient,
  type KeyChangeInfo,
  parseVerificationUri,
  VerificationError,
} from "@hato/sdk";

/** What the chat shows about one contact's devices until the user dismisses it. */
export interface TrustNotice {
  kind: "key-changed" | "new-device";
  device: number;
  /** The device's (new) fingerprint. */
  fingerprint: string;
  /** New device: whether it gets messages (blind trust) or not (the contact has a verified device). */
  getsMessages: boolean;
}

/** The outcome of a verification the user tried, shown in the panel. */
export type VerifyResult = { ok: true; text: string } | { ok: false; text: string } | undefined;

/** A device's key in the panel's maps: its id alone is unique only per namespace. */
export const deviceKey = (d: { namespace: string; device: number }) => `${d.namespace} ${d.device}`;

/** The namespace in words, for devices not in the legacy one. */
export const namespaceName = (ns: string) => (ns === NS_OMEMO2 ? "OMEMO 2" : "OMEMO");

/** OMEMO 2's namespace (devices of the legacy one are shown as before, without a label). */
export const NS_OMEMO2 = "urn:xmpp:omemo:2";

/** One contact's Security panel. */
export interface PeerTrust {
  devices: DeviceFingerprint[];
  /** Devices could not be read (per device, the SDK's words). */
  problems: string[];
  loading: boolean;
  result: VerifyResult;
  /** Short codes shown, per device (deviceKey: namespace and id). */
  codes: Map<string, string>;
  notices: TrustNotice[];
}

export interface TrustHost {
  readonly client: HatoClient;
  changed(): void;
}

/** Everything the web client knows and shows about its contacts' devices. */
export class TrustState {
  private readonly peers = new Map<string, PeerTrust>();
  /** The contact whose Security panel is open. */
  open: string | undefined;

  constructor(private readonly host: TrustHost) {}

  /** Subscribes to the SDK's events; returns the unsubscribers. */
  listen(): (() => void)[] {
    const c = this.host.client;
    return [
      c.on("omemoNewDevice", (jid, device, info) => {
        // The first devices of a contact are no news; a further one is, quietly.
        if (info.firstOfContact || jid === c.jid) return void this.reload(jid);
        this.notify(jid, {
          kind: "new-device",
          device,
          fingerprint: info.fingerprint,
          getsMessages: info.trust !== "untrusted",
        });
      }),
      c.on("omemoKeyChanged", (jid, info: KeyChangeInfo) =>
        this.notify(jid, {
          kind: "key-changed",
          device: info.device,
          fingerprint: info.new,
          getsMessages: false,
        }),
      ),
    ];
  }

  /** The panel's data for `jid` (loaded on first use). */
  of(jid: string): PeerTrust {
    let p = this.peers.get(jid);
    if (p === undefined) {
      p = {
        devices: [],
        problems: [],
        loading: true,
        result: undefined,
        codes: new Map(),
        notices: [],
      };
      this.peers.set(jid, p);
      void Promise.resolve().then(() => this.reload(jid));
    }
    return p;
  }

  /** Opens or closes `jid`'s Security panel (fetching its devices when it opens). */
  toggle(jid: string): void {
    this.open = this.open === jid ? undefined : jid;
    if (this.open !== undefined) void this.refresh(jid);
    this.host.changed();
  }

  /** Asks the server for `jid`'s devices, then shows what we know. */
  async refresh(jid: string): Promise<void> {
    const omemo = this.host.client.omemo;
    const p = this.of(jid);
    p.loading = true;
    this.host.changed();
    p.problems =
      omemo === undefined ? [] : await omemo.refreshDevices(jid).catch((e) => [String(e)]);
    await this.reload(jid);
  }

  /** Shows what the SDK knows of `jid`'s devices (nothing fetched). */
  async reload(jid: string): Promise<void> {
    const p = this.of(jid);
    p.devices = (await this.host.client.omemo?.fingerprints(jid)) ?? [];
    p.loading = false;
    this.host.changed();
  }

  /** Our own device's fingerprint and QR content, or undefined without OMEMO. */
  own(): { device: number; fingerprint: string; uri: string } | undefined {
    const omemo = this.host.client.omemo;
    if (omemo?.deviceId === undefined) return undefined;
    return { ...omemo.ownFingerprint(), uri: omemo.verificationUri() };
  }

  /** A scanned code: verifies `jid`'s devices it lists when they all match. */
  async verifyScanned(jid: string, uri: string): Promise<void> {
    const p = this.of(jid);
    try {
      const omemo = this.host.client.omemo;
      if (omemo === undefined) throw new VerificationError("encryption is off in this client");
      const peer = parseVerificationUri(uri).jid; // refuses a broken code with the reason
      if (peer !== jid)
        throw new VerificationError(
          `this code belongs to ${peer}, not to ${jid}: nothing was verified`,
        );
      const r = await omemo.verifyFromUri(uri);
      p.result = {
        ok: true,
        text: `Verified: the code matches ${r.devices.length === 1 ? "device" : "devices"} ${r.devices.join(", ")} of ${jid}.`,
      };
    } catch (err) {
      p.result = { ok: false, text: failure(err) };
    }
    await this.reload(jid);
  }

  /** Shows (computes) the short code for `jid`'s `device`. */
  async showCode(jid: string, device: number, namespace?: string): Promise<void> {
    const p = this.of(jid);
    try {
      const code = await this.host.client.omemo?.comparisonCode(jid, device, namespace);
      if (code !== undefined) p.codes.set(deviceKey({ namespace: namespace ?? "", device }), code);
    } catch (err) {
      p.result = { ok: false, text: failure(err) };
    }
    this.host.changed();
  }

  /** The user compared the short code with the contact: same ("verified") or not ("untrusted"). */
  async compared(jid: string, device: number, match: boolean, namespace?: string): Promise<void> {
    const p = this.of(jid);
    p.codes.delete(deviceKey({ namespace: namespace ?? "", device }));
    try {
      await this.host.client.omemo?.setTrust(
        jid,
        device,
        match ? "verified" : "untrusted",
        namespace,
      );
      p.result = match
        ? { ok: true, text: `Verified: device ${device} of ${jid}.` }
        : {
            ok: false,
            text: `The codes differ: device ${device} is not trusted and gets no messages. Someone may be impersonating ${jid}; ask them in person.`,
          };
    } catch (err) {
      p.result = { ok: false, text: failure(err) };
    }
    await this.reload(jid);
  }

  /** The user accepts a changed key: the device starts over (see docs/e2ee.md). */
  async acceptKey(jid: string, device: number, namespace?: string): Promise<void> {
    const p = this.of(jid);
    try {
      await this.host.client.omemo?.acceptNewKey(jid, device, namespace);
      p.notices = p.notices.filter((n) => !(n.kind === "key-changed" && n.device === device));
      p.result = { ok: true, text: `Accepted the new key of device ${device}; verify it again.` };
    } catch (err) {
      p.result = { ok: false, text: failure(err) };
    }
    await this.reload(jid);
  }

  /** The user read a notice. */
  dismiss(jid: string, notice: TrustNotice): void {
    const p = this.of(jid);
    p.notices = p.notices.filter((n) => n !== notice);
    this.host.changed();
  }

  private notify(jid: string, n: TrustNotice): void {
    const p = this.of(jid);
    p.notices = [
      ...p.notices.filter((o) => !(o.kind === n.kind && o.device === n.device)),
      n,
    ].slice(-5);
    void this.reload(jid);
  }
}

const failure = (err: unknown) =>
  err instanceof VerificationError || err instanceof Error ? err.message : String(err);
