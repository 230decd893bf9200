import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';

export interface ApprovalRecord {
  readonly id: number;
  readonly runId: number;
  readonly environment: string;
  /** deploy: the approval gate; analysis: an inconclusive watch accepted or rejected; promote / abort: a person's call on a running canary. */
  readonly kind: 'deploy' | 'analysis' | 'promote' | 'abort';
  readonly user: string;
  readonly decision: 'approved' | 'rejected';
  readonly comment: string | null;
  readonly createdAt: number;
}

export class ApprovalRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async add(a: Omit<ApprovalRecord, 'id'>): Promise<ApprovalRecord> {
    const r = await this.db
      .insertInto('approvals')
      .values({ run_id: a.runId, environment: a.environment, kind: a.kind, user_name: a.user, decision: a.decision, comment: a.comment, created_at: a.createdAt })
      .returningAll()
      .executeTakeFirstOrThrow();
    return { ...a, id: Number(r.id) };
  }

  async forRun(runId: number, kind?: ApprovalRecord['kind']): Promise<ApprovalRecord[]> {
    let q = this.db.selectFrom('approvals').selectAll().where('run_id', '=', runId).orderBy('id');
    if (kind) q = q.where('kind', '=', kind);
    return (await q.execute()).map((r) => ({
      id: Number(r.id),
      runId: Number(r.run_id),
      environment: r.environment,
      kind: r.kind as ApprovalRecord['kind'],
      user: r.user_name,
      decision: r.decision as ApprovalRecord['decision'],
      comment: r.comment,
      createdAt: Number(r.created_at),
    }));
  }
}
