// The admin API client: JSON over same-origin fetch, the session cookie sent by the browser, the
// CSRF token (from the login answer) kept in this tab's sessionStorage and sent on every change.

const CSRF_KEY = "hato.admin.csrf";

/** An answer of the API that was not 2xx, as `{"error","reason"}` says. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    reason: string,
    /** Extra fields of the error body (the policy's `errors`, say). */
    readonly body: Record<string, unknown> = {},
  ) {
    super(reason);
  }
}

type Listener = (reason: string) => void;
let onSignedOut: Listener = () => {};

/** Who is told when the server no longer knows our session (idle expiry, lock, demotion). */
export function whenSignedOut(listener: Listener): void {
  onSignedOut = listener;
}

export const csrf = {
  get: (): string => sessionStorage.getItem(CSRF_KEY) ?? "",
  set: (token: string): void => sessionStorage.setItem(CSRF_KEY, token),
  clear: (): void => sessionStorage.removeItem(CSRF_KEY),
};

/** Calls `/admin/api/<path>`; resolves with the JSON body (undefined for 204). */
export async function api<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { Accept: "application/json" };
  if (method !== "GET" && method !== "HEAD") headers["X-Hato-CSRF"] = csrf.get();
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let res: Response;
  try {
    res = await fetch(`/admin/api/${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "same-origin",
      cache: "no-store",
      redirect: "error",
    });
  } catch {
    throw new ApiError(0, "network", "the server could not be reached");
  }
  const data = res.status === 204 ? undefined : await res.json().catch(() => undefined);
  if (res.ok) return data as T;
  const err = (data ?? {}) as Record<string, unknown>;
  const reason = typeof err.reason === "string" ? err.reason : `HTTP ${res.status}`;
  const code = typeof err.error === "string" ? err.error : "http";
  // A lost session anywhere but the sign-in itself: back to the sign-in page, saying why.
  if (res.status === 401 && path !== "login") onSignedOut(reason);
  throw new ApiError(res.status, code, reason, err);
}

/** A sentence for an error shown to the admin. */
export function describe(err: unknown): string {
  if (err instanceof ApiError) {
    if (err.status === 404 && err.code === "not-found")
      return "This server does not offer this yet (the admin API answered 404).";
    return `${err.message} (${err.code}, HTTP ${err.status})`;
  }
  return err instanceof Error ? err.message : String(err);
}

/** URL-encodes one path segment. */
export const seg = encodeURIComponent;
