// The key log watcher wired to a HatoClient: the log through client.keylog(), our own keys from
// the OMEMO stores (both namespaces), contacts' devices from their PEP device lists and bundles, and checks when
// the client comes online or a device list changes.

import type { Element } from "@hato/xml";
import { fromBase64 } from "../base64.js";
import type { HatoClient } from "../client.js";
import { NS_OMEMO, NS_OMEMO2 } from "../ns.js";
import { fetchBundle, fetchDeviceList, type PepRequest } from "../omemo/pep.js";
import { identityKeyHash } from "./leaf.js";
import { keyLogVetter } from "./vet.js";
import { type KeyLogPorts, type KeyLogState, KeyLogWatcher, type WatchOptions } from "./watch.js";

/** An identity key in a bundle is 33 bytes; the text is refused well beyond that. */
const MAX_IK_BASE64 = 128;

/** SHA-256 (hex) of the identity key bytes exactly as the bundle publishes them (what the log hashes). */
async function bundleKeyHash(bundle: Element | undefined): Promise<string | undefined> {
  const text = bundle?.getChildText("identityKey", NS_OMEMO)?.replace(/\s+/g, "") ?? "";
  if (text === "" || text.length > MAX_IK_BASE64) return undefined;
  const bytes = fromBase64(text, 64);
  return bytes === undefined || bytes.length === 0 ? undefined : identityKeyHash(bytes);
}

/** The ports of a watcher over `client`; `request` is the client's IQ round trip. */
export function clientPorts(client: HatoClient, request: PepRequest): KeyLogPorts {
  const log = client.keylog();
  const self = client.jid;
  return {
    self,
    head: (opts) => log.head(opts),
    keysOf: (jid, head) => log.keysOf(jid, head),
    async mine() {
      // Both namespaces: the server logs each bundle's key, so an OMEMO 2 key left out here
      // would look like a device we never added.
      const out: { ns: string; device: number; ik: string }[] = [];
      const own = await client.omemo?.store.loadOwn();
      if (own !== undefined)
        out.push({
          ns: NS_OMEMO,
          device: own.deviceId,
          ik: await identityKeyHash(own.identity.pub),
        });
      const own2 = await client.omemo2?.store.loadOwn();
      if (own2 !== undefined)
        out.push({
          ns: NS_OMEMO2,
          device: own2.deviceId,
          ik: await identityKeyHash(own2.identity.pub),
        });
      return out;
    },
    async devicesOf(jid) {
      const out: { ns: string; device: number; ik?: string }[] = [];
      const store = client.omemo?.store;
      const ids = client.omemo
        ? ((await fetchDeviceList(request, self, jid)) ?? (await store?.loadDevices(jid)) ?? [])
        : [];
      for (const device of ids) {
        // The key our sessions use, when we have one; otherwise the one its bundle offers.
        const known = await store?.loadIdentity(jid, device);
        const ik =
          known !== undefined
            ? await identityKeyHash(known.key)
            : await bundleKeyHash(
                await fetchBundle(request, self, jid, device).catch(() => undefined),
              );
        out.push({ ns: NS_OMEMO, device, ik });
      }
      const omemo2 = client.omemo2;
      if (omemo2 === undefined) return out;
      for (const device of await omemo2.devices(jid).catch(() => [])) {
        const known = await omemo2.store.loadIdentity(jid, device);
        const key = known?.key ?? (await omemo2.presentedKey(jid, device));
        out.push({
          ns: NS_OMEMO2,
          device,
          ik: key === undefined || key.length === 0 ? undefined : await identityKeyHash(key),
        });
      }
      return out;
    },
  };
}

/** A watcher over `client`, checking when online and whenever an OMEMO device list changes. */
export function watchClient(
  client: HatoClient,
  request: PepRequest,
  state: KeyLogState,
  opts?: WatchOptions,
): KeyLogWatcher {
  const watcher = new KeyLogWatcher(clientPorts(client, request), state, opts);
  const vet = keyLogVetter(watcher, client.keylog(), client.jid, opts?.leavesPerAnswer ?? 64);
  client.omemo?.setKeyVetter(vet);
  client.omemo2?.setKeyVetter(vet);
  watcher.onStop(() => {
    client.omemo?.setKeyVetter(undefined);
    client.omemo2?.setKeyVetter(undefined);
  });
  watcher.onStop(
    client.on("status", (s) => {
      if (s === "online") void watcher.start();
      else if (s === "disconnected" || s === "auth-failed") watcher.pause();
    }),
  );
  watcher.onStop(
    client.on("omemoDevices", (jid) => {
      if (jid === client.jid) void watcher.check();
      else if (watcher.contact(jid) !== undefined) void watcher.checkContact(jid);
    }),
  );
  if (client.status === "online") void watcher.start();
  return watcher;
}
