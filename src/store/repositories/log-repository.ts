import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';

export interface LogLine {
  readonly id: number;
  readonly stepId: number;
  readonly attempt: number;
  readonly stream: 'stdout' | 'stderr' | 'system';
  readonly text: string;
  readonly at: number;
}

export type NewLogLine = Omit<LogLine, 'id'>;

export class LogRepository {
  constructor(private readonly db: Kysely<Database>) {}

  /** Text reaching here has already been redacted by the step's log writer. */
  async append(runId: number, lines: readonly NewLogLine[]): Promise<void> {
    if (lines.length === 0) return;
    await this.db
      .insertInto('step_logs')
      .values(lines.map((l) => ({ run_id: runId, step_id: l.stepId, attempt: l.attempt, stream: l.stream, text: l.text, at: l.at })))
      .execute();
  }

  async forStep(stepId: number, afterId = 0, limit = 5000): Promise<LogLine[]> {
    const rows = await this.db
      .selectFrom('step_logs')
      .selectAll()
      .where('step_id', '=', stepId)
      .where('id', '>', afterId)
      .orderBy('id', 'asc')
      .limit(limit)
      .execute();
    return rows.map((r) => ({ id: Number(r.id), stepId: Number(r.step_id), attempt: r.attempt, stream: r.stream as LogLine['stream'], text: r.text, at: Number(r.at) }));
  }

  async forRun(runId: number, afterId = 0, limit = 5000, stepId?: number): Promise<LogLine[]> {
    let q = this.db.selectFrom('step_logs').selectAll().where('run_id', '=', runId).where('id', '>', afterId).orderBy('id', 'asc').limit(limit);
    if (stepId !== undefined) q = q.where('step_id', '=', stepId);
    const rows = await q.execute();
    return rows.map((r) => ({ id: Number(r.id), stepId: Number(r.step_id), attempt: r.attempt, stream: r.stream as LogLine['stream'], text: r.text, at: Number(r.at) }));
  }

  async tail(stepId: number, attempt: number, count: number): Promise<string[]> {
    const rows = await this.db
      .selectFrom('step_logs')
      .select(['text'])
      .where('step_id', '=', stepId)
      .where('attempt', '=', attempt)
      .where('stream', '!=', 'system')
      .orderBy('id', 'desc')
      .limit(count)
      .execute();
    return rows.map((r) => r.text).reverse();
  }
}
