// Verdicts about encrypted files, each kept under both the ciphertext's hash and the key's.

import type { KeyValueStore } from "@hato/storage";

const STORE = "scan-verdicts";

export type HandoffStatus = "clean" | "infected" | "refused";

export interface HandoffVerdict {
  status: HandoffStatus;
  reason?: string;
  engine: string;
  /** ISO time of the scan. */
  scanned: string;
}

/**
 * One record per (ciphertext SHA-256, SHA-256(key ‖ iv)) pair, in the host's key-value store:
 * a lookup must present both, so a verdict found with key A is never given for key B.
 */
export class VerdictStore {
  constructor(private readonly kv: KeyValueStore) {}

  async record(sha256: string, keyHash: string, verdict: HandoffVerdict): Promise<void> {
    await this.kv.set(STORE, "", `${sha256}.${keyHash}`, JSON.stringify(verdict));
  }

  async find(sha256: string, keyHash: string): Promise<HandoffVerdict | undefined> {
    const raw = await this.kv.get(STORE, "", `${sha256}.${keyHash}`);
    return raw === undefined ? undefined : (JSON.parse(raw) as HandoffVerdict);
  }
}
