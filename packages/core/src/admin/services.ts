// Services other parts of the server may provide (metrics), seen here by their shape only:
// the admin API answers 503 with a reason while a server has none.

export interface MetricsService {
  text(): Promise<string>;
  history(): unknown;
}

/** What the admin API looks for on the server, when present. */
export interface OptionalServices {
  metrics?: MetricsService;
}

/** The login limiter (`server.logins` when the server has one). */
export interface LoginLimiterLike {
  take(address: string): { ok: true } | { ok: false; retryAfterSeconds: number };
}
