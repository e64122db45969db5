// Where the key log watcher's memory lives in the browser: localStorage, key
// `hato-keylog:<bare jid>` (the last verified head with the pinned log key, and the keys of our
// own address the user acknowledged). Small, and read once per check.
import type { KeyLogMemory, KeyLogState } from "@hato/sdk";

/** The watcher's state for `jid` in localStorage. */
export function keyLogState(jid: string): KeyLogState {
  const key = `hato-keylog:${jid}`;
  return {
    async load() {
      const raw = localStorage.getItem(key);
      if (raw === null) return undefined;
      try {
        return JSON.parse(raw) as unknown;
      } catch {
        // Handed on as is: the watcher reports an unreadable state instead of starting afresh.
        return raw;
      }
    },
    async save(memory: KeyLogMemory) {
      localStorage.setItem(key, JSON.stringify(memory));
    },
  };
}
