// A small typed event emitter; a listener that throws cannot break the client.

// biome-ignore lint/suspicious/noExplicitAny: listener signatures vary per event
type Listener = (...args: any[]) => void;

/** Emits the events of `E`; `on` returns an unsubscribe function. */
export class Emitter<E extends { [K in keyof E]: Listener }> {
  private listeners = new Map<keyof E, Set<Listener>>();

  /** Adds a listener; the returned function removes it. */
  on<K extends keyof E>(ev: K, fn: E[K]): () => void {
    const set = this.listeners.get(ev);
    const listeners = set ?? new Set<Listener>();
    if (set === undefined) this.listeners.set(ev, listeners);
    listeners.add(fn);
    return () => void listeners.delete(fn);
  }

  /** Calls every listener of `ev`; an exception in one is reported through `onError`. */
  emit<K extends keyof E>(ev: K, ...args: Parameters<E[K]>): void {
    const set = this.listeners.get(ev);
    if (set === undefined) return;
    for (const fn of [...set]) {
      try {
        fn(...args);
      } catch (e) {
        this.onError(e);
      }
    }
  }

  /** Where listener exceptions go (overridden by the client). */
  onError: (e: unknown) => void = () => {};
}
