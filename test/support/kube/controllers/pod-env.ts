import type { ClusterState } from '../cluster-state.js';

export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { configMapKeyRef?: KeyRef; secretKeyRef?: KeyRef; fieldRef?: { fieldPath: string } };
}
interface KeyRef {
  name: string;
  key: string;
  optional?: boolean;
}
export interface EnvFromSource {
  prefix?: string;
  configMapRef?: { name: string; optional?: boolean };
  secretRef?: { name: string; optional?: boolean };
}

/** A reference the kubelet cannot resolve: the container stays waiting with CreateContainerConfigError. */
export class ContainerConfigError extends Error {}

function source(state: ClusterState, namespace: string, kind: 'configmaps' | 'secrets', name: string): Record<string, string> | undefined {
  const object = state.get(kind, namespace, name);
  if (!object) return undefined;
  const data = (object['data'] ?? {}) as Record<string, string>;
  if (kind === 'configmaps') return data;
  return Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));
}

// $(VAR) refers to a variable defined earlier; $$ escapes; an unknown reference stays as written.
function expand(value: string, env: Readonly<Record<string, string>>): string {
  return value.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (whole, name: string | undefined) => (name === undefined ? '$' : (env[name] ?? whole)));
}

/**
 * The container's environment in the kubelet's order: the image's Env, then envFrom sources in
 * order, then env entries (later ones win), with $(VAR) expanded against what came before, then
 * the stand-in's own PORT (every pod shares this machine's network, so each gets its own port).
 */
export function containerEnv(
  state: ClusterState,
  pod: { namespace: string; name: string; podIP: string },
  imageEnv: readonly string[],
  container: { env?: EnvVar[]; envFrom?: EnvFromSource[] },
  port: number,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of imageEnv) {
    const at = line.indexOf('=');
    if (at > 0) env[line.slice(0, at)] = line.slice(at + 1);
  }
  env['HOSTNAME'] = pod.name;
  for (const from of container.envFrom ?? []) {
    const ref = from.configMapRef ?? from.secretRef;
    if (!ref) continue;
    const kind = from.configMapRef ? 'configmaps' : 'secrets';
    const data = source(state, pod.namespace, kind, ref.name);
    if (!data) {
      if (ref.optional) continue;
      throw new ContainerConfigError(`${kind === 'configmaps' ? 'configmap' : 'secret'} "${ref.name}" not found`);
    }
    for (const [k, v] of Object.entries(data)) env[`${from.prefix ?? ''}${k}`] = v;
  }
  for (const entry of container.env ?? []) {
    if (entry.valueFrom === undefined) {
      env[entry.name] = expand(entry.value ?? '', env);
      continue;
    }
    const { configMapKeyRef, secretKeyRef, fieldRef } = entry.valueFrom;
    if (fieldRef) {
      const fields: Record<string, string> = { 'metadata.name': pod.name, 'metadata.namespace': pod.namespace, 'status.podIP': pod.podIP, 'spec.nodeName': 'standin-node' };
      env[entry.name] = fields[fieldRef.fieldPath] ?? '';
      continue;
    }
    const ref = configMapKeyRef ?? secretKeyRef;
    if (!ref) continue;
    const kind = configMapKeyRef ? 'configmaps' : 'secrets';
    const value = source(state, pod.namespace, kind, ref.name)?.[ref.key];
    if (value === undefined) {
      if (ref.optional) continue;
      throw new ContainerConfigError(`couldn't find key ${ref.key} in ${kind === 'configmaps' ? 'ConfigMap' : 'Secret'} ${pod.namespace}/${ref.name}`);
    }
    env[entry.name] = value;
  }
  env['PORT'] = String(port);
  return env;
}
