import type { Kysely, Selectable } from 'kysely';
import type { StrategyConfig } from '../../domain/rollout-config.js';
import { DeploymentState, isFinished, type DeployedSpec, type Deployment, type RolloutProgress } from '../../domain/deployment.js';
import type { Database, DeploymentTable } from '../schema.js';

const parse = <T>(text: string | null): T | null => (text === null ? null : (JSON.parse(text) as T));

type Row = Selectable<DeploymentTable> & { sha: string };

const toDeployment = (r: Row): Deployment => ({
  id: Number(r.id),
  environment: r.environment,
  service: r.service,
  releaseId: Number(r.release_id),
  release: r.sha,
  digest: r.digest,
  revision: r.revision,
  previousRevision: r.previous_revision,
  strategyKind: r.strategy,
  strategy: parse<StrategyConfig>(r.strategy_config),
  target: r.target,
  region: r.region,
  spec: parse<DeployedSpec>(r.spec),
  progress: parse<RolloutProgress>(r.progress),
  runId: r.run_id === null ? null : Number(r.run_id),
  triggeredBy: r.triggered_by,
  state: r.state as DeploymentState,
  reason: r.reason,
  createdAt: Number(r.created_at),
  finishedAt: r.finished_at === null ? null : Number(r.finished_at),
});

export interface NewDeployment {
  readonly environment: string;
  readonly service: string;
  readonly releaseId: number;
  readonly digest: string;
  readonly previousRevision: number | null;
  /** The strategy config in force; its kind is also kept as its own column. */
  readonly strategy: StrategyConfig;
  readonly target: string;
  /** The environment's region ('' or left out: an environment without regions). */
  readonly region?: string;
  /** What the revision runs, without secret values. */
  readonly spec: DeployedSpec;
  readonly runId: number;
  readonly triggeredBy: string;
}

/**
 * Per environment and service (and region, for an environment with regions), the history of
 * revisions: the unit of rollback. Revision numbers are unique per environment and service across
 * its regions, so a number names one deployment; each region has its own live and previous one.
 */
export class DeploymentRepository {
  constructor(private readonly db: Kysely<Database>) {}

  private base() {
    return this.db.selectFrom('deployments').innerJoin('releases', 'releases.id', 'deployments.release_id').selectAll('deployments').select('releases.sha');
  }

  /** The run's deployment of a service (in a region), created with the next revision number on first call (idempotent on resume). */
  async ensure(d: NewDeployment, now: number): Promise<Deployment> {
    const region = d.region ?? '';
    const existing = await this.forRun(d.runId, d.environment, d.service, region);
    if (existing) return existing;
    return this.db.transaction().execute(async (trx) => {
      const max = await trx
        .selectFrom('deployments')
        .select((eb) => eb.fn.max('revision').as('max'))
        .where('environment', '=', d.environment)
        .where('service', '=', d.service)
        .executeTakeFirst();
      const revision = Number(max?.max ?? 0) + 1;
      await trx
        .insertInto('deployments')
        .values({
          environment: d.environment,
          service: d.service,
          release_id: d.releaseId,
          digest: d.digest,
          revision,
          previous_revision: d.previousRevision,
          strategy: d.strategy.kind,
          strategy_config: JSON.stringify(d.strategy),
          target: d.target,
          region,
          spec: JSON.stringify(d.spec),
          progress: null,
          run_id: d.runId,
          triggered_by: d.triggeredBy,
          state: DeploymentState.Pending,
          reason: null,
          created_at: now,
          finished_at: null,
        })
        .execute();
      const row = await trx
        .selectFrom('deployments')
        .innerJoin('releases', 'releases.id', 'deployments.release_id')
        .selectAll('deployments')
        .select('releases.sha')
        .where('environment', '=', d.environment)
        .where('service', '=', d.service)
        .where('revision', '=', revision)
        .executeTakeFirstOrThrow();
      return toDeployment(row);
    });
  }

  async forRun(runId: number, environment: string, service: string, region = ''): Promise<Deployment | undefined> {
    const r = await this.base().where('deployments.run_id', '=', runId).where('deployments.environment', '=', environment).where('deployments.service', '=', service).where('deployments.region', '=', region).executeTakeFirst();
    return r && toDeployment(r);
  }

  async allForRun(runId: number): Promise<Deployment[]> {
    return (await this.base().where('deployments.run_id', '=', runId).orderBy('deployments.id').execute()).map(toDeployment);
  }

  async setState(id: number, state: DeploymentState, now: number, reason: string | null = null): Promise<void> {
    const finished = isFinished(state);
    await this.db
      .updateTable('deployments')
      .set({ state, ...(reason === null ? {} : { reason }), ...(finished ? { finished_at: now } : {}) })
      .where('id', '=', id)
      .execute();
  }

  /** Where the rollout stands, stored after each pass of the strategy so a restarted control plane carries on from it. */
  async setProgress(id: number, progress: RolloutProgress | null): Promise<void> {
    await this.db.updateTable('deployments').set({ progress: progress === null ? null : JSON.stringify(progress) }).where('id', '=', id).execute();
  }

  async get(id: number): Promise<Deployment | undefined> {
    const r = await this.base().where('deployments.id', '=', id).executeTakeFirst();
    return r && toDeployment(r);
  }

  /** The revision that is live for users (in a region): the latest one whose deployment succeeded. */
  async live(environment: string, service: string, region = ''): Promise<Deployment | undefined> {
    const r = await this.base()
      .where('deployments.environment', '=', environment)
      .where('deployments.service', '=', service)
      .where('deployments.region', '=', region)
      .where('deployments.state', '=', DeploymentState.Succeeded)
      .orderBy('deployments.id', 'desc')
      .executeTakeFirst();
    return r && toDeployment(r);
  }

  /** Newest first; with `beforeId`, only those older than that deployment (the next page). */
  async history(environment: string, service?: string, limit = 50, beforeId?: number): Promise<Deployment[]> {
    let q = this.base().where('deployments.environment', '=', environment).orderBy('deployments.id', 'desc').limit(limit);
    if (service) q = q.where('deployments.service', '=', service);
    if (beforeId !== undefined) q = q.where('deployments.id', '<', beforeId);
    return (await q.execute()).map(toDeployment);
  }

  async byRevision(environment: string, service: string, revision: number): Promise<Deployment | undefined> {
    const r = await this.base().where('deployments.environment', '=', environment).where('deployments.service', '=', service).where('deployments.revision', '=', revision).executeTakeFirst();
    return r && toDeployment(r);
  }

  /** Digests that succeeded in an environment, per service: the promotion policy's evidence. */
  async succeededDigests(environment: string): Promise<Record<string, string[]>> {
    const rows = await this.db.selectFrom('deployments').select(['service', 'digest']).where('environment', '=', environment).where('state', '=', DeploymentState.Succeeded).execute();
    const out: Record<string, string[]> = {};
    for (const r of rows) (out[r.service] ??= []).push(r.digest);
    return out;
  }
}
