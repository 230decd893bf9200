import { useCallback, useEffect, useState } from 'react';
import { forgetToken, savedToken, saveToken, whoami } from './api/client';
import type { Whoami } from './api/types';
import { Problem } from './components/bits';
import { SessionProvider, useSession } from './live/session';
import { ApprovalsPage } from './pages/approvals';
import { AuditPage } from './pages/audit';
import { BackupPage, BackupsPage } from './pages/backups';
import { DoraPage } from './pages/dora';
import { EnvironmentsPage } from './pages/environments';
import { RollbackPage } from './pages/rollback';
import { RunPage } from './pages/run';
import { RunsPage } from './pages/runs';
import { SignIn } from './pages/sign-in';
import { useRoute, type Route } from './route';

const NAV: readonly { readonly hash: string; readonly label: string; readonly pages: readonly Route['page'][] }[] = [
  { hash: '#/', label: 'Environments', pages: ['environments'] },
  { hash: '#/runs', label: 'Runs', pages: ['runs', 'run'] },
  { hash: '#/approvals', label: 'Approvals', pages: ['approvals'] },
  { hash: '#/rollback', label: 'Rollback', pages: ['rollback'] },
  { hash: '#/backups', label: 'Backups', pages: ['backups', 'backup'] },
  { hash: '#/dora', label: 'DORA', pages: ['dora'] },
  { hash: '#/audit', label: 'Audit', pages: ['audit'] },
];

function Page({ route }: { route: Route }) {
  switch (route.page) {
    case 'environments':
      return <EnvironmentsPage />;
    case 'runs':
      return <RunsPage query={route.query} />;
    case 'run':
      return <RunPage key={route.id} id={route.id} />;
    case 'approvals':
      return <ApprovalsPage />;
    case 'rollback':
      return <RollbackPage key={route.environment ?? ''} environment={route.environment} />;
    case 'backups':
      return <BackupsPage />;
    case 'backup':
      return <BackupPage key={route.id} id={route.id} />;
    case 'dora':
      return <DoraPage />;
    case 'audit':
      return <AuditPage />;
    case 'not-found':
      return <Problem problem={{ code: 'NOT_FOUND', message: `no page "${route.path}"`, hint: 'Pick a page from the menu.' }} />;
  }
}

function Shell() {
  const route = useRoute();
  const { me, live, signOut } = useSession();
  useEffect(() => {
    const label = NAV.find((n) => n.pages.includes(route.page))?.label;
    document.title = label ? `${label} · Gantry` : 'Gantry';
  }, [route.page]);
  return (
    <>
      <a className="skip" href="#main" onClick={(e) => (e.preventDefault(), document.getElementById('main')?.focus())}>
        Skip to content
      </a>
      <header className="top">
        <a className="brand" href="#/">
          Gantry
        </a>
        <nav aria-label="Pages">
          {NAV.map((n) => (
            <a key={n.hash} href={n.hash} aria-current={n.pages.includes(route.page) ? 'page' : undefined}>
              {n.label}
            </a>
          ))}
        </nav>
        <div className="who">
          <span className={live ? 'live on' : 'live'} title={live ? 'Live updates connected' : 'Live updates reconnecting'}>
            {live ? 'live' : 'offline'}
          </span>
          <span className="user" title={me.roles.join(', ')}>
            {me.user}
          </span>
          <button type="button" className="link" onClick={signOut}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        <Page route={route} />
      </main>
    </>
  );
}

export function App() {
  const [session, setSession] = useState<{ token: string; me: Whoami } | null>(null);
  const [checking, setChecking] = useState(() => savedToken() !== null);
  useEffect(() => {
    const token = savedToken();
    if (!token) return;
    whoami(token)
      .then((me) => setSession({ token, me }))
      .catch(() => forgetToken())
      .finally(() => setChecking(false));
  }, []);
  const signOut = useCallback(() => {
    forgetToken();
    setSession(null);
  }, []);
  const signIn = useCallback((token: string, me: Whoami) => {
    saveToken(token);
    setSession({ token, me });
  }, []);
  if (checking) return <p className="muted center">Signing in…</p>;
  if (!session) return <SignIn onSignIn={signIn} />;
  return (
    <SessionProvider token={session.token} me={session.me} onSignOut={signOut}>
      <Shell />
    </SessionProvider>
  );
}
