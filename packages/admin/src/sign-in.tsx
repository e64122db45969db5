// The console's sign-in: always asks the password (a chat login does not open the console).
import { useState } from "preact/hooks";
import { ApiError, api, csrf, describe } from "./api.js";
import { ErrorText, Status } from "./ui.js";

export interface Session {
  user: string;
  expiresAt?: string | number;
}

/** Turns a refused sign-in into a sentence. */
function refusal(err: unknown): string {
  if (!(err instanceof ApiError)) return describe(err);
  if (err.status === 401) return "Sign-in failed: wrong address or password.";
  if (err.status === 403) return `Sign-in refused: ${err.message}.`;
  if (err.status === 429) return `Too many attempts: ${err.message}. Wait and try again.`;
  return describe(err);
}

/** The sign-in page; `notice` says why the admin is here again (an expired session). */
export function SignIn(props: { notice: string; onSignedIn: (s: Session) => void }) {
  const [address, setAddress] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);

  async function submit(e: Event): Promise<void> {
    e.preventDefault();
    setBusy(true);
    setError("");
    try {
      const r = await api<{ user: string; csrf: string; expiresAt?: string }>("POST", "login", {
        address: address.trim(),
        password,
      });
      csrf.set(r.csrf);
      props.onSignedIn({ user: r.user, expiresAt: r.expiresAt });
    } catch (err) {
      setError(refusal(err));
      setBusy(false);
    }
  }

  return (
    <main class="sign-in">
      <h1>Hato admin</h1>
      <Status>{props.notice}</Status>
      <form onSubmit={submit} aria-busy={busy}>
        <label for="address">Address</label>
        <input
          id="address"
          type="text"
          inputMode="email"
          autocapitalize="off"
          spellcheck={false}
          autocomplete="username"
          required
          value={address}
          onInput={(e) => setAddress(e.currentTarget.value)}
        />
        <label for="password">Password</label>
        <input
          id="password"
          type="password"
          autocomplete="current-password"
          required
          value={password}
          onInput={(e) => setPassword(e.currentTarget.value)}
        />
        <ErrorText>{error}</ErrorText>
        <button type="submit" disabled={busy}>
          Sign in
        </button>
      </form>
    </main>
  );
}
