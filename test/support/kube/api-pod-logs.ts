import type { ServerResponse } from 'node:http';
import type { ClusterState, KubeObject } from './cluster-state.js';
import { ApiError } from './api-status.js';

export interface PodLogOptions {
  readonly container?: string;
  readonly tailLines?: number;
  readonly previous?: boolean;
}

/** Where a pod's log lines come from: the stand-in's kubelet (controllers/, helper B) or a test's stub. */
export interface PodLogSource {
  podLogs(namespace: string, pod: string, options: PodLogOptions): string[];
  /** Lines written from now on, ending when the container stops or `signal` aborts; without it, `follow` polls podLogs. */
  followPodLogs?(namespace: string, pod: string, options: PodLogOptions, signal?: AbortSignal): AsyncIterable<string>;
}

const POLL_MS = 100;

function readOptions(query: URLSearchParams): PodLogOptions {
  const tail = query.get('tailLines');
  if (tail !== null && !/^\d+$/.test(tail)) throw new ApiError('BadRequest', `tailLines "${tail}" is not a non-negative integer`);
  const container = query.get('container');
  return { ...(container ? { container } : {}), ...(tail !== null ? { tailLines: Number(tail) } : {}), ...(query.get('previous') === 'true' ? { previous: true } : {}) };
}

/** The real server's 400s: a container the pod does not have, or none named in a pod of several. */
function checkContainer(pod: KubeObject, name: string, container: string | undefined): void {
  const spec = (pod.spec ?? {}) as { containers?: Array<{ name?: string }>; initContainers?: Array<{ name?: string }> };
  const names = (spec.containers ?? []).map((c) => c.name ?? '');
  const all = [...names, ...(spec.initContainers ?? []).map((c) => c.name ?? '')];
  if (container !== undefined && !all.includes(container)) throw new ApiError('BadRequest', `container ${container} is not valid for pod ${name}`);
  if (container === undefined && names.length > 1) throw new ApiError('BadRequest', `a container name must be specified for pod ${name}, choose one of: [${names.join(' ')}]`);
}

/**
 * GET pods/{name}/log: text/plain lines; with follow=true the response stays open and carries new
 * lines until the pod is deleted, the client goes, or the server stops (the returned function).
 */
export function servePodLogs(state: ClusterState, source: PodLogSource, namespace: string, pod: string, query: URLSearchParams, res: ServerResponse, onEnd: () => void): () => void {
  const found = state.get('pods', namespace, pod);
  if (!found) throw new ApiError('NotFound', `pods "${pod}" not found`, { name: pod, kind: 'pods' });
  const options = readOptions(query);
  checkContainer(found, pod, options.container);
  const lines = source.podLogs(namespace, pod, options);
  res.writeHead(200, { 'content-type': 'text/plain' });
  res.flushHeaders();
  const write = (line: string): void => {
    res.write(line.endsWith('\n') ? line : `${line}\n`);
  };
  lines.forEach(write);
  if (query.get('follow') !== 'true') {
    res.end();
    onEnd();
    return () => undefined;
  }
  let ended = false;
  let timer: NodeJS.Timeout | undefined;
  const abort = new AbortController();
  const end = (): void => {
    if (ended) return;
    ended = true;
    abort.abort();
    unsubscribe();
    clearInterval(timer);
    res.end();
    onEnd();
  };
  const unsubscribe = state.subscribe((change) => {
    if (change.type === 'DELETED' && change.resource === 'pods' && change.object.metadata.namespace === namespace && change.object.metadata.name === pod) end();
  });
  res.on('close', end);
  const { tailLines: _t, previous: _p, ...followOptions } = options;
  if (source.followPodLogs) {
    void (async () => {
      for await (const line of source.followPodLogs!(namespace, pod, followOptions, abort.signal)) {
        if (ended) break;
        write(line);
      }
      end();
    })().catch(end);
  } else {
    let seen = source.podLogs(namespace, pod, followOptions).length;
    timer = setInterval(() => {
      const all = source.podLogs(namespace, pod, followOptions);
      all.slice(seen).forEach(write);
      seen = all.length;
    }, POLL_MS);
  }
  return end;
}
