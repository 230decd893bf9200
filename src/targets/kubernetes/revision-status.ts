import type { V1Deployment, V1Pod, V1ReplicaSet } from '@kubernetes/client-node';
import { RevisionPhase, type RevisionStatus } from '../target.js';
import { ANNOTATION, POD_TEMPLATE_HASH, ROLLOUT_REVISION } from './names.js';
import { isReady, podTrouble, replicaOf, type PodTrouble } from './pod-status.js';

/** A revision's status, and the trouble whose pod's last lines the target appends to lastError. */
export interface MappedRevision {
  readonly status: RevisionStatus;
  readonly trouble: PodTrouble | undefined;
}

/** The Deployment gave up: Progressing False with ProgressDeadlineExceeded. */
export function deadlineExceeded(d: V1Deployment): { reason: string; message: string } | undefined {
  const c = (d.status?.conditions ?? []).find((x) => x.type === 'Progressing');
  return c?.status === 'False' && c.reason === 'ProgressDeadlineExceeded' ? { reason: c.reason, message: c.message ?? '' } : undefined;
}

/** The rollout finished: the controller saw the latest spec, and every replica is updated and available, none of an old template left. */
export function rolloutComplete(d: V1Deployment): boolean {
  const want = d.spec?.replicas ?? 1;
  const s = d.status ?? {};
  return (s.observedGeneration ?? 0) >= (d.metadata?.generation ?? 0) && (s.updatedReplicas ?? 0) === want && (s.availableReplicas ?? 0) === want && (s.replicas ?? 0) === want;
}

function base(annotations: Record<string, string> | undefined, pods: readonly V1Pod[]): Omit<RevisionStatus, 'phase' | 'lastError'> {
  const replicas = pods.map(replicaOf);
  return {
    revision: Number(annotations?.[ANNOTATION.revision] ?? 0),
    release: annotations?.[ANNOTATION.release] ?? '',
    digest: annotations?.[ANNOTATION.digest] ?? '',
    restarts: replicas.reduce((n, r) => n + r.restarts, 0),
    ports: [],
    readyReplicas: pods.filter(isReady).length,
    replicas,
  };
}

function troubled(phaseIfFine: RevisionStatus['phase'], deadline: { reason: string; message: string } | undefined, pods: readonly V1Pod[]): { phase: RevisionStatus['phase']; trouble: PodTrouble | undefined; lastError: string | null } {
  const trouble = podTrouble(pods);
  if (trouble) return { phase: trouble.phase, trouble, lastError: `${trouble.reason}: ${trouble.message}` };
  if (deadline) return { phase: RevisionPhase.Failed, trouble: undefined, lastError: `${deadline.reason}: ${deadline.message}` };
  return { phase: phaseIfFine, trouble: undefined, lastError: null };
}

/** The pods a ReplicaSet owns. */
export const podsOf = (rs: V1ReplicaSet, pods: readonly V1Pod[]): V1Pod[] => pods.filter((p) => (p.metadata?.ownerReferences ?? []).some((o) => o.uid === rs.metadata?.uid));

/** Rolling layout: one ReplicaSet of the Deployment as a revision. */
export function replicaSetRevision(rs: V1ReplicaSet, d: V1Deployment, pods: readonly V1Pod[]): MappedRevision {
  const mine = podsOf(rs, pods);
  const rolloutRevision = rs.metadata?.annotations?.[ROLLOUT_REVISION];
  const current = rolloutRevision !== undefined && rolloutRevision === d.metadata?.annotations?.[ROLLOUT_REVISION];
  const wanted = rs.spec?.replicas ?? 0;
  const status = { ...base(rs.metadata?.annotations, mine), targetRevision: `${rs.metadata?.name ?? ''} (revision ${rolloutRevision ?? '?'})` };
  if (!current) {
    // An old ReplicaSet: stopped at 0; while the controller scales it down its ready pods still serve.
    if (wanted === 0 && mine.length === 0) return { status: { ...status, phase: RevisionPhase.Stopped, lastError: null }, trouble: undefined };
    const phase = (status.readyReplicas ?? 0) > 0 ? RevisionPhase.Ready : wanted === 0 ? RevisionPhase.Stopping : RevisionPhase.Starting;
    return { status: { ...status, phase, lastError: null }, trouble: undefined };
  }
  if ((d.spec?.replicas ?? 1) === 0) return { status: { ...status, phase: mine.length === 0 ? RevisionPhase.Stopped : RevisionPhase.Stopping, lastError: null }, trouble: undefined };
  const t = troubled(rolloutComplete(d) ? RevisionPhase.Ready : RevisionPhase.Starting, deadlineExceeded(d), mine);
  return { status: { ...status, phase: t.phase, lastError: t.lastError }, trouble: t.trouble };
}

/** Blue-green layout: a colour's Deployment as the revision it holds; only the pods of its current template count. */
export function colorRevision(d: V1Deployment, current: V1ReplicaSet | undefined, pods: readonly V1Pod[]): MappedRevision {
  const hash = current?.metadata?.labels?.[POD_TEMPLATE_HASH];
  const mine = current === undefined ? [] : podsOf(current, pods);
  const rolloutRevision = d.metadata?.annotations?.[ROLLOUT_REVISION];
  const status = { ...base(d.metadata?.annotations, mine), targetRevision: `${d.metadata?.name ?? ''}${hash === undefined ? '' : `-${hash}`} (revision ${rolloutRevision ?? '?'})` };
  if ((d.spec?.replicas ?? 1) === 0) {
    const left = pods.length > 0;
    return { status: { ...status, phase: left ? RevisionPhase.Stopping : RevisionPhase.Stopped, lastError: null }, trouble: undefined };
  }
  const t = troubled(rolloutComplete(d) ? RevisionPhase.Ready : RevisionPhase.Starting, deadlineExceeded(d), mine);
  return { status: { ...status, phase: t.phase, lastError: t.lastError }, trouble: t.trouble };
}

/** The ReplicaSet the Deployment's current template runs in (same rollout revision). */
export function currentReplicaSet(d: V1Deployment, sets: readonly V1ReplicaSet[]): V1ReplicaSet | undefined {
  const revision = d.metadata?.annotations?.[ROLLOUT_REVISION];
  return revision === undefined ? undefined : sets.find((rs) => rs.metadata?.annotations?.[ROLLOUT_REVISION] === revision);
}
