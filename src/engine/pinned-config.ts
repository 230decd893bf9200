import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { withGuardRules } from '../config/guard-overlay.js';
import { diffGuardRules } from '../config/guard-rules.js';
import { parseConfigText } from '../config/loader.js';
import type { GantryConfig } from '../config/types.js';
import type { PinnedConfigRow, PinnedSource } from '../store/repositories/pinned-config-repository.js';
import { PinnedConfigRepository } from '../store/repositories/pinned-config-repository.js';
import type { Store } from '../store/store.js';
import type { Clock } from '../kernel/clock.js';
import type { Logger } from '../kernel/logger.js';

/** Where the rules in force came from: the --config file, or a commit an admin accepted. */
export interface PinnedOrigin {
  readonly source: PinnedSource;
  /** The --config file (for a commit: the file its guard rules were laid over). */
  readonly file: string;
  readonly sha: string | null;
  /** `server` for the file, else the admin who accepted the commit. */
  readonly by: string;
  readonly reason: string | null;
  /** When these rules took effect (epoch ms): the start that first saw the file's content, or the acceptance. */
  readonly since: number;
  /** `sha256:<hex>` of the gantry.yaml text the rules came from. */
  readonly hash: string;
}

export const contentHash = (text: string): string => `sha256:${createHash('sha256').update(text).digest('hex')}`;

const originOf = (row: PinnedConfigRow, file: string): PinnedOrigin => ({ source: row.source, file, sha: row.sha, by: row.actor, reason: row.reason, since: row.createdAt, hash: row.contentHash });

export interface PinnedConfigOptions {
  readonly store: Store;
  readonly configPath: string;
  /** The --config file, already loaded and validated by the caller (it is not parsed twice). */
  readonly config: GantryConfig;
  readonly clock: Clock;
  readonly logger: Logger;
}

/**
 * The server's pinned gantry.yaml (DESIGN.md invariant 9): the rules that guard environments are
 * read from here, never from the commit being deployed. It starts as the --config file; an admin
 * may lay a commit's guard rules over it (engine/config-acceptance.ts), which is persisted so a
 * restart keeps it.
 */
export class PinnedConfig {
  private constructor(
    private pinned: GantryConfig,
    private from: PinnedOrigin,
    /** The --config file's own config, which accepted guard rules are laid over. */
    readonly file: GantryConfig,
    readonly repository: PinnedConfigRepository,
  ) {}

  get config(): GantryConfig {
    return this.pinned;
  }

  get origin(): PinnedOrigin {
    return this.from;
  }

  /** Puts accepted rules in force; the caller has persisted and audited them first. */
  adopt(config: GantryConfig, row: PinnedConfigRow): void {
    this.pinned = config;
    this.from = originOf(row, this.from.file);
  }

  /**
   * Takes up rules another server on the same database accepted since this one last looked: a
   * commit row newer than the one in force is laid over this server's file, as at a start. Returns
   * true when the rules changed. A file row (another server started with an edited file) is that
   * server's own business: each server keeps its own --config file's settings.
   */
  async refresh(logger: Logger): Promise<boolean> {
    const newest = await this.repository.latest();
    if (newest?.source !== 'commit' || newest.createdAt <= this.from.since) return false;
    const accepted = parseConfigText(newest.text, newest.path);
    if (!accepted.ok) return false;
    const overlay = withGuardRules(this.file, accepted.config);
    this.adopt(overlay.config, newest);
    logger.info({ sha: newest.sha, acceptedBy: newest.actor }, `guard rules accepted from ${newest.sha?.slice(0, 7) ?? '?'} on another server are in force here too`);
    return true;
  }

  /**
   * Reads the --config file and decides which rules a start uses. The newest of these wins: the
   * file's content (dated by the first start that saw it), or the last commit an admin accepted.
   * So a file edited after an acceptance wins (the admin changed it since), and an unchanged file
   * keeps the accepted rules across restarts. The file's content, not its mtime, decides: a
   * checkout, a copy or a restore from backup changes the mtime (even backwards) without changing
   * a rule, and the content is what the server actually ran with.
   *
   * A file whose content differs from the one the server last ran with is audited as
   * `config.changed` (actor `server`, its hash and the guard-rule difference); the first start
   * only records it, and an unchanged file records nothing.
   */
  static async load(o: PinnedConfigOptions): Promise<PinnedConfig> {
    const file = resolve(o.configPath);
    const { config } = o;
    const text = await readFile(o.configPath, 'utf8');
    const repository = new PinnedConfigRepository(o.store.db);
    const hash = contentHash(text);
    const lastFile = await repository.latest('file');
    const fileRow = lastFile?.contentHash === hash ? lastFile : await recordFile(o, repository, { file, text, hash, config, lastFile });
    const fileOrigin = originOf(fileRow, file);
    const newest = await repository.latest();
    if (newest?.source !== 'commit') return new PinnedConfig(config, fileOrigin, config, repository);

    const accepted = parseConfigText(newest.text, newest.path);
    if (!accepted.ok) {
      o.logger.warn({ sha: newest.sha, errors: accepted.errors.length }, 'the accepted gantry.yaml no longer parses; using the --config file');
      return new PinnedConfig(config, fileOrigin, config, repository);
    }
    const overlay = withGuardRules(config, accepted.config);
    if (overlay.unapplied.length > 0) o.logger.warn({ sha: newest.sha, unapplied: overlay.unapplied }, 'some accepted guard rules cannot apply to the --config file');
    o.logger.info({ sha: newest.sha, acceptedBy: newest.actor }, `guard rules accepted from ${newest.sha?.slice(0, 7) ?? '?'} are in force`);
    return new PinnedConfig(overlay.config, originOf(newest, file), config, repository);
  }
}

/** Records the file's new content, auditing the change when an earlier content is known. */
async function recordFile(o: PinnedConfigOptions, repository: PinnedConfigRepository, f: { file: string; text: string; hash: string; config: GantryConfig; lastFile: PinnedConfigRow | undefined }): Promise<PinnedConfigRow> {
  const now = o.clock.now();
  const { lastFile } = f;
  if (lastFile) {
    const newest = await repository.latest();
    const before = parseConfigText(lastFile.text, lastFile.path);
    const changes = before.ok ? diffGuardRules(before.config, f.config) : [`the previous file (${lastFile.contentHash}) no longer parses; its rules cannot be compared`];
    const supersedes = newest?.source === 'commit' ? { supersedes: newest.sha } : {};
    // Audited before it is recorded: a crash in between audits it again rather than never.
    await o.store.events.append('config.changed', 'server', null, { file: f.file, hash: f.hash, previousHash: lastFile.contentHash, changes, ...supersedes }, now);
  }
  return repository.add({ source: 'file', sha: null, path: f.file, contentHash: f.hash, text: f.text, actor: 'server', reason: null, createdAt: now });
}
