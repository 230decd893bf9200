import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';

export interface LoadFigures {
  readonly requests: number;
  readonly rps: number;
  readonly p50Ms: number;
  readonly p97_5Ms: number;
  readonly p99Ms: number;
  readonly errorRate: number;
}

export interface LoadResult {
  readonly id: number;
  readonly environment: string;
  readonly service: string;
  readonly release: string;
  readonly runId: number;
  readonly figures: LoadFigures;
  readonly passed: boolean;
  readonly createdAt: number;
}

/** Load-test results per release and environment: each successful one is the next release's baseline. */
export class LoadResultRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async add(r: Omit<LoadResult, 'id'>): Promise<void> {
    await this.db
      .insertInto('load_results')
      .values({ environment: r.environment, service: r.service, release: r.release, run_id: r.runId, figures_json: JSON.stringify(r.figures), passed: r.passed ? 1 : 0, created_at: r.createdAt })
      .execute();
  }

  /** The latest passing result of an earlier release that then succeeded here: what the new one must not fall behind. */
  async baseline(environment: string, service: string, excludeRelease: string): Promise<LoadResult | undefined> {
    const row = await this.db
      .selectFrom('load_results')
      .selectAll()
      .where('environment', '=', environment)
      .where('service', '=', service)
      .where('passed', '=', 1)
      .where('release', '!=', excludeRelease)
      .where('release', 'in', (eb) =>
        eb
          .selectFrom('deployments')
          .innerJoin('releases', 'releases.id', 'deployments.release_id')
          .select('releases.sha')
          .where('deployments.environment', '=', environment)
          .where('deployments.service', '=', service)
          .where('deployments.state', '=', 'succeeded'),
      )
      .orderBy('id', 'desc')
      .executeTakeFirst();
    return (
      row && {
        id: Number(row.id),
        environment: row.environment,
        service: row.service,
        release: row.release,
        runId: Number(row.run_id),
        figures: JSON.parse(row.figures_json) as LoadFigures,
        passed: row.passed === 1,
        createdAt: Number(row.created_at),
      }
    );
  }
}
