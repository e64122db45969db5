// The Signal library is loaded on first use, as its own chunk: the web client's first bundle
// stays small (and the library's WebAssembly curve is compiled only when OMEMO is on).

import type * as Signal from "./signal.js";

export type SignalModule = typeof Signal;

let loading: Promise<SignalModule> | undefined;

/** The Signal adapter module (libsignal-protocol-typescript and our storage adapter). */
export function loadSignal(): Promise<SignalModule> {
  loading ??= import("./signal.js");
  return loading;
}
