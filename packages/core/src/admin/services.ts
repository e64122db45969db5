// Services other parts of the server may provide (invites, metrics), seen here by their shape
// only: the admin API answers 503 with a reason while a server has none.

/** An invite link (never its token once made). */
export interface InviteView {
  id: string;
  by: string;
  createdAt: Date | string;
  expiresAt: Date | string;
  note?: string;
}

export interface InviteService {
  create(opts: {
    by: string;
    expiresInHours?: number;
    note?: string;
  }):
    | Promise<{ id: string; token: string; url: string; uri: string; expiresAt: Date | string }>
    | { id: string; token: string; url: string; uri: string; expiresAt: Date | string };
  list(): Promise<InviteView[]> | InviteView[];
  revoke(id: string): Promise<boolean> | boolean;
}

export interface MetricsService {
  text(): Promise<string>;
  history(): unknown;
}

/** What the admin API looks for on the server, when present. */
export interface OptionalServices {
  invites?: InviteService;
  metrics?: MetricsService;
}

/** The login limiter (`server.logins` when the server has one). */
export interface LoginLimiterLike {
  take(address: string): { ok: true } | { ok: false; retryAfterSeconds: number };
}
