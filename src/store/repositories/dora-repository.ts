import { sql, type Kysely } from 'kysely';
import type { DoraDeployment, DoraDeploymentState } from '../../domain/dora/types.js';
import type { Database } from '../schema.js';

/** Deployments of one environment, service and state whose duration fell in one bucket. */
export interface DeploymentStat {
  readonly environment: string;
  readonly service: string;
  readonly state: string;
  /** Index into the bounds asked for; `bounds.length` past the last; -1 while unfinished. */
  readonly bucket: number;
  readonly count: number;
  readonly durationMs: number;
  /** Of them, manual rollbacks (`rollback to rN`). */
  readonly manualRollbacks: number;
}

export interface GateStat {
  readonly service: string;
  readonly gate: string;
  readonly state: string;
  readonly count: number;
}

export interface WaitingStat {
  readonly environment: string;
  /** The step kind: `approval` (a deploy approval) or `watch` (a paused analysis). */
  readonly kind: string;
  readonly count: number;
}

/**
 * The read side of delivery metrics. For DORA: an environment's deployments created in a window,
 * with the commit time of their release and the ref of the run that made them, in one query
 * served by the `deployments_environment_created` index. For /metrics: totals over the whole
 * history, so a restarted server reports the same counters. Portable SQL only (joins, CASE,
 * aggregates; literals in GROUP BY so Postgres sees the same expression in SELECT).
 */
export class DoraRepository {
  constructor(private readonly db: Kysely<Database>) {}

  /**
   * Deployments of `environment` created in [from, to]. Only the window is read, so a release first
   * deployed before it and redeployed inside it counts as a change of the window: the price of not
   * scanning the whole history.
   */
  async deployments(environment: string, from: number, to: number): Promise<DoraDeployment[]> {
    const rows = await this.db
      .selectFrom('deployments as d')
      .innerJoin('releases as r', 'r.id', 'd.release_id')
      .leftJoin('runs as run', 'run.id', 'd.run_id')
      .select(['d.service', 'd.revision', 'd.state', 'd.created_at', 'd.finished_at', 'd.reason', 'r.sha', 'r.committed_at', 'run.ref'])
      .where('d.environment', '=', environment)
      .where('d.created_at', '>=', from)
      .where('d.created_at', '<=', to)
      .execute();
    return rows.map((row) => ({
      service: row.service,
      environment,
      revision: row.revision,
      release: row.sha,
      state: row.state as DoraDeploymentState,
      // Postgres returns bigint columns as strings: Number() makes both dialects agree.
      createdAt: Number(row.created_at),
      finishedAt: row.finished_at === null ? null : Number(row.finished_at),
      commitTime: row.committed_at === null ? null : Number(row.committed_at),
      reason: row.reason,
      ref: row.ref,
    }));
  }

  /**
   * Deployments with ids in (afterId, upToId] (all above afterId without upToId), counted by
   * environment, service, state and duration bucket (`boundsMs` ascending).
   */
  async deploymentStats(boundsMs: readonly number[], afterId = 0, upToId?: number): Promise<DeploymentStat[]> {
    const duration = sql`(${sql.ref('finished_at')} - ${sql.ref('created_at')})`;
    const whens = boundsMs.map((b, i) => sql`when ${duration} <= ${sql.lit(b)} then ${sql.lit(i)}`);
    const bucket = sql<number>`case when ${sql.ref('finished_at')} is null then -1 ${sql.join(whens, sql` `)} else ${sql.lit(boundsMs.length)} end`;
    const rows = await this.db
      .selectFrom('deployments')
      .select((eb) => [
        'environment',
        'service',
        'state',
        bucket.as('bucket'),
        eb.fn.countAll<number>().as('count'),
        sql<number>`coalesce(sum(${duration}), 0)`.as('duration_ms'),
        sql<number>`sum(case when ${sql.ref('reason')} like ${sql.lit('rollback to r%')} then 1 else 0 end)`.as('manual_rollbacks'),
      ])
      .where('id', '>', afterId)
      .$if(upToId !== undefined, (q) => q.where('id', '<=', upToId ?? 0))
      .groupBy(['environment', 'service', 'state', bucket])
      .execute();
    return rows.map((r) => ({
      environment: r.environment,
      service: r.service,
      state: r.state,
      bucket: Number(r.bucket),
      count: Number(r.count),
      durationMs: Number(r.duration_ms),
      manualRollbacks: Number(r.manual_rollbacks),
    }));
  }

  /**
   * The highest id up to which every deployment above `afterId` has finished and was created
   * before `createdBefore`: rows up to it will not change again, so their counts can be kept.
   * `afterId` itself when the next row is still open; 0 for an empty table.
   */
  async settledUpTo(afterId: number, createdBefore: number): Promise<number> {
    const row = await this.db
      .selectFrom('deployments')
      .select((eb) => [
        eb.fn.max('id').as('last'),
        eb.fn.min(eb.case().when(eb.or([eb('finished_at', 'is', null), eb('created_at', '>=', createdBefore)])).then(eb.ref('id')).end()).as('open'),
      ])
      .where('id', '>', afterId)
      .executeTakeFirst();
    if (!row || row.last === null) return afterId;
    return row.open === null ? Number(row.last) : Number(row.open) - 1;
  }

  /** Finished gate steps by service, gate and result. A gate step's key is `gate:<service>:<gate>`. */
  async gateStats(): Promise<GateStat[]> {
    const rows = await this.db
      .selectFrom('steps')
      .select((eb) => ['service', 'key', 'state', eb.fn.countAll<number>().as('count')])
      .where('kind', '=', 'gate')
      .where('state', 'in', ['succeeded', 'failed'])
      .groupBy(['service', 'key', 'state'])
      .execute();
    return rows.map((r) => ({ service: r.service ?? '', gate: r.key.slice(`gate:${r.service ?? ''}:`.length), state: r.state, count: Number(r.count) }));
  }
}
