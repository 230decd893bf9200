import type { Kysely, Migration, MigrationProvider } from 'kysely';
import type { StoreDialect } from '../dialect.js';
import * as initial from './001-initial.js';
import * as loadAndBackups from './002-load-and-backups.js';
import * as auditChain from './003-audit-chain.js';
import * as secrets from './004-secrets.js';
import * as githubDeliveries from './005-github-deliveries.js';
import * as pinnedConfig from './006-pinned-config.js';
import * as runAuthors from './007-run-authors.js';
import * as githubEventTimes from './008-github-event-times.js';
import * as deploymentSpec from './009-deployment-spec.js';
import * as images from './010-images.js';
import * as backupResources from './011-backup-resources.js';
import * as coordination from './012-coordination.js';
import * as bigintReferences from './013-bigint-references.js';
import * as deploymentRegion from './014-deployment-region.js';

interface VersionedMigration {
  up(db: Kysely<unknown>, dialect: StoreDialect): Promise<void>;
}

/** Ordered by name; a new migration is a new file appended here, never an edit of an old one. */
const MIGRATIONS: Record<string, VersionedMigration> = {
  '001-initial': initial,
  '002-load-and-backups': loadAndBackups,
  '003-audit-chain': auditChain,
  '004-secrets': secrets,
  '005-github-deliveries': githubDeliveries,
  '006-pinned-config': pinnedConfig,
  '007-run-authors': runAuthors,
  '008-github-event-times': githubEventTimes,
  '009-deployment-spec': deploymentSpec,
  '010-images': images,
  '011-backup-resources': backupResources,
  '012-coordination': coordination,
  '013-bigint-references': bigintReferences,
  '014-deployment-region': deploymentRegion,
};

/** Kysely's Migrator wants migrations that take only `db`; the dialect is bound here. */
export function migrationProvider(dialect: StoreDialect): MigrationProvider {
  return {
    getMigrations(): Promise<Record<string, Migration>> {
      const bound: Record<string, Migration> = {};
      for (const [name, m] of Object.entries(MIGRATIONS)) bound[name] = { up: (db) => m.up(db, dialect) };
      return Promise.resolve(bound);
    },
  };
}
