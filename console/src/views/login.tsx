import { useEffect, useState } from "preact/hooks";
import { api } from "../api.ts";
import { ErrorBox } from "../ui.tsx";

/** Password login (the session cookie is set by the API's answer) and, when configured, OpenID Connect. */
export function LoginView(props: { onLoggedIn: () => void; notice?: string | undefined }) {
  const [user, setUser] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [oidc, setOidc] = useState(false);
  useEffect(() => {
    api.authMethods().then(
      (m) => setOidc(m.oidc),
      () => setOidc(false),
    );
  }, []);
  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await api.login(user, password);
      setPassword("");
      props.onLoggedIn();
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  };
  return (
    <main id="main" class="login">
      <h1>Rampart</h1>
      {props.notice && (
        <p class="warn" role="status" data-testid="session-ended">
          {props.notice}
        </p>
      )}
      <form onSubmit={submit} aria-label="Log in">
        <label>
          User
          <input name="user" autoComplete="username" required value={user} onInput={(e) => setUser(e.currentTarget.value)} />
        </label>
        <label>
          Password
          <input
            name="password"
            type="password"
            autoComplete="current-password"
            required
            value={password}
            onInput={(e) => setPassword(e.currentTarget.value)}
          />
        </label>
        <button type="submit" class="primary" disabled={busy}>
          {busy ? "Logging in…" : "Log in"}
        </button>
        <ErrorBox error={error} />
      </form>
      {oidc && (
        <p>
          <a class="button" href="/api/v1/auth/oidc/start">
            Log in with single sign-on (OpenID Connect)
          </a>
        </p>
      )}
      <p class="muted small">
        No account yet? An admin adds one: <code>rampart user add NAME --password-stdin</code> then{" "}
        <code>rampart role grant NAME developer --env staging</code>.
      </p>
    </main>
  );
}
