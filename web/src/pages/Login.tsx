// Log in with a username and password: the server sets the session cookie and returns the
// CSRF token that writes must carry.
import { useState } from "preact/hooks";
import { api, setCsrf } from "../lib/api";
import { navigate } from "../lib/router";

export function Login({ next, onLogin }: { next: string; onLogin: () => void }) {
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const reply = await api<{ csrf_token: string }>("/auth/login", { method: "POST", body: { username, password } });
      setCsrf(reply.csrf_token);
      onLogin();
      navigate(next.startsWith("/") && !next.startsWith("//") ? next : "/", true);
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="login" onSubmit={submit}>
      <h2>Log in to Tracklet</h2>
      <label>
        Username
        <input name="username" autocomplete="username" required value={username} onInput={(e) => setUsername((e.target as HTMLInputElement).value)} />
      </label>
      <label>
        Password
        <input name="password" type="password" autocomplete="current-password" required value={password} onInput={(e) => setPassword((e.target as HTMLInputElement).value)} />
      </label>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <button type="submit" disabled={busy}>
        Log in
      </button>
      <p class="muted">No account? An admin creates one with <code>tracklet user create NAME</code>.</p>
    </form>
  );
}
