// The key log watcher of each signed-in client (docs/key-transparency.md): started by app.tsx
// with the client, stopped when the client is done; the views read and subscribe to it here.
import type { HatoClient, KeyLogWatcher } from "@hato/sdk";
import { useEffect, useReducer } from "preact/hooks";
import { keyLogState } from "../crypto/keylog-state.js";

const watchers = new WeakMap<HatoClient, KeyLogWatcher>();

/** Starts checking the key log for `client` (first check once it is online). */
export function startKeyLog(client: HatoClient): KeyLogWatcher {
  const watcher = client.watchKeyLog(keyLogState(client.jid));
  watchers.set(client, watcher);
  const off = client.on("status", (s) => {
    // Signed out, or never signed in: this client will not come back.
    if (s !== "disconnected" && s !== "auth-failed") return;
    off();
    watcher.stop();
  });
  return watcher;
}

/** The watcher of `client`, re-rendering the calling component whenever it changes. */
export function useKeyLog(client: HatoClient): KeyLogWatcher | undefined {
  const watcher = watchers.get(client);
  const [, bump] = useReducer((n: number) => n + 1, 0);
  useEffect(() => watcher?.on("change", () => bump(undefined)), [watcher]);
  return watcher;
}
