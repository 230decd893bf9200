import { createContext, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { createApi, type Api } from '../api/client';
import { follow } from '../api/sse';
import type { Whoami } from '../api/types';

/** One change the server announced: a run or one of its steps moved. */
export interface Change {
  readonly type: 'run' | 'step';
  readonly runId: number;
  readonly state: string;
}

type Listener = (changes: readonly Change[]) => void;

export interface Session {
  readonly api: Api;
  readonly me: Whoami;
  /** Whether the live stream is connected (shown in the header). */
  readonly live: boolean;
  subscribe(listener: Listener): () => void;
  signOut(): void;
}

const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside <SessionProvider>');
  return session;
}

/**
 * Holds the signed-in user's API client and the one live stream of changes every page listens to.
 * A reconnect to the same server resumes the stream (the changes missed meanwhile are sent again);
 * when it cannot (another server, or too long away: `ready` says `resumed: false`), it counts as a
 * change of everything.
 */
export function SessionProvider(props: { token: string; me: Whoami; onSignOut: () => void; children: ReactNode }) {
  const { token, me, onSignOut, children } = props;
  const listeners = useRef(new Set<Listener>());
  const [live, setLive] = useState(false);
  const api = useMemo(() => createApi(token, onSignOut), [token, onSignOut]);
  useEffect(() => {
    const stop = new AbortController();
    const publish = (changes: readonly Change[]): void => listeners.current.forEach((l) => l(changes));
    void follow(
      api,
      'api/v1/stream',
      stop.signal,
      (e) => {
        if (e.event === 'changes') publish((e.data as { changes: Change[] }).changes);
        if (e.event === 'ready' && !(e.data as { resumed?: boolean }).resumed) publish([{ type: 'run', runId: 0, state: 'reconnected' }]);
      },
      () => setLive(true),
    )
      // A refused stream (the token revoked) signs out through the API client; nothing else to do here.
      .catch(() => undefined)
      .finally(() => setLive(false));
    return () => stop.abort();
  }, [api]);
  const session = useMemo<Session>(
    () => ({
      api,
      me,
      live,
      subscribe(listener) {
        listeners.current.add(listener);
        return () => listeners.current.delete(listener);
      },
      signOut: onSignOut,
    }),
    [api, me, live, onSignOut],
  );
  return <SessionContext.Provider value={session}>{children}</SessionContext.Provider>;
}
