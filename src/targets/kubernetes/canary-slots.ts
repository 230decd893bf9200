import type { V1Deployment, V1Pod, V1ReplicaSet } from '@kubernetes/client-node';
import { RevisionPhase } from '../target.js';
import { ANNOTATION, COLORS, LABEL, type Color } from './names.js';
import type { KubeContext } from './revision-objects.js';
import { colorRevision, currentReplicaSet, type MappedRevision } from './revision-status.js';

/** A canary's Deployment (`<svc>-<color>`) and the revision it holds. */
export interface Slot {
  readonly color: Color;
  readonly revision: number;
  /** The Deployment's scale now, and the revision's full size (what it runs alone). */
  readonly scale: number;
  readonly full: number;
  readonly mapped: MappedRevision;
}

export interface Observed {
  readonly slots: Slot[];
  /** The main Service's selector; undefined while it does not exist. */
  readonly selector: Record<string, string> | undefined;
  /** The weights last asked of the Service (its INTENT annotation). */
  readonly intent: string | undefined;
  readonly pods: V1Pod[];
}

/**
 * On the main Service: the weights last asked, so a switch setWeights deferred (CanaryLayout.deferred) is
 * finished by verifyWeights for those weights only, by any control plane.
 */
export const INTENT = 'gantry.dev/weights';
export const intentOf = (weights: Readonly<Record<string, number>>): string =>
  JSON.stringify(
    Object.entries(weights)
      .filter(([, w]) => w > 0)
      .map(([r, w]) => [Number(r), w])
      .sort(([a = 0], [b = 0]) => a - b),
  );

/** Reads a service's canary Deployments, pods and main Service: everything canary-layout.ts decides from. */
export async function observeSlots(c: KubeContext, environment: string, service: string): Promise<Observed> {
  const ns = c.target.namespace;
  const selector = `${LABEL.instance}=${service}-${environment}`;
  const [deployments, sets, pods, main] = await Promise.all([c.api.deployments(ns, selector), c.api.replicaSets(ns, selector), c.api.pods(ns, selector), c.api.readService(ns, service)]);
  const slots = deployments.flatMap((d): Slot[] => {
    const color = COLORS.find((x) => x === d.metadata?.labels?.[LABEL.color]);
    if (color === undefined) return [];
    const own = (rs: V1ReplicaSet): boolean => (rs.metadata?.ownerReferences ?? []).some((o) => o.uid === d.metadata?.uid);
    const mapped = canaryRevision(colorRevision(d, currentReplicaSet(d, sets.filter(own)), pods.filter((p) => p.metadata?.labels?.[LABEL.color] === color)));
    return [{ color, revision: mapped.status.revision, scale: d.spec?.replicas ?? 0, full: fullSize(d), mapped }];
  });
  return { slots: slots.sort((a, b) => a.revision - b.revision), selector: main?.spec?.selector, intent: main?.metadata?.annotations?.[INTENT], pods };
}

/** The slots the Service sends requests to: both while split (no colour in its selector), else the one it names. */
export function selectedSlots(o: Observed): Slot[] {
  if (o.selector === undefined) return [];
  const color = o.selector[LABEL.color];
  return o.slots.filter((s) => color === undefined || s.color === color);
}

/** The revision's full size, from the annotation its start wrote (its scale when it has none). */
const fullSize = (d: V1Deployment): number => Number(d.metadata?.annotations?.[ANNOTATION.replicas] ?? d.spec?.replicas ?? 1) || 1;

/**
 * A canary's Deployments are scaled at every step: a revision scaling with a ready pod and no
 * trouble is ready (it serves), not starting again, or the strategy would take the scale for a break.
 */
function canaryRevision(m: MappedRevision): MappedRevision {
  if (m.status.phase !== RevisionPhase.Starting || (m.status.readyReplicas ?? 0) === 0) return m;
  return { ...m, status: { ...m.status, phase: RevisionPhase.Ready } };
}
