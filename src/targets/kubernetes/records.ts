import type { CoreV1Event } from '@kubernetes/client-node';
import yaml from 'yaml';
import { TargetError } from '../../errors/index.js';
import type { ManagedResources, TargetEvent } from '../target.js';
import { plainObject } from './kube-api.js';
import { LABEL, MANAGED_SELECTOR, ROLLOUT_REVISION } from './names.js';
import type { KubeContext } from './revision-objects.js';
import { validateManifest, type Manifest } from './validate.js';

const time = (e: CoreV1Event): string => {
  const at = e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp ?? e.metadata.creationTimestamp;
  return at === undefined ? '' : new Date(at as Date | string).toISOString();
};

/** The namespace's Events about the services' objects (Deployments, ReplicaSets and Pods are named after the service), newest last. */
export async function serviceEvents(c: KubeContext, services: readonly string[]): Promise<TargetEvent[]> {
  const about = (name: string): boolean => services.some((s) => name === s || name.startsWith(`${s}-`));
  return (await c.api.events(c.target.namespace))
    .filter((e) => about(e.involvedObject.name ?? ''))
    .map((e): TargetEvent => ({ at: time(e), type: e.type === 'Warning' ? 'Warning' : 'Normal', reason: e.reason ?? '', message: e.message ?? '', object: `${e.involvedObject.kind ?? ''}/${e.involvedObject.name ?? ''}`, count: e.count ?? 1 }))
    .sort((a, b) => a.at.localeCompare(b.at));
}

/** What the server keeps of an object and `kubectl apply -f` must not be given back. */
function applicable(object: Record<string, unknown>): Record<string, unknown> {
  const { status: _status, ...rest } = object;
  const metadata = { ...(rest.metadata as Record<string, unknown>) };
  for (const field of ['uid', 'resourceVersion', 'managedFields', 'creationTimestamp', 'generation', 'selfLink']) delete metadata[field];
  // The Deployment controller's own annotation: applying it would make Gantry its owner.
  const annotations = { ...(metadata.annotations as Record<string, string> | undefined) };
  delete annotations[ROLLOUT_REVISION];
  if (metadata.annotations !== undefined) metadata.annotations = annotations;
  const out: Record<string, unknown> = { ...rest, metadata };
  // A Service's cluster IPs are the cluster's to give: an object restored elsewhere gets its own.
  if (rest.kind === 'Service' && typeof rest.spec === 'object' && rest.spec !== null) {
    const { clusterIP: _ip, clusterIPs: _ips, ...spec } = rest.spec as Record<string, unknown>;
    out.spec = spec;
  }
  return out;
}

/**
 * Every object Gantry manages for the environment's services in the namespace: Deployments,
 * Services and ConfigMaps as YAML `kubectl apply -f` accepts; Secrets by name and version only, as
 * comment lines (their values never leave the cluster).
 */
export async function managedResources(c: KubeContext, environment: string, services: readonly string[]): Promise<ManagedResources> {
  const ns = c.target.namespace;
  const mine = (o: { metadata?: { labels?: Record<string, string> } }): boolean => services.some((s) => o.metadata?.labels?.[LABEL.instance] === `${s}-${environment}`);
  const [deployments, svcs, configMaps, secrets] = await Promise.all([c.api.deployments(ns, MANAGED_SELECTOR), c.api.services(ns, MANAGED_SELECTOR), c.api.configMaps(ns, MANAGED_SELECTOR), c.api.secrets(ns, MANAGED_SELECTOR)]);
  const objects = [
    ...deployments.filter(mine).map((o) => plainObject(o, 'apps/v1', 'Deployment')),
    ...svcs.filter(mine).map((o) => plainObject(o, 'v1', 'Service')),
    ...configMaps.filter(mine).map((o) => plainObject(o, 'v1', 'ConfigMap')),
  ].map(applicable);
  const names = objects.map((o) => `${String(o.kind)}/${String((o.metadata as { name?: unknown }).name)}`);
  const secretLines = secrets.filter(mine).map((s) => `# Secret/${s.metadata?.name ?? ''} resourceVersion ${s.metadata?.resourceVersion ?? '?'} (values are not kept; the cluster must still hold it)`);
  const docs = objects.map((o) => yaml.stringify(o, { lineWidth: 0 }));
  const header = `# Objects Gantry manages for ${environment} in namespace ${ns}, as of ${new Date().toISOString()}\n${secretLines.join('\n')}${secretLines.length > 0 ? '\n' : ''}`;
  return { format: 'kubernetes-yaml', yaml: `${header}---\n${docs.join('---\n')}`, objects: [...names, ...secrets.filter(mine).map((s) => `Secret/${s.metadata?.name ?? ''}`)] };
}

/** Applies a resources() YAML again by server-side apply; resolves with the kind/name of each object applied. */
export async function applyManaged(c: KubeContext, resources: ManagedResources): Promise<string[]> {
  const docs = yaml.parseAllDocuments(resources.yaml);
  const manifests: Manifest[] = [];
  for (const doc of docs) {
    if (doc.errors.length > 0) throw new TargetError('TARGET_ERROR', `the resources to restore are not valid YAML: ${doc.errors[0]?.message ?? ''}`, { hint: 'Restore the file gantry backup export wrote, unchanged.' });
    const object = doc.toJS() as Manifest | null;
    if (object === null) continue;
    if (!['Deployment', 'Service', 'ConfigMap'].includes(object.kind)) throw new TargetError('TARGET_ERROR', `the resources to restore hold a ${object.kind}; Gantry restores Deployments, Services and ConfigMaps only`);
    manifests.push(validateManifest({ ...object, metadata: { ...object.metadata, namespace: c.target.namespace } }));
  }
  await c.ensureNamespace();
  // ConfigMaps first: the Deployments' pods read them.
  const order = ['ConfigMap', 'Service', 'Deployment'];
  manifests.sort((a, b) => order.indexOf(a.kind) - order.indexOf(b.kind));
  for (const m of manifests) await c.api.apply(m);
  return manifests.map((m) => `${m.kind}/${m.metadata.name}`);
}
