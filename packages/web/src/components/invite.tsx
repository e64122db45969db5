// The invite page (XEP-0401 landing page at /invite#TOKEN): choose a name and a password,
// the account is made with the invite (XEP-0077 + XEP-0445 over the WebSocket), then signed in.
import { RegistrationError, registerAccount } from "@hato/sdk";
import { useState } from "preact/hooks";

interface Props {
  token: string;
  /** The XMPP domain the invite is for. */
  domain: string;
  service: string;
  /** Signs the new account in (the same path as the sign-in form). */
  onRegistered: (jid: string, password: string) => Promise<void>;
  /** Leaves the invite page for the sign-in form. */
  onCancel: () => void;
}

/** What the server's refusal means for the invitee. */
function describe(err: unknown): string {
  if (err instanceof RegistrationError) {
    const text = err.text ? `${err.text[0]!.toUpperCase()}${err.text.slice(1)}.` : "";
    if (err.condition === "conflict") return text || "That username is taken; choose another one.";
    if (err.condition === "item-not-found") return `This invite cannot be used. ${text}`.trim();
    return text || `The server refused: ${err.condition}.`;
  }
  return `Could not create the account: ${err instanceof Error ? err.message : String(err)}`;
}

/** The invite form. */
export function InvitePage({ token, domain, service, onRegistered, onCancel }: Props) {
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [repeat, setRepeat] = useState("");
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);

  async function submit(e: Event): Promise<void> {
    e.preventDefault();
    const name = username.trim();
    if (!/^[^@\s/"&'/:<>]{1,64}$/.test(name)) {
      setError("Choose a username without spaces or @ / : < > & ' \" characters.");
      return;
    }
    if (password !== repeat) {
      setError("The two passwords differ; type the same password twice.");
      return;
    }
    setBusy(true);
    setError("");
    try {
      const jid = await registerAccount({
        service,
        domain,
        username: name,
        password,
        preauth: token,
      });
      await onRegistered(jid, password);
    } catch (err) {
      setError(describe(err));
      setBusy(false);
    }
  }

  return (
    <main class="sign-in invite">
      <h1>Join {domain}</h1>
      <p>
        You were invited to an account on {domain}. Choose a username and a password; only you will
        know the password.
      </p>
      <form onSubmit={submit} aria-busy={busy}>
        <label for="username">Username</label>
        <input
          id="username"
          type="text"
          autocapitalize="off"
          spellcheck={false}
          autocomplete="username"
          aria-describedby="address-hint"
          maxLength={64}
          required
          value={username}
          onInput={(e) => setUsername(e.currentTarget.value)}
        />
        <span id="address-hint" class="hint">
          Your address will be {username.trim() || "name"}@{domain}
        </span>
        <label for="new-password">Password</label>
        <input
          id="new-password"
          type="password"
          autocomplete="new-password"
          maxLength={1024}
          required
          value={password}
          onInput={(e) => setPassword(e.currentTarget.value)}
        />
        <label for="repeat-password">Repeat password</label>
        <input
          id="repeat-password"
          type="password"
          autocomplete="new-password"
          maxLength={1024}
          required
          value={repeat}
          onInput={(e) => setRepeat(e.currentTarget.value)}
        />
        <div role="alert" class="error">
          {error}
        </div>
        <button type="submit" disabled={busy}>
          Create account
        </button>
      </form>
      <p class="alternatives">
        <a href={`xmpp:${domain}?register;preauth=${token}`}>Use the invite in an XMPP app</a>
        <button type="button" class="link" onClick={onCancel}>
          I already have an account
        </button>
      </p>
    </main>
  );
}
