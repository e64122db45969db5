// Key transparency (docs/key-transparency.md): an RFC 9162-style append-only Merkle log of every
// OMEMO device key the server's users publish, with signed heads and proofs over urn:hato:keylog:0.

import { generateKeyPairSync, type KeyObject } from "node:crypto";
import { type HatoModule, Priority } from "@hato/core";
import { registerKeyLogHandlers } from "./handlers.js";
import { bundleKey } from "./leaf.js";
import { type KeyLogFaults, type KeyLogLimits, KeyLogService } from "./service.js";

export { NS_KEYLOG } from "./handlers.js";
export { canonicalLeaf, headMessage } from "./leaf.js";
export type { Appended, KeyLogFaults, KeyLogLimits, ServedHead } from "./service.js";
export { MerkleTree } from "./tree.js";

export interface KeyLogOptions {
  /**
   * The Ed25519 key that signs heads (`keylog-key.pem` in the data folder, given by `hato
   * start`). Without one a key is made at start: fine for tests, useless for clients that pin it.
   */
  key?: KeyObject;
  limits?: Partial<KeyLogLimits>;
  /** Test hooks that make the server lie; see KeyLogFaults. */
  faults?: KeyLogFaults;
}

/** The key log module, and (once loaded) its service for tests and the admin. */
export function createKeyLog(opts: KeyLogOptions = {}): HatoModule & {
  service(): KeyLogService | undefined;
} {
  let service: KeyLogService | undefined;
  return {
    name: "keylog",
    service: () => service,
    async load(api) {
      const key = opts.key ?? generateKeyPairSync("ed25519").privateKey;
      const log = new KeyLogService(
        api.storage.keylog,
        key,
        {
          leavesPerUserPerDay: api.config.keylog.newKeysPerDay,
          leavesPerAnswer: api.config.keylog.leavesPerAnswer,
          ...opts.limits,
        },
        opts.faults ?? {},
      );
      await log.load();
      service = log;
      registerKeyLogHandlers(api, log);
      api.hook(
        "pep-published",
        async ({ owner, node, id, payload }) => {
          const found = bundleKey(node, id, payload);
          if (found === undefined || !found.ok) return;
          const { ns, device, ik } = found;
          // Client publishes were logged before PEP stored them (handlers.ts): "known" here.
          // This catches publishes that did not come from a client stream.
          const jid = `${owner}@${api.domain}`;
          if ((await log.admit(jid, { ns, device, ik })) === "over-limit")
            api.log.error("key log: a published device key is beyond the day's allowance", {
              jid,
              device,
            });
        },
        Priority.OBSERVE,
      );
    },
  };
}

/** The key log with a key made at start (`hato start` gives the data folder's key instead). */
export const keylog = createKeyLog();
