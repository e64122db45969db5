// What the SDK takes from its host (browser or Node 20): timers, WebCrypto, text codecs,
// structured clone.
// Declared here, narrowly, instead of pulling in the DOM or Node type libraries.

/** The parts of WebCrypto's SubtleCrypto the SDK calls. */
export interface Subtle {
  digest(algorithm: string, data: Uint8Array): Promise<ArrayBuffer>;
  importKey(
    format: "raw",
    keyData: Uint8Array,
    algorithm: string | { name: string; hash?: string },
    extractable: boolean,
    usages: string[],
  ): Promise<unknown>;
  sign(algorithm: string, key: unknown, data: Uint8Array): Promise<ArrayBuffer>;
  verify(
    algorithm: string | { name: string },
    key: unknown,
    signature: Uint8Array,
    data: Uint8Array,
  ): Promise<boolean>;
  deriveBits(
    algorithm: { name: string; hash: string; salt: Uint8Array; iterations: number },
    key: unknown,
    length: number,
  ): Promise<ArrayBuffer>;
}

interface Host {
  structuredClone<T>(value: T): T;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(id: unknown): void;
  crypto: { subtle: Subtle; getRandomValues(a: Uint8Array): Uint8Array };
  TextEncoder: new () => { encode(s: string): Uint8Array };
  TextDecoder: new (
    label?: string,
    opts?: { fatal?: boolean },
  ) => { decode(b: Uint8Array): string };
}

const host = globalThis as unknown as Host;

/** A deep copy (typed arrays and ArrayBuffers copied too), by the host's structured clone. */
export function deepCopy<T>(value: T): T {
  return host.structuredClone(value);
}

/** A timer handle; pass it to cancel(). */
export type Timer = unknown;

/** Runs `fn` after `ms` milliseconds. */
export function after(ms: number, fn: () => void): Timer {
  return host.setTimeout(fn, ms);
}

/** Cancels a timer from after(); undefined is ignored. */
export function cancel(t: Timer | undefined): void {
  if (t !== undefined) host.clearTimeout(t);
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => after(ms, r));
}

/** WebCrypto's subtle interface (browsers, and Node 20's globalThis.crypto). */
export function subtle(): Subtle {
  const c = host.crypto;
  if (c?.subtle === undefined) throw new Error("WebCrypto (globalThis.crypto.subtle) is missing");
  return c.subtle;
}

/** `n` cryptographically random bytes. */
export function randomBytes(n: number): Uint8Array {
  return host.crypto.getRandomValues(new Uint8Array(n));
}

const encoder = new host.TextEncoder();
const decoder = new host.TextDecoder("utf-8", { fatal: false });

/** UTF-8 encoding of a string. */
export function utf8(s: string): Uint8Array {
  return encoder.encode(s);
}

/** UTF-8 decoding (invalid sequences become U+FFFD). */
export function fromUtf8(b: Uint8Array): string {
  return decoder.decode(b);
}

const ID_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/** A random id of 16 alphanumeric characters (about 95 bits). */
export function randomId(): string {
  let s = "";
  for (const b of randomBytes(16)) s += ID_CHARS[b % 62];
  return s;
}
