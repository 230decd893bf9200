import { useCallback, useEffect, useRef, useState } from 'react';
import { ApiError } from '../api/client';
import type { ApiProblem } from '../api/types';
import { useSession, type Change } from './session';
import { throttled } from './throttle';

export interface Resource<T> {
  readonly data: T | undefined;
  readonly error: ApiProblem | undefined;
  reload(): void;
}

const problemOf = (e: unknown): ApiProblem => (e instanceof ApiError ? e.problem : { code: 'NETWORK', message: e instanceof Error ? e.message : String(e), hint: 'Is the Gantry server running?' });

/**
 * Reads one API path and reads it again when a live change concerns it (`when`, at most once a
 * second), or every
 * `pollMs` for what the server cannot announce (an agent's weights during a switch). The last
 * data stays on screen while a new read is under way, so pages update without flicker.
 */
export function useResource<T>(path: string | null, options: { when?: (c: Change) => boolean; pollMs?: number } = {}): Resource<T> {
  const { api, subscribe } = useSession();
  const [data, setData] = useState<T>();
  const [error, setError] = useState<ApiProblem>();
  const [version, setVersion] = useState(0);
  const when = useRef(options.when);
  useEffect(() => {
    when.current = options.when;
  });
  const reload = useCallback(() => setVersion((v) => v + 1), []);

  useEffect(() => {
    if (path === null) return;
    const stop = new AbortController();
    api
      .get<T>(path, stop.signal)
      .then((d) => {
        setData(d);
        setError(undefined);
      })
      .catch((e: unknown) => {
        if (!stop.signal.aborted) setError(problemOf(e));
      });
    return () => stop.abort();
  }, [api, path, version]);

  useEffect(() => {
    const later = throttled(reload);
    const off = subscribe((changes) => {
      if (when.current && changes.some((c) => c.state === 'reconnected' || when.current?.(c))) later.call();
    });
    return () => {
      off();
      later.cancel();
    };
  }, [subscribe, reload]);

  useEffect(() => {
    if (!options.pollMs) return;
    const interval = setInterval(reload, options.pollMs);
    return () => clearInterval(interval);
  }, [options.pollMs, reload]);

  return { data, error, reload };
}

export { problemOf };
