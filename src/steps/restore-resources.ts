import { specOf } from '../engine/step-specs/index.js';
import type { StepContext, StepHandler, StepOutcome } from '../engine/step-handler.js';
import { NotFoundError, TargetError } from '../errors/index.js';
import type { Store } from '../store/store.js';
import type { TargetRegistry } from '../targets/registry.js';

/**
 * The first part of restoring a backup that holds target objects (a Kubernetes target's
 * Deployments, Services, ConfigMaps): applies them again through the target, under the
 * environment lock and before the restore deploys each service's recorded revision, so what the
 * deploy then reconciles starts from the saved objects. Applying is idempotent (server-side apply),
 * so a step re-run after a crash applies the same objects again. Audited.
 */
export class RestoreResourcesStep implements StepHandler {
  readonly kind = 'restore-resources';

  constructor(private readonly store: Store, private readonly targets: TargetRegistry) {}

  async run(ctx: StepContext): Promise<StepOutcome> {
    const spec = specOf(ctx, 'restore-resources');
    const backup = await this.store.backups.get(spec.backupId);
    if (!backup) throw new NotFoundError('BACKUP_NOT_FOUND', `backup #${spec.backupId} is gone (its retention ended while the restore waited)`, { hint: 'List backups with `gantry backup list`.' });
    if (!backup.resources) return { kind: 'done', skipped: true, message: `backup #${backup.id} holds no target objects` };
    const target = await this.targets.get(spec.target);
    if (!target.applyResources) {
      throw new TargetError('TARGET_ERROR', `target ${spec.target} cannot apply the objects backup #${backup.id} holds (${backup.resources.objects.length})`, {
        hint: `${spec.environment} now deploys through a target that keeps no objects of its own; export them with \`gantry backup export ${backup.id}\` and apply them by hand.`,
      });
    }
    ctx.log.info(`applying the ${backup.resources.objects.length} object(s) backup #${backup.id} holds through target ${spec.target}`);
    const applied = await target.applyResources(spec.environment, backup.resources);
    for (const object of applied) ctx.log.info(`applied ${object}`);
    await this.store.events.append('backup.resources-applied', 'gantry', ctx.run.id, { environment: spec.environment, backupId: backup.id, target: spec.target, objects: applied }, ctx.clock.now());
    return { kind: 'done', summary: { backupId: backup.id, objects: applied.length }, message: `applied ${applied.length} object(s) of backup #${backup.id}` };
  }
}
