// Preact glue: re-render a component whenever the store changes.
import { useEffect, useReducer } from "preact/hooks";
import type { ChatStore } from "./store.js";

/** Subscribes the calling component to `store`. */
export function useStore(store: ChatStore): void {
  const [, bump] = useReducer((n: number) => n + 1, 0);
  useEffect(() => store.subscribe(() => bump(undefined)), [store]);
}
