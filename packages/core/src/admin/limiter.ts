// A login limiter for the console's sign-in, used only when the server has no shared one
// (`server.logins`): so many attempts a minute per address, from the policy's base rule
// `rate-limits.logins-per-minute-per-address` (10 when unset).

import { WindowCounter } from "../limits.js";
import type { LoginLimiterLike } from "./services.js";

export const DEFAULT_LOGINS_PER_MINUTE = 10;

export class ConsoleLoginLimiter implements LoginLimiterLike {
  private readonly counter = new WindowCounter(60_000, 10_000);

  constructor(private readonly perMinute: () => number | undefined) {}

  take(address: string): { ok: true } | { ok: false; retryAfterSeconds: number } {
    const limit = this.perMinute() ?? DEFAULT_LOGINS_PER_MINUTE;
    if (this.counter.add(address) <= limit) return { ok: true };
    return {
      ok: false,
      retryAfterSeconds: Math.max(1, Math.ceil(this.counter.resetIn(address) / 1000)),
    };
  }
}
