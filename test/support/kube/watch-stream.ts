import type { ServerResponse } from 'node:http';
import { GoneError, RESOURCES, type ClusterState, type Change, type KubeObject, type Resource } from './cluster-state.js';
import { failureStatus } from './api-status.js';
import type { Selector } from './api-selectors.js';

export interface WatchRequest {
  readonly resource: Resource;
  /** undefined: every namespace. */
  readonly namespace: string | undefined;
  readonly selectors: readonly Selector[];
  /** The client's resourceVersion; null, '' or '0' start with the current objects as ADDED. */
  readonly resourceVersion: string | null;
  readonly bookmarks: boolean;
  readonly bookmarkIntervalMs: number;
  readonly timeoutSeconds: number;
}

/**
 * A watch as the real server streams it: newline-delimited JSON events on a chunked 200 response.
 * From resourceVersion N it replays the kept changes after N then follows live ones; from a version
 * older than the kept history it sends one ERROR event (Status 410 Expired) and ends, so the client
 * lists again. BOOKMARKs carry the current resourceVersion so a resumed watch starts near the head.
 * Returns the function that ends the stream (the server calls it on stop()).
 */
export function startWatch(state: ClusterState, request: WatchRequest, res: ServerResponse, onEnd: () => void): () => void {
  const info = RESOURCES[request.resource];
  const matches = (object: KubeObject): boolean =>
    (request.namespace === undefined || object.metadata.namespace === request.namespace) && request.selectors.every((s) => s(object));
  const send = (type: string, object: unknown): void => {
    res.write(`${JSON.stringify({ type, object })}\n`);
  };
  res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked', 'cache-control': 'no-cache' });
  // Headers now, not with the first event: a client's watch() resolves on them, and a quiet collection may send nothing for long.
  res.flushHeaders();
  let ended = false;
  const pending: Change[] = [];
  let replaying = true;
  // Objects this stream last reported as matching: a MODIFIED that makes an object match is sent as
  // ADDED, one that makes it stop matching as DELETED (the real server compares with the previous
  // object; here the stream remembers what it sent, seeded from the current objects).
  const key = (o: KubeObject): string => `${o.metadata.namespace ?? ''}/${o.metadata.name}`;
  const known = new Set(state.list(request.resource, request.namespace).filter(matches).map(key));
  const forward = (change: Change): void => {
    if (change.resource !== request.resource) return;
    const id = key(change.object);
    const was = known.has(id);
    const now = change.type !== 'DELETED' && matches(change.object);
    if (now) known.add(id);
    else known.delete(id);
    if (change.type === 'MODIFIED' && was !== now) send(now ? 'ADDED' : 'DELETED', change.object);
    else if (now || (change.type === 'DELETED' && (was || matches(change.object)))) send(change.type, change.object);
  };
  const unsubscribe = state.subscribe((change) => (replaying ? pending.push(change) : forward(change)));
  const end = (): void => {
    if (ended) return;
    ended = true;
    unsubscribe();
    clearInterval(bookmarkTimer);
    clearTimeout(timeout);
    res.end();
    onEnd();
  };
  const bookmarkTimer = setInterval(() => {
    if (request.bookmarks) send('BOOKMARK', { kind: info.kind, apiVersion: info.apiVersion, metadata: { resourceVersion: String(state.resourceVersion) } });
  }, request.bookmarkIntervalMs);
  const timeout = setTimeout(end, request.timeoutSeconds * 1000);
  res.on('close', end);

  let from = state.resourceVersion;
  const rv = request.resourceVersion;
  if (rv === null || rv === '' || rv === '0') {
    for (const object of state.list(request.resource, request.namespace)) if (matches(object)) send('ADDED', object);
  } else {
    const since = Number(rv);
    try {
      if (!Number.isInteger(since) || since < 0) throw new GoneError(`invalid resource version: ${rv}`);
      const replay = state.changesSince(since);
      for (const change of replay) forward(change);
      from = Math.max(since, ...replay.map((c) => c.version));
    } catch (error: unknown) {
      if (!(error instanceof GoneError)) throw error;
      send('ERROR', failureStatus('Expired', `too old resource version: ${rv} (${error.message})`));
      end();
      return end;
    }
  }
  replaying = false;
  for (const change of pending) if (change.version > from) forward(change);
  return end;
}
