import { useState, type FormEvent } from 'react';
import { ApiError, whoami } from '../api/client';
import type { ApiProblem, Whoami } from '../api/types';
import { Problem } from '../components/bits';

/** Sign-in with an API token (`gantry token create`; the first admin token is in the data dir). */
export function SignIn({ onSignIn }: { onSignIn: (token: string, me: Whoami) => void }) {
  const [token, setToken] = useState('');
  const [problem, setProblem] = useState<ApiProblem>();
  const [busy, setBusy] = useState(false);
  const submit = (e: FormEvent): void => {
    e.preventDefault();
    setBusy(true);
    whoami(token.trim())
      .then((me) => onSignIn(token.trim(), me))
      .catch((err: unknown) => setProblem(err instanceof ApiError ? err.problem : { code: 'NETWORK', message: 'the server did not answer', hint: 'Is `gantry server` running?' }))
      .finally(() => setBusy(false));
  };
  return (
    <main className="sign-in">
      <form onSubmit={submit} aria-labelledby="sign-in-title">
        <h1 id="sign-in-title">Gantry</h1>
        <label htmlFor="token">API token</label>
        <input id="token" type="password" autoComplete="off" autoFocus value={token} onChange={(e) => setToken(e.target.value)} placeholder="gty_…" required />
        <p className="hint">
          Create one with <code>gantry token create --user NAME --role viewer</code>. The first admin token is in the server's data folder (<code>admin.token</code>).
        </p>
        <button type="submit" disabled={busy || token.trim() === ''}>
          {busy ? 'Checking…' : 'Sign in'}
        </button>
        <Problem problem={problem} title="Not signed in" />
      </form>
    </main>
  );
}
