import type { Kysely, Selectable } from 'kysely';
import type { Backup, BackupEntry, BackupResources } from '../../domain/backup.js';
import type { BackupTable, Database } from '../schema.js';

const toBackup = (r: Selectable<BackupTable>): Backup => ({
  id: Number(r.id),
  environment: r.environment,
  runId: r.run_id === null ? null : Number(r.run_id),
  reason: r.reason,
  services: (JSON.parse(r.snapshot_json) as { services: BackupEntry[] }).services,
  createdAt: Number(r.created_at),
  expiresAt: Number(r.expires_at),
  ...(r.resources_yaml === null ? {} : { resources: resourcesOf(r.resources_yaml, r.resources_objects) }),
});

function resourcesOf(yaml: string, objects: string | null): BackupResources {
  return { format: 'kubernetes-yaml', yaml, objects: objects === null ? [] : (JSON.parse(objects) as string[]) };
}

export class BackupRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async add(b: Omit<Backup, 'id'>): Promise<Backup> {
    const row = await this.db
      .insertInto('backups')
      .values({
        environment: b.environment,
        run_id: b.runId,
        reason: b.reason,
        snapshot_json: JSON.stringify({ services: b.services }),
        created_at: b.createdAt,
        expires_at: b.expiresAt,
        resources_yaml: b.resources?.yaml ?? null,
        resources_objects: b.resources ? JSON.stringify(b.resources.objects) : null,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toBackup(row);
  }

  /** The backup a run took (idempotent resume: one backup per run and environment). */
  async forRun(runId: number, environment: string): Promise<Backup | undefined> {
    const row = await this.db.selectFrom('backups').selectAll().where('run_id', '=', runId).where('environment', '=', environment).executeTakeFirst();
    return row && toBackup(row);
  }

  async get(id: number): Promise<Backup | undefined> {
    const row = await this.db.selectFrom('backups').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toBackup(row);
  }

  async list(environment?: string, now?: number): Promise<Backup[]> {
    let q = this.db.selectFrom('backups').selectAll().orderBy('id', 'desc').limit(200);
    if (environment) q = q.where('environment', '=', environment);
    if (now !== undefined) q = q.where('expires_at', '>', now);
    return (await q.execute()).map(toBackup);
  }

  /**
   * Digests that live backups reference: an artifact clean-up must keep these (they are what a
   * restore deploys), whatever else it removes.
   */
  async pinnedDigests(now: number): Promise<Set<string>> {
    const pinned = new Set<string>();
    for (const b of await this.list(undefined, now)) for (const s of b.services) pinned.add(s.digest);
    return pinned;
  }

  /**
   * Removes backups past their retention; returns what went, so their artifact pins can go too. One
   * DELETE … RETURNING: of several servers pruning at once, each backup is removed, and reported,
   * by exactly one.
   */
  async prune(now: number): Promise<Backup[]> {
    const gone = await this.db.deleteFrom('backups').where('expires_at', '<=', now).returningAll().execute();
    return gone.map(toBackup).sort((a, b) => a.id - b.id);
  }
}
