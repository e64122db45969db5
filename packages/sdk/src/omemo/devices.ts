// Device lists of contacts (and our own), cached so that sending does not read PEP every
// time. We announce devicelist+notify, so the server pushes each contact's list when it
// changes (and the last one when we come online); a list heard or read within
// `deviceListAge` is used as is. Anything that may have been missed makes it stale: a new
// session (notifications sent while we were away are lost), and a message from a device
// the cached list lacks. Sending reads the list again when it is stale or unknown, and
// once more before giving up when the cached list yields no device.

import { fetchDeviceList, type PepRequest } from "./pep.js";
import type { OmemoStore } from "./store.js";
import type { OmemoTiming } from "./timing.js";

/** A device list and whether it came from the cache (true) or PEP just now (false). */
export interface Devices {
  ids: number[];
  cached: boolean;
}

export class DeviceLists {
  /** Bare JID → when its list was last read or heard (ms), this session. */
  private readonly fresh = new Map<string, number>();
  /** How many times a list was read from PEP (for tests and benchmarks). */
  fetches = 0;

  constructor(
    private readonly store: OmemoStore,
    private readonly request: PepRequest,
    private readonly self: () => string,
    private readonly timing: Pick<OmemoTiming, "deviceListAge" | "now">,
  ) {}

  /** `jid`'s device ids: the cached list while fresh, else read from PEP (empty when none). */
  async get(jid: string): Promise<Devices> {
    const at = this.fresh.get(jid);
    if (at !== undefined && this.timing.now() - at < this.timing.deviceListAge) {
      const ids = await this.store.loadDevices(jid);
      if (ids !== undefined) return { ids, cached: true };
    }
    return { ids: await this.read(jid), cached: false };
  }

  /** Reads `jid`'s list from PEP; when it cannot be read, the stored one (not marked fresh). */
  async read(jid: string): Promise<number[]> {
    this.fetches++;
    const ids = await fetchDeviceList(this.request, this.self(), jid);
    if (ids === undefined) return (await this.store.loadDevices(jid)) ?? [];
    await this.heard(jid, ids);
    return ids;
  }

  /** A list from a notification or a read: stored, and fresh from now. */
  async heard(jid: string, ids: number[]): Promise<void> {
    this.fresh.set(jid, this.timing.now());
    await this.store.saveDevices(jid, ids);
  }

  /** A message came from `device` of `jid`: a cached list without it is out of date. */
  async sawDevice(jid: string, device: number): Promise<void> {
    if (!this.fresh.has(jid)) return;
    const ids = await this.store.loadDevices(jid);
    if (!ids?.includes(device)) this.fresh.delete(jid);
  }

  stale(jid: string): void {
    this.fresh.delete(jid);
  }

  /** A new session: notifications sent while we were offline never reach us. */
  forgetAll(): void {
    this.fresh.clear();
  }
}
