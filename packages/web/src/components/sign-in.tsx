// The sign-in form: "Address", "Password", "Sign in"; failures shown in an alert.
import { useState } from "preact/hooks";

const REMEMBER = "hato.address";

interface Props {
  onSignIn: (jid: string, password: string) => Promise<void>;
}

/** Turns what connect() rejected with into a sentence for the user. */
function describe(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  if (/not-authorized|auth/i.test(text)) return "Sign-in failed: wrong address or password.";
  return `Sign-in failed: ${text}`;
}

/** The sign-in page. */
export function SignIn({ onSignIn }: Props) {
  const [address, setAddress] = useState(() => localStorage.getItem(REMEMBER) ?? "");
  const [password, setPassword] = useState("");
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);

  async function submit(e: Event): Promise<void> {
    e.preventDefault();
    const jid = address.trim();
    if (!/^[^@\s/]+@[^@\s/]+$/.test(jid)) {
      setError("Enter your address as name@domain.");
      return;
    }
    setBusy(true);
    setError("");
    try {
      await onSignIn(jid, password);
      localStorage.setItem(REMEMBER, jid);
    } catch (err) {
      setError(describe(err));
      setBusy(false);
    }
  }

  return (
    <main class="sign-in">
      <h1>Hato</h1>
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
        <div role="alert" class="error">
          {error}
        </div>
        <button type="submit" disabled={busy}>
          Sign in
        </button>
      </form>
    </main>
  );
}
