import type { GantryConfig, GitHubConfig } from '../../config/types.js';
import { isTerminalRun } from '../../domain/phases.js';
import type { EngineBus } from '../../engine/events.js';
import type { Logger } from '../../kernel/logger.js';
import type { Redactor } from '../../secrets/redactor.js';
import type { SecretSource } from '../../secrets/source.js';
import type { Store } from '../../store/store.js';
import { declaredGates, gatesOf, planStatuses, type CommitStatus } from './commit-status.js';
import { createGitHubClient, GitHubApiError, githubToken, type GitHubClient } from './github-client.js';

export interface StatusReporterOptions {
  readonly store: Store;
  readonly bus: EngineBus;
  readonly logger: Logger;
  /** gantry.yaml's `github:` (repo, apiUrl, token); without it nothing is posted. */
  readonly github: GitHubConfig | undefined;
  readonly secrets: SecretSource;
  readonly redactor: () => Redactor;
  /** The run's page for people: `<publicUrl>/#/runs/<id>`. */
  readonly runUrl: (runId: number) => string;
  /** The server's pinned config: its gates stand in for those of a commit whose gantry.yaml is not valid. */
  readonly pinned: () => GantryConfig;
  /** How long to wait before trying a run's statuses again after GitHub failed (default 30 s). */
  readonly retryLaterMs?: number;
}

export const DEFAULT_STATUS_RETRY_LATER_MS = 30_000;
const STOP_WAIT_MS = 2_000;
const REMEMBERED_RUNS = 500;
/** After this many failed passes for one run, its statuses are given up on (and that is logged). */
const MAX_PASSES = 10;
/** Runs whose commit statuses tell about the commit: CI of a push or of a pull request's head. */
const REPORTED_TRIGGERS: ReadonlySet<string> = new Set(['push', 'pull_request']);

/**
 * Posts each run's results to GitHub as commit statuses, as its steps change state. It only listens
 * to the engine's events and works on its own queue: GitHub being slow or down never blocks or
 * fails a run. Each run is posted in order; only statuses that changed are sent again.
 */
export class StatusReporter {
  private readonly dirty = new Set<number>();
  private readonly posted = new Map<number, Map<string, string>>();
  private readonly failures = new Map<number, number>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private controller = new AbortController();
  private draining: Promise<void> | undefined;
  private unsubscribe: (() => void) | undefined;
  private warnedNoToken = false;
  private client: { key: string; client: GitHubClient } | undefined;

  constructor(private readonly o: StatusReporterOptions) {}

  /** Starts listening; again after a stop too (another server held the reporting role meanwhile). */
  start(): void {
    if (!this.o.github || this.unsubscribe) return;
    if (this.controller.signal.aborted) this.controller = new AbortController();
    this.unsubscribe = this.o.bus.subscribe((e) => {
      if (e.type !== 'log') this.mark(e.runId);
    });
  }

  /**
   * Stops listening and abandons calls in flight (statuses are advisory; the run's outcome is in the
   * store). A call waiting between plugin-retry's tries cannot be interrupted, so a stop waits for it
   * at most STOP_WAIT_MS.
   */
  async stop(): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    for (const t of this.timers) clearTimeout(t);
    this.controller.abort();
    this.dirty.clear();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.draining, new Promise<void>((resolve) => (timer = setTimeout(resolve, STOP_WAIT_MS)))]);
    clearTimeout(timer);
  }

  private mark(runId: number): void {
    if (this.controller.signal.aborted) return;
    this.dirty.add(runId);
    this.draining ??= this.drain().finally(() => (this.draining = undefined));
  }

  private async drain(): Promise<void> {
    for (let next = this.take(); next !== undefined; next = this.take()) {
      await this.report(next).catch((error: unknown) => this.o.logger.error({ err: error, runId: next }, `GitHub statuses of run #${next}: unexpected failure`));
    }
  }

  private take(): number | undefined {
    const first = this.dirty.values().next();
    if (first.done) return undefined;
    this.dirty.delete(first.value);
    return first.value;
  }

  /** One client (and its connections) while the token stays the same; a rotated token gets a new one. */
  private clientFor(apiUrl: string | undefined, token: string): GitHubClient {
    const key = `${apiUrl ?? ''}\n${token}`;
    if (this.client?.key !== key) this.client = { key, client: createGitHubClient({ apiUrl, token, logger: this.o.logger }) };
    return this.client.client;
  }

  private token(github: GitHubConfig): string | undefined {
    const name = github.token?.secret;
    const token = githubToken(github, this.o.secrets);
    if (!token && !this.warnedNoToken) {
      this.warnedNoToken = true;
      this.o.logger.warn({}, name ? `GitHub statuses are not posted: the secret ${name} (github.token) is not set` : 'GitHub statuses are not posted: gantry.yaml has no github.token');
    }
    return token;
  }

  private async statusesOf(runId: number): Promise<{ sha: string; terminal: boolean; statuses: CommitStatus[] } | undefined> {
    const run = await this.o.store.runs.get(runId);
    if (!run || !REPORTED_TRIGGERS.has(run.trigger)) return undefined;
    const steps = await this.o.store.steps.forRun(runId);
    const row = await this.o.store.db.selectFrom('runs').select('config_json').where('id', '=', runId).executeTakeFirst();
    const declared = row?.config_json ? declaredGates(row.config_json) : undefined;
    const statuses = planStatuses({ run, steps, declaredGates: declared ?? gatesOf(this.o.pinned()), configValid: declared !== undefined, runUrl: this.o.runUrl(runId) });
    return { sha: run.sha, terminal: isTerminalRun(run.state), statuses };
  }

  private async report(runId: number): Promise<void> {
    const github = this.o.github;
    if (!github) return;
    const token = this.token(github);
    const facts = token ? await this.statusesOf(runId) : undefined;
    if (!token || !facts) return;
    const client = this.clientFor(github.apiUrl, token);
    const posted = this.posted.get(runId) ?? new Map<string, string>();
    this.posted.set(runId, posted);
    const redactor = this.o.redactor();
    const [owner = '', repo = ''] = github.repo.split('/');
    for (const s of facts.statuses) {
      const description = redactor.redact(s.description);
      const key = `${s.state}\n${description}`;
      if (posted.get(s.context) === key) continue;
      try {
        await client.send({
          method: 'POST',
          path: `/repos/${encodeURIComponent(owner)}/${encodeURIComponent(repo)}/statuses/${facts.sha}`,
          body: { state: s.state, context: s.context, description, target_url: s.targetUrl },
          signal: this.controller.signal,
        });
        posted.set(s.context, key);
        // The run moved on meanwhile: what is left of this pass may be stale (a pending that is
        // already a result). The next pass re-reads it, so a slow GitHub gets each final state once.
        if (this.dirty.has(runId)) return;
      } catch (error: unknown) {
        if (this.controller.signal.aborted) return;
        if (error instanceof GitHubApiError && !error.retryable) {
          // GitHub will answer the same again (bad token, unknown repo or sha): say so once, move on.
          this.o.logger.error({ code: error.code, runId, context: s.context, status: error.status }, `GitHub refused the status ${s.context} of run #${runId}: ${error.message}`);
          posted.set(s.context, key);
          continue;
        }
        this.later(runId, error);
        return;
      }
    }
    if (facts.terminal) {
      this.failures.delete(runId);
      // Events can still come after the end (clean-up); what was posted is kept for the latest
      // finished runs so they are not posted again, and forgotten beyond that.
      for (const old of this.posted.keys()) {
        if (this.posted.size <= REMEMBERED_RUNS) break;
        if (old !== runId) this.posted.delete(old);
      }
    }
  }

  /** GitHub is down even after plugin-retry's tries: the whole run is looked at again later. */
  private later(runId: number, error: unknown): void {
    const passes = (this.failures.get(runId) ?? 0) + 1;
    this.failures.set(runId, passes);
    const message = error instanceof Error ? error.message : String(error);
    const code = error instanceof GitHubApiError ? error.code : undefined;
    if (passes >= MAX_PASSES) {
      this.o.logger.error({ code, runId }, `GitHub statuses of run #${runId} given up after ${passes} attempts: ${message}`);
      this.failures.delete(runId);
      return;
    }
    const delay = this.o.retryLaterMs ?? DEFAULT_STATUS_RETRY_LATER_MS;
    this.o.logger.warn({ code, runId, attempt: passes }, `GitHub statuses of run #${runId} not posted (${message}); trying again in ${Math.round(delay / 1000)} s`);
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.mark(runId);
    }, delay);
    timer.unref();
    this.timers.add(timer);
  }
}
