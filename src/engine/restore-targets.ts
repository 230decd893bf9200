import type { Backup } from '../domain/backup.js';
import type { Plan, PlannedStep } from '../domain/run.js';
import type { Store } from '../store/store.js';
import type { RollbackTarget } from './rollback-plan.js';
import { lockKey, restoreResourcesKey } from './step-keys.js';
import { STEP_SPEC_VERSION, type RestoreResourcesStepSpec } from './step-specs/index.js';

/**
 * What a restore deploys, service by service: the artifact the backup names, run as the backup
 * recorded it (spec, strategy, target). A backup taken before those were recorded names only the
 * revision: that deployment's own record is used then (the row is never deleted), and for rows
 * older still the plan falls back to today's config, as restores did before.
 */
export async function restoreTargets(store: Store, backup: Backup): Promise<RollbackTarget[]> {
  const targets: RollbackTarget[] = [];
  for (const s of backup.services) {
    const base = { service: s.service, revision: s.revision, release: s.release, releaseId: s.releaseId, digest: s.digest };
    if (s.deploymentId !== undefined && s.spec && s.strategy && s.target !== undefined) {
      targets.push({ ...base, source: { id: s.deploymentId, spec: s.spec, strategy: s.strategy, target: s.target } });
      continue;
    }
    const row = await store.deployments.byRevision(backup.environment, s.service, s.revision);
    targets.push(row ? { ...base, source: row } : base);
  }
  return targets;
}

/**
 * The rolling and blue-green strategies end a deployment with all of the main route on one
 * revision, so a restore does too. A backup is taken under the environment lock, when that is the
 * only state those strategies leave; should one hold a split (a future canary paused mid-way), the
 * run's notes say what was recorded and what the restore does instead, rather than hide it.
 */
export function weightNotes(backup: Backup): string[] {
  const notes: string[] = [];
  for (const s of backup.services) {
    const split = Object.entries(s.weights).filter(([, w]) => w > 0);
    const whole = split.length === 0 || (split.length === 1 && split[0]?.[0] === String(s.revision) && split[0][1] === 100);
    if (!whole) notes.push(`backup #${backup.id} recorded ${s.service}'s traffic as ${split.map(([r, w]) => `r${r} ${w}%`).join(', ')}; the restore puts all of it on the restored revision (the environment's strategies end on one revision).`);
  }
  return notes;
}

/**
 * A backup that holds target objects (a Kubernetes target's) is restored in two parts within one
 * run: its objects are applied again right after the lock is taken, then each service's recorded
 * revision is deployed as before. Everything that waited on the lock waits on the re-apply instead.
 */
export function withResourcesStep(plan: Plan, backup: Backup, target: string): Plan {
  if (!backup.resources) return plan;
  const lock = lockKey(backup.environment);
  const key = restoreResourcesKey(backup.environment);
  const spec: RestoreResourcesStepSpec = { v: STEP_SPEC_VERSION, environment: backup.environment, target, backupId: backup.id, timeoutMs: 10 * 60_000 };
  const step: PlannedStep = { key, kind: 'restore-resources', name: `apply backup #${backup.id}'s objects to ${backup.environment}`, environment: backup.environment, needs: [lock], spec, maxAttempts: 3 };
  const steps = plan.steps.flatMap((s) => (s.key === lock ? [s, step] : [{ ...s, needs: s.needs.map((n) => (n === lock ? key : n)) }]));
  const note = `The ${backup.resources.objects.length} object(s) backup #${backup.id} holds are applied again through target ${target} before the services are deployed: ${backup.resources.objects.join(', ')}.`;
  return { steps, notes: [...plan.notes, note] };
}
