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

export interface LiveOptions {
  /** Which announced changes concern the caller; without it, none do. */
  readonly when?: (c: Change) => boolean;
  /** Also re-read this often, for what the server cannot announce (an agent's weights during a switch). */
  readonly pollMs?: number;
}

/**
 * A number that goes up whenever the caller should read again: on a live change it cares about
 * (at most once a second), on a reconnect, every `pollMs`, or on `reload()`.
 */
export function useLiveVersion(options: LiveOptions): { version: number; reload: () => void } {
  const { subscribe } = useSession();
  const [version, setVersion] = useState(0);
  const when = useRef(options.when);
  useEffect(() => {
    when.current = options.when;
  });
  const reload = useCallback(() => setVersion((v) => v + 1), []);

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

  return { version, reload };
}

/**
 * Reads one API path and reads it again as `useLiveVersion` says. The last data stays on screen
 * while a new read is under way, so pages update without flicker.
 */
export function useResource<T>(path: string | null, options: LiveOptions = {}): Resource<T> {
  const { api } = useSession();
  const [data, setData] = useState<T>();
  const [error, setError] = useState<ApiProblem>();
  const { version, reload } = useLiveVersion(options);

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

  return { data, error, reload };
}

export { problemOf };
