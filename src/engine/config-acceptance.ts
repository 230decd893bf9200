import { withGuardRules } from '../config/guard-overlay.js';
import { diffGuardRules } from '../config/guard-rules.js';
import { formatPath } from '../config/issues.js';
import { parseConfigText } from '../config/loader.js';
import { ConfigError, GantryError, NotFoundError } from '../errors/index.js';
import type { Store } from '../store/store.js';
import type { Clock } from '../kernel/clock.js';
import { contentHash, type PinnedConfig, type PinnedOrigin } from './pinned-config.js';
import type { RepositoryReader } from './repository-reader.js';

export interface AcceptResult {
  /** False when the commit's guard rules equal the pinned ones: nothing changed. */
  readonly accepted: boolean;
  readonly sha: string;
  /** The guard rules that changed, one line each (`environments.production.approvals.required: 2 → 1`). */
  readonly changes: readonly string[];
  readonly origin: PinnedOrigin;
}

/** A commit whose gantry.yaml would change the rules in force, as proposed by a run of it. */
export interface PendingChange {
  readonly sha: string;
  readonly proposedAt: number;
  readonly proposedBy: string;
  readonly changes: readonly string[];
}

export interface ConfigAcceptanceOptions {
  readonly pinned: PinnedConfig;
  readonly store: Store;
  readonly reader: RepositoryReader;
  /** Fetches the repository, for a commit pushed since the last poll. */
  readonly refresh: () => Promise<void>;
  readonly clock: Clock;
  /** gantry.yaml's path in the repository. */
  readonly configPath: string;
}

const PROPOSALS_READ = 200;
const DEFAULT_PENDING_LIMIT = 10;

/**
 * An admin accepting a commit's guard rules (DESIGN.md invariant 9): the commit's gantry.yaml is
 * read from the mirror and validated, its guard rules are laid over the --config file, and the
 * result is audited (`config.guard-change-accepted`), persisted, then put in force, in that order.
 * Anything wrong (unknown commit, invalid gantry.yaml, a change that cannot apply at run time)
 * refuses the whole acceptance and changes nothing.
 */
export class ConfigAcceptance {
  /** Acceptances run one at a time, so two never decide against the same pinned rules. */
  private tail: Promise<unknown> = Promise.resolve();

  constructor(private readonly o: ConfigAcceptanceOptions) {}

  get origin(): PinnedOrigin {
    return this.o.pinned.origin;
  }

  accept(sha: string, actor: string, reason: string | null): Promise<AcceptResult> {
    const done = this.tail.then(() => this.acceptNow(sha, actor, reason));
    this.tail = done.catch(() => undefined);
    return done;
  }

  /** Commits whose runs proposed guard changes that are not in force, newest first. */
  async pending(limit = DEFAULT_PENDING_LIMIT): Promise<PendingChange[]> {
    const out: PendingChange[] = [];
    const seen = new Set<string>();
    for (const event of await this.o.store.events.ofKind('config.guard-change-proposed', PROPOSALS_READ)) {
      const sha = typeof event.data.sha === 'string' ? event.data.sha : undefined;
      if (!sha || seen.has(sha)) continue;
      seen.add(sha);
      const text = await this.o.reader.showFile(sha, this.o.configPath);
      const parsed = text === undefined ? undefined : parseConfigText(text, this.o.configPath);
      if (!parsed?.ok) continue;
      const changes = diffGuardRules(this.o.pinned.config, parsed.config);
      if (changes.length > 0) out.push({ sha, proposedAt: event.at, proposedBy: event.actor, changes });
      if (out.length >= limit) break;
    }
    return out;
  }

  private async acceptNow(wanted: string, actor: string, reason: string | null): Promise<AcceptResult> {
    const { pinned, store, clock, configPath } = this.o;
    const sha = await this.commit(wanted);
    const short = sha.slice(0, 7);
    const text = await this.o.reader.showFile(sha, configPath);
    if (text === undefined) throw new ConfigError('CONFIG_NOT_FOUND', `commit ${short} has no ${configPath}`, { hint: 'Accept a commit that carries the gantry.yaml whose rules you want. Nothing was changed.' });
    const parsed = parseConfigText(text, `${configPath}@${short}`);
    if (!parsed.ok) {
      const [first] = parsed.errors;
      const lines = parsed.errors.map((i) => `  ${i.file}:${i.line}:${i.col} ${i.code} ${i.message}`);
      throw new ConfigError(first?.code ?? 'CONFIG_INVALID_VALUE', `${configPath} at ${short} is not valid (${parsed.errors.length} problem(s)); nothing was accepted:\n${lines.join('\n')}`, {
        where: first ? `${first.file}:${first.line}:${first.col}${first.path.length > 0 ? ` (${formatPath(first.path)})` : ''}` : `${configPath}@${short}`,
        hint: 'Fix gantry.yaml (`gantry validate`), push, and accept the fixed commit.',
        details: { errors: parsed.errors },
      });
    }
    const overlay = withGuardRules(pinned.file, parsed.config);
    if (overlay.unapplied.length > 0) {
      throw new GantryError('CONFIG_GUARD_CHANGE_UNAPPLIED', `${short} changes guard rules that cannot apply while the server runs: ${overlay.unapplied.join('; ')}`, {
        hint: "Environments and targets are added or removed in the server's own gantry.yaml (--config), then the server restarted. Nothing was accepted.",
      });
    }
    const changes = diffGuardRules(pinned.config, overlay.config);
    if (changes.length === 0) return { accepted: false, sha, changes, origin: pinned.origin };

    const now = clock.now();
    const hash = contentHash(text);
    // Audited first (write-ahead): rules are never in force without their audit event.
    await store.events.append('config.guard-change-accepted', actor, null, { sha, reason, changes, hash }, now);
    const row = await pinned.repository.add({ source: 'commit', sha, path: configPath, contentHash: hash, text, actor, reason, createdAt: now });
    pinned.adopt(overlay.config, row);
    return { accepted: true, sha, changes, origin: pinned.origin };
  }

  /** The full sha of a commit the mirror has, fetching once when it does not know it yet. */
  private async commit(wanted: string): Promise<string> {
    const known = await this.o.reader.resolve(wanted);
    if (known) return known;
    await this.o.refresh();
    const fetched = await this.o.reader.resolve(wanted);
    if (fetched) return fetched;
    throw new NotFoundError('COMMIT_NOT_FOUND', `no commit ${wanted} in the repository`, {
      hint: 'Push it first, or check the sha: `gantry runs` lists the sha of each run, and a run whose gantry.yaml changes guard rules says so in its notes.',
    });
  }
}
