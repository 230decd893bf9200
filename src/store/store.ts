import { Migrator, type Kysely } from 'kysely';
import type { StoreDialect } from './dialect.js';
import { migrationProvider } from './migrations/index.js';
import { ApprovalRepository } from './repositories/approval-repository.js';
import { BranchRepository } from './repositories/branch-repository.js';
import { DeploymentRepository } from './repositories/deployment-repository.js';
import { DoraRepository } from './repositories/dora-repository.js';
import { ReleaseRepository } from './repositories/release-repository.js';
import { EventRepository } from './repositories/event-repository.js';
import { GateCacheRepository } from './repositories/gate-cache-repository.js';
import { ImageRepository } from './repositories/image-repository.js';
import { LoadResultRepository } from './repositories/load-result-repository.js';
import { LeaseRepository } from './repositories/lease-repository.js';
import { LockRepository } from './repositories/lock-repository.js';
import { BackupRepository } from './repositories/backup-repository.js';
import { LogRepository } from './repositories/log-repository.js';
import { NotificationRepository } from './repositories/notification-repository.js';
import { RunRepository } from './repositories/run-repository.js';
import { StepRepository } from './repositories/step-repository.js';
import { TokenRepository } from './repositories/token-repository.js';
import type { Database } from './schema.js';

/** The store: one database, its repositories, and migrations applied on open. */
export class Store {
  readonly runs: RunRepository;
  readonly steps: StepRepository;
  readonly logs: LogRepository;
  readonly locks: LockRepository;
  readonly gateCache: GateCacheRepository;
  readonly branches: BranchRepository;
  readonly tokens: TokenRepository;
  readonly events: EventRepository;
  readonly releases: ReleaseRepository;
  readonly deployments: DeploymentRepository;
  readonly dora: DoraRepository;
  readonly approvals: ApprovalRepository;
  readonly notifications: NotificationRepository;
  readonly loadResults: LoadResultRepository;
  readonly backups: BackupRepository;
  readonly images: ImageRepository;
  readonly leases: LeaseRepository;

  private constructor(readonly db: Kysely<Database>, readonly dialect: StoreDialect) {
    this.runs = new RunRepository(db);
    this.steps = new StepRepository(db, dialect.name);
    this.logs = new LogRepository(db);
    this.locks = new LockRepository(db);
    this.gateCache = new GateCacheRepository(db);
    this.branches = new BranchRepository(db);
    this.tokens = new TokenRepository(db, dialect);
    this.events = new EventRepository(db, dialect);
    this.releases = new ReleaseRepository(db);
    this.deployments = new DeploymentRepository(db);
    this.dora = new DoraRepository(db);
    this.approvals = new ApprovalRepository(db);
    this.notifications = new NotificationRepository(db);
    this.loadResults = new LoadResultRepository(db);
    this.backups = new BackupRepository(db);
    this.images = new ImageRepository(db);
    this.leases = new LeaseRepository(db);
  }

  static async open(dialect: StoreDialect): Promise<Store> {
    const db = dialect.open();
    const { error, results } = await new Migrator({ db, provider: migrationProvider(dialect) }).migrateToLatest();
    const failed = results?.find((r) => r.status === 'Error');
    if (error || failed) {
      await db.destroy();
      throw new Error(`store migration ${failed?.migrationName ?? ''} failed`, { cause: error });
    }
    return new Store(db, dialect);
  }

  async close(): Promise<void> {
    await this.db.destroy();
  }
}
