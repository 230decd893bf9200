import { RESOURCES, type Resource } from './cluster-state.js';

/** Discovery as the real server answers it, listing only what the stand-in serves (clients resolve kinds with it). */
const VERBS = ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'];
const SUBRESOURCES: Record<string, Array<{ name: string; kind: string; verbs: string[]; group?: string; version?: string }>> = {
  deployments: [
    { name: 'scale', kind: 'Scale', verbs: ['get', 'patch', 'update'], group: 'autoscaling', version: 'v1' },
    { name: 'status', kind: 'Deployment', verbs: ['get', 'patch', 'update'] },
  ],
  replicasets: [{ name: 'status', kind: 'ReplicaSet', verbs: ['get', 'patch', 'update'] }],
  pods: [
    { name: 'log', kind: 'Pod', verbs: ['get'] },
    { name: 'status', kind: 'Pod', verbs: ['get', 'patch', 'update'] },
  ],
  services: [{ name: 'status', kind: 'Service', verbs: ['get', 'patch', 'update'] }],
  namespaces: [{ name: 'status', kind: 'Namespace', verbs: ['get', 'patch', 'update'] }],
};

export const VERSION_INFO = {
  major: '1',
  minor: '31',
  gitVersion: 'v1.31.0-gantry-standin',
  gitCommit: '0000000000000000000000000000000000000000',
  gitTreeState: 'clean',
  buildDate: '2026-01-01T00:00:00Z',
  goVersion: 'go1.22.0',
  compiler: 'gc',
  platform: 'linux/amd64',
};

export function apiVersions(serverAddress: string): unknown {
  return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }] };
}

export function apiGroupList(): unknown {
  const version = { groupVersion: 'apps/v1', version: 'v1' };
  return { kind: 'APIGroupList', apiVersion: 'v1', groups: [{ name: 'apps', versions: [version], preferredVersion: version }] };
}

export function apiResourceList(groupVersion: 'v1' | 'apps/v1'): unknown {
  const resources: unknown[] = [];
  for (const [name, info] of Object.entries(RESOURCES) as Array<[Resource, (typeof RESOURCES)[Resource]]>) {
    if (info.apiVersion !== groupVersion) continue;
    resources.push({ name, singularName: info.kind.toLowerCase(), namespaced: info.namespaced, kind: info.kind, verbs: VERBS });
    for (const sub of SUBRESOURCES[name] ?? []) {
      resources.push({ name: `${name}/${sub.name}`, singularName: '', namespaced: info.namespaced, kind: sub.kind, verbs: sub.verbs, ...(sub.group ? { group: sub.group, version: sub.version } : {}) });
    }
  }
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion, resources };
}
