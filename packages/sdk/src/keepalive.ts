// Noticing a dead network: a WebSocket over a silent path (a phone in a tunnel) never closes.

import { after, type Timer } from "./platform.js";
import type { Transport } from "./transport.js";

/**
 * Each `period` of silence on `t`, asks the server for a sign of life (XEP-0198 <r/> or a
 * XEP-0199 ping); a second silent period aborts the transport, which starts a reconnection.
 * Returns the first timer; later ones are reported through `h.timer` so they can be cancelled.
 */
export function keepalive(
  t: Transport,
  period: number,
  h: { current(): boolean; ask(): void; timer(t: Timer): void },
): Timer {
  let seen = t.received;
  let asked = false;
  const tick = () => {
    if (!h.current()) return;
    if (t.received !== seen) {
      seen = t.received;
      asked = false;
    } else if (asked) {
      t.abort("the server stopped answering");
      return;
    } else {
      asked = true;
      h.ask();
    }
    h.timer(after(period, tick));
  };
  return after(period, tick);
}
