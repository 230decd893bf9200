import { randomBytes } from 'node:crypto';
import type { ClusterState, KubeObject } from '../cluster-state.js';
import { kubeTime } from './kube-util.js';

export type EventType = 'Normal' | 'Warning';

/**
 * Records v1 Events as the real recorders do: the same object, reason and message within the
 * namespace is one Event whose count and lastTimestamp grow (the recorder's aggregation), named
 * `<object>.<hex>`.
 */
export class EventRecorder {
  private readonly names = new Map<string, string>();

  constructor(private readonly state: ClusterState) {}

  /** `fieldPath` names the part of the object, as the kubelet names a container: `spec.containers{web}`. */
  record(object: KubeObject, type: EventType, reason: string, message: string, component: string, fieldPath?: string): void {
    const namespace = object.metadata.namespace ?? 'default';
    const key = `${object.metadata.uid ?? object.metadata.name}|${fieldPath ?? ''}|${reason}|${message}`;
    const now = kubeTime();
    const name = this.names.get(key);
    const existing = name === undefined ? undefined : this.state.get('events', namespace, name);
    if (existing) {
      this.state.update('events', { ...existing, count: Number(existing['count'] ?? 1) + 1, lastTimestamp: now });
      return;
    }
    const fresh = `${object.metadata.name}.${randomBytes(8).toString('hex')}`;
    this.names.set(key, fresh);
    this.state.create('events', {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: fresh, namespace },
      involvedObject: { apiVersion: object.apiVersion, kind: object.kind, name: object.metadata.name, namespace, uid: object.metadata.uid, resourceVersion: object.metadata.resourceVersion, ...(fieldPath ? { fieldPath } : {}) },
      reason,
      message,
      type,
      count: 1,
      firstTimestamp: now,
      lastTimestamp: now,
      source: { component, ...(component === 'kubelet' ? { host: 'standin-node' } : {}) },
      reportingComponent: component,
      reportingInstance: component === 'kubelet' ? 'standin-node' : '',
    });
  }
}
