import { createHash, randomBytes } from 'node:crypto';
import type { ClusterState, KubeObject } from '../cluster-state.js';

/** RFC 3339 with whole seconds: how Kubernetes writes metav1.Time. */
export const kubeTime = (at = Date.now()): string => new Date(Math.floor(at / 1000) * 1000).toISOString().replace('.000Z', 'Z');

// Kubernetes' rand.SafeEncodeString alphabet: no vowels (no words), no look-alike characters.
const SAFE = 'bcdfghjklmnpqrstvwxz2456789';

/** `length` random characters of the alphabet pod names end with (`<rs>-x7k2q`). */
export function randomSuffix(length = 5): string {
  return [...randomBytes(length)].map((b) => SAFE[b % SAFE.length]).join('');
}

/** JSON with sorted keys: equal values give equal strings, whatever order the client sent. */
export function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    return `{${entries.sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** A stable 10-character [a-z0-9] hash of a pod template (the real one is fnv32 in the same alphabet). */
export function templateHash(template: unknown, collisionCount = 0): string {
  const hex = createHash('sha256').update(stableJson(template)).update(String(collisionCount)).digest();
  return [...hex.subarray(0, 10)].map((b) => SAFE[b % SAFE.length]).join('');
}

/** The object's controller owner reference, as GetControllerOf reads it. */
export const controllerOf = (object: KubeObject): { uid: string; name: string; kind: string } | undefined => object.metadata.ownerReferences?.find((r) => r.controller === true);

export const ownedBy = (object: KubeObject, owner: KubeObject): boolean => controllerOf(object)?.uid === owner.metadata.uid;

export function ownerReference(owner: KubeObject): { apiVersion: string; kind: string; name: string; uid: string; controller: boolean; blockOwnerDeletion: boolean } {
  return { apiVersion: owner.apiVersion, kind: owner.kind, name: owner.metadata.name, uid: owner.metadata.uid ?? '', controller: true, blockOwnerDeletion: true };
}

/**
 * Writes `status` when it differs from the stored one (a write raises resourceVersion and wakes
 * every watch, so unchanged status is not written). Reads and writes in one synchronous step, as
 * the state is shared only within this process.
 */
export function writeStatus(state: ClusterState, resource: 'pods' | 'deployments' | 'replicasets' | 'services', namespace: string, name: string, status: unknown): KubeObject | undefined {
  const current = state.get(resource, namespace, name);
  if (!current) return undefined;
  if (stableJson(current['status'] ?? {}) === stableJson(status)) return current;
  return state.update(resource, { ...current, status });
}

/** Asks for a pod's graceful deletion, as DELETE on the API server does: the kubelet finishes it. */
export function requestPodDeletion(state: ClusterState, namespace: string, name: string): void {
  const pod = state.get('pods', namespace, name);
  if (!pod || pod.metadata.deletionTimestamp !== undefined) return;
  const spec = (pod['spec'] ?? {}) as { terminationGracePeriodSeconds?: number };
  const grace = spec.terminationGracePeriodSeconds ?? 30;
  state.update('pods', { ...pod, metadata: { ...pod.metadata, deletionTimestamp: kubeTime(Date.now() + grace * 1000), deletionGracePeriodSeconds: grace } });
}

/** An int or a percent of `total`, rounded up or down as intstr.GetScaledValueFromIntOrPercent does. */
export function scaledValue(value: number | string | undefined, total: number, roundUp: boolean, fallback: string): number {
  const v = value ?? fallback;
  if (typeof v === 'number') return v;
  const percent = /^(\d+)%$/.exec(v);
  if (!percent) return Number.parseInt(v, 10) || 0;
  const exact = (Number(percent[1]) * total) / 100;
  return roundUp ? Math.ceil(exact) : Math.floor(exact);
}

/** Drops zero counts, as the API's `omitempty` status fields leave them out of the JSON. */
export const omitZero = (counts: Record<string, number>): Record<string, number> => Object.fromEntries(Object.entries(counts).filter(([, v]) => v !== 0));
