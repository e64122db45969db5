// The console: sign-in until the server knows our session, then a navigation bar and one view
// per hash route (#/users, #/sessions...). A 401 anywhere returns to the sign-in, saying why.
import type { FunctionComponent } from "preact";
import { useEffect, useState } from "preact/hooks";
import { api, csrf, whenSignedOut } from "./api.js";
import { type Session, SignIn } from "./sign-in.js";
import { AuditView } from "./views/audit.js";
import { MetricsView } from "./views/metrics.js";
import { PolicyView } from "./views/policy.js";
import { QuarantineView } from "./views/quarantine.js";
import { SessionsView } from "./views/sessions.js";
import { TokensView } from "./views/tokens.js";
import { UsersView } from "./views/users.js";

interface Route {
  path: string;
  title: string;
  view: FunctionComponent<{ me: string }>;
}

/** The views, in the order of the navigation. */
export const ROUTES: readonly Route[] = [
  { path: "users", title: "Users", view: UsersView },
  { path: "sessions", title: "Sessions", view: SessionsView },
  { path: "policy", title: "Policy", view: PolicyView },
  { path: "audit", title: "Audit log", view: AuditView },
  { path: "quarantine", title: "Quarantine", view: QuarantineView },
  { path: "metrics", title: "Metrics", view: MetricsView },
  { path: "tokens", title: "API tokens", view: TokensView },
];

const routeOf = (hash: string): Route => ROUTES.find((r) => `#/${r.path}` === hash) ?? ROUTES[0]!;

/** The whole console. */
export function App() {
  // undefined: not known yet (asking the server); null: signed out.
  const [session, setSession] = useState<Session | null | undefined>(undefined);
  const [notice, setNotice] = useState("");
  const [route, setRoute] = useState(() => routeOf(location.hash));

  useEffect(() => {
    whenSignedOut((reason) => {
      csrf.clear();
      setSession(null);
      setNotice(`Your admin session has ended (${reason}). Sign in again.`);
    });
    const onHash = () => setRoute(routeOf(location.hash));
    addEventListener("hashchange", onHash);
    // A reload keeps the tab's CSRF token: ask whether the cookie's session still lives.
    if (csrf.get() === "") setSession(null);
    else
      api<Session>("GET", "session").then(setSession, () => {
        setSession((s) => (s === undefined ? null : s));
      });
    return () => removeEventListener("hashchange", onHash);
  }, []);

  useEffect(() => {
    document.title = session ? `${route.title} · Hato admin` : "Sign in · Hato admin";
  }, [route, session]);

  if (session === undefined) return <p class="loading">Loading…</p>;
  if (session === null)
    return (
      <SignIn
        notice={notice}
        onSignedIn={(s) => {
          setNotice("");
          setSession(s);
        }}
      />
    );

  async function signOut(): Promise<void> {
    await api("POST", "logout").catch(() => undefined);
    csrf.clear();
    setNotice("You signed out.");
    setSession(null);
  }

  const View = route.view;
  return (
    <>
      <header class="top">
        <span class="brand">Hato admin</span>
        <nav aria-label="Console">
          <ul>
            {ROUTES.map((r) => (
              <li key={r.path}>
                <a href={`#/${r.path}`} aria-current={r === route ? "page" : undefined}>
                  {r.title}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <span class="me">{session.user}</span>
        <button type="button" class="secondary" onClick={signOut}>
          Sign out
        </button>
      </header>
      <main>
        <h1>{route.title}</h1>
        <View key={route.path} me={session.user} />
      </main>
    </>
  );
}
