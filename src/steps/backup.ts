import { specOf } from '../engine/step-specs/index.js';
import type { StepContext, StepHandler, StepOutcome } from '../engine/step-handler.js';
import type { BackupEntry } from '../domain/backup.js';
import type { SecretSource } from '../secrets/source.js';
import type { Store } from '../store/store.js';
import type { TargetRegistry } from '../targets/registry.js';
import { deploymentRecord } from './support/deployment-record.js';
import { managedResources } from './support/backup-resources.js';

/**
 * Before a risky change: what the environment runs now, service by service (the live deployment,
 * its revision, release, digest, recorded spec, strategy and target, and the weights), kept for the
 * environment's retention so it can be restored exactly. Taken under the environment lock, so nothing moves while it is read.
 */
export class BackupStep implements StepHandler {
  readonly kind = 'backup';

  constructor(private readonly store: Store, private readonly targets: TargetRegistry, private readonly secrets?: SecretSource) {}

  async run(ctx: StepContext): Promise<StepOutcome> {
    const spec = specOf(ctx, 'backup');
    const done = await this.store.backups.forRun(ctx.run.id, spec.environment);
    if (done) return { kind: 'done', summary: { backupId: done.id }, message: `backup #${done.id}` };
    const target = await this.targets.get(spec.target);
    const actual = await target.describe(spec.environment);
    const services: BackupEntry[] = [];
    for (const service of spec.services) {
      const live = await this.store.deployments.live(spec.environment, service);
      if (!live) continue;
      const recorded = await deploymentRecord(this.store, live);
      services.push({
        service,
        revision: live.revision,
        release: live.release,
        releaseId: live.releaseId,
        digest: live.digest,
        weights: actual.find((s) => s.service === service)?.weights.main ?? {},
        config: recorded ? { command: recorded.spec.command, env: recorded.spec.env, replicas: recorded.spec.replicas, secrets: recorded.spec.secrets } : null,
        deploymentId: live.id,
        ...(recorded ? { spec: recorded.spec, strategy: recorded.strategy, target: recorded.target } : {}),
      });
    }
    // A target with objects of its own (Kubernetes) has them saved too, so a restore can apply them again.
    const resources = await managedResources(target, spec.environment, this.secrets);
    const now = ctx.clock.now();
    const backup = await this.store.backups.add({ environment: spec.environment, runId: ctx.run.id, reason: `before run #${ctx.run.id} (${ctx.run.ref}@${ctx.run.sha.slice(0, 7)})`, services, createdAt: now, expiresAt: now + spec.retentionMs, ...(resources ? { resources } : {}) });
    await this.store.events.append('backup.created', 'gantry', ctx.run.id, { environment: spec.environment, backupId: backup.id, services: services.map((s) => `${s.service}@r${s.revision}`) }, now);
    const pruned = await this.store.backups.prune(now);
    ctx.log.info(`backup #${backup.id} of ${spec.environment}: ${services.length ? services.map((s) => `${s.service} r${s.revision} (${s.release.slice(0, 7)})`).join(', ') : 'nothing deployed yet'}; kept until ${new Date(backup.expiresAt).toISOString()}`);
    if (resources) ctx.log.info(`backup #${backup.id} keeps ${resources.objects.length} object(s) of target ${spec.target}: ${resources.objects.join(', ')}`);
    if (pruned.length > 0) ctx.log.info(`removed ${pruned.length} backup(s) past their retention`);
    return { kind: 'done', summary: { backupId: backup.id, services: services.length, ...(resources ? { objects: resources.objects.length } : {}) }, message: `backup #${backup.id}` };
  }
}
