import type { EnvironmentConfig, GantryConfig } from '../config/types.js';
import { judgeApproval } from '../domain/approval-rules.js';
import { TriggerKind, isTerminalRun } from '../domain/phases.js';
import { hasRole, type Principal } from '../domain/roles.js';
import type { Run } from '../domain/run.js';
import { ApprovalError, GantryError, NotFoundError } from '../errors/index.js';
import type { Store } from '../store/store.js';
import { findAwaitingDecision } from './awaiting-decision.js';
import { recordCanaryDecision, type CanaryDecisionOutcome } from './canary-decisions.js';
import type { CanaryDecision } from '../domain/canary.js';
import type { ApproverGroups } from './approver-groups.js';
import type { Clock } from '../kernel/clock.js';
import type { EngineBus } from './events.js';
import type { Executor } from './executor.js';
import type { RepositoryReader } from './repository-reader.js';
import type { RunFactory } from './run-factory.js';
import { restoreTargets, weightNotes, withResourcesStep } from './restore-targets.js';
import { planRollback, previousRevision, type RollbackTarget } from './rollback-plan.js';

export interface EngineOptions {
  readonly store: Store;
  readonly executor: Executor;
  readonly factory: RunFactory;
  readonly bus: EngineBus;
  readonly reader: RepositoryReader;
  readonly clock: Clock;
  readonly pinned: () => GantryConfig;
  /** Brings the reader up to date with the source (a fetch), before a ref is resolved. */
  readonly refresh: () => Promise<void>;
  /** Who is in an approver @group. */
  readonly groups: ApproverGroups;
}

export interface DispatchRequest {
  readonly environment: string;
  readonly ref?: string;
  /** Redeploy an earlier release (its commit sha or a prefix) without building. */
  readonly release?: string;
  readonly confirm?: string;
  readonly overridePromotion?: { readonly reason: string };
}

export interface RollbackRequest {
  readonly environment: string;
  readonly service?: string;
  readonly toRevision?: number;
  readonly reason?: string;
}

const forbidden = (what: string, role: string): GantryError => new GantryError('FORBIDDEN', `${what} needs the ${role} role`, { hint: `Ask an admin for a token with ${role} (gantry token create --user NAME --role ${role}).` });

const APPROVAL_HINTS: Partial<Record<string, string>> = {
  APPROVAL_NOT_LISTED: 'Ask one of the approvers gantry.yaml lists for this environment (by name or through its groups).',
  APPROVAL_GROUP_UNRESOLVED: "Check that the github.token secret is set and can read the organisation's teams (read:org), then approve again.",
};

/** What the outside (API, watcher, CLI) asks of the engine. Every change goes through the store first. */
export class Engine {
  constructor(private readonly o: EngineOptions) {}

  get bus(): EngineBus {
    return this.o.bus;
  }

  private started(run: Run): Run {
    this.o.bus.emit({ type: 'run', runId: run.id, state: run.state });
    this.o.executor.wake();
    return run;
  }

  private environment(name: string): EnvironmentConfig {
    const env = this.o.pinned().environments[name];
    if (!env) {
      throw new GantryError('UNKNOWN_ENVIRONMENT', `environment "${name}" is not declared in gantry.yaml`, { hint: `Known environments: ${Object.keys(this.o.pinned().environments).join(', ') || 'none'}.` });
    }
    return env;
  }

  async push(branch: string, sha: string, previousSha: string | null): Promise<Run> {
    return this.started(await this.o.factory.create({ kind: TriggerKind.Push, ref: branch, branch, sha, previousSha, triggeredBy: 'git push' }));
  }

  /** Runs a ref (default: the environment's branch) or an earlier release through to the environment. */
  async dispatch(request: DispatchRequest, by: Principal): Promise<Run> {
    const env = this.environment(request.environment);
    if (!hasRole(by, 'deployer', env.name)) throw forbidden(`dispatching to ${env.name}`, `deployer:${env.name}`);
    if (env.confirmation !== undefined) {
      if (request.confirm === undefined) throw new GantryError('CONFIRMATION_REQUIRED', `dispatching to ${env.name} needs the typed phrase "${env.confirmation}"`, { hint: `Pass --confirm "${env.confirmation}".` });
      if (request.confirm !== env.confirmation) throw new GantryError('CONFIRMATION_MISMATCH', `the typed phrase does not match; ${env.name} needs "${env.confirmation}" exactly`);
    }
    if (request.overridePromotion && !hasRole(by, 'admin', env.name)) throw forbidden('overriding the promotion policy', 'admin');
    const override = request.overridePromotion ? { by: by.user, reason: request.overridePromotion.reason } : undefined;
    await this.o.refresh();
    if (request.release !== undefined) {
      const matches = await this.o.store.releases.findReleases(request.release);
      const sha = matches[0];
      if (!sha || matches.length > 1) {
        throw new GantryError('RELEASE_NOT_FOUND', matches.length > 1 ? `"${request.release}" matches several releases` : `no release "${request.release}" was ever built`, { hint: 'Use a longer sha; `gantry history <env>` lists releases.' });
      }
      const run = await this.o.factory.create({ kind: TriggerKind.Dispatch, ref: sha, branch: null, sha, environment: env.name, triggeredBy: by.user, redeploy: true, ...(override ? { overridePromotion: override } : {}) });
      await this.audited('dispatch.requested', by, run, { environment: env.name, ref: null, release: sha, sha, overridePromotion: override?.reason ?? null });
      return this.started(run);
    }
    const wanted = request.ref ?? env.branch;
    for (const candidate of [`refs/heads/${wanted}`, `refs/tags/${wanted}`, wanted]) {
      const sha = await this.o.reader.resolve(candidate);
      if (!sha) continue;
      const branch = candidate.startsWith('refs/heads/') ? wanted : null;
      const run = await this.o.factory.create({ kind: TriggerKind.Dispatch, ref: wanted, branch, sha, environment: env.name, triggeredBy: by.user, ...(override ? { overridePromotion: override } : {}) });
      await this.audited('dispatch.requested', by, run, { environment: env.name, ref: wanted, release: null, sha, overridePromotion: override?.reason ?? null });
      return this.started(run);
    }
    throw new GantryError('UNKNOWN_REF', `"${wanted}" is not a branch, tag or commit of the repository`, { hint: 'Push it first, or check the spelling.' });
  }

  private async activeRun(runId: number): Promise<Run> {
    const run = await this.o.store.runs.get(runId);
    if (!run) throw new NotFoundError('RUN_NOT_FOUND', `run #${runId} does not exist`, { hint: 'List runs with `gantry runs`.' });
    if (isTerminalRun(run.state)) throw new GantryError('RUN_ALREADY_FINISHED', `run #${runId} already ${run.state}`);
    return run;
  }

  async cancel(runId: number, by: Principal): Promise<Run> {
    const run = await this.activeRun(runId);
    await this.o.store.runs.requestCancel(runId);
    await this.audited('cancel.requested', by, run, { environment: run.environment, state: run.state });
    this.o.executor.wake();
    return (await this.o.store.runs.get(runId)) as Run;
  }

  /** Who asked the engine for what, in the hash-chained audit log (invariant 7), once the store holds the change. */
  private audited(kind: string, by: Principal, run: Run, data: Record<string, unknown>): Promise<void> {
    return this.o.store.events.append(kind, by.user, run.id, data, this.o.clock.now());
  }

  /** The members of the @groups in an approvers list, from the pinned config (or GitHub teams it names). */
  approverGroups(approvers: readonly string[]): Promise<Record<string, readonly string[] | null>> {
    return this.o.groups.resolve(this.o.pinned(), approvers);
  }

  /** Records an approval or a rejection after judging it against invariant 5 and the environment's rules. */
  async decide(runId: number, by: Principal, decision: 'approved' | 'rejected', comment: string | undefined, confirm: string | undefined): Promise<{ run: Run; kind: 'deploy' | 'analysis' }> {
    const run = await this.activeRun(runId);
    const steps = await this.o.store.steps.forRun(runId);
    const awaited = await findAwaitingDecision(this.o.store, runId, steps);
    if (!awaited) throw new GantryError('APPROVAL_NOT_PENDING', `run #${runId} is not waiting for an approval`, { hint: 'List runs waiting for approval with `gantry approvals`.' });
    const env = this.environment(awaited.environment);
    const kind = awaited.kind;
    const previous = await this.o.store.approvals.forRun(runId, kind);
    const verdict = judgeApproval(by, {
      environment: env.name,
      authors: run.authors,
      triggeredBy: run.triggeredBy,
      approvedBy: previous.filter((a) => a.decision === 'approved').map((a) => a.user),
      approvers: env.approvals.approvers,
      groups: await this.approverGroups(env.approvals.approvers),
      // Rejecting never needs the phrase; approving a deployment to a guarded environment does.
      confirmation: decision === 'approved' && kind === 'deploy' ? env.confirmation : undefined,
    }, confirm);
    if (!verdict.ok) throw new ApprovalError(verdict.code, verdict.reason, { hint: APPROVAL_HINTS[verdict.code] ?? (verdict.code === 'CONFIRMATION_MISMATCH' ? `Pass --confirm "${env.confirmation ?? ''}".` : 'Ask another approver.') });
    await this.o.store.approvals.add({ runId, environment: env.name, kind, user: by.user, decision, comment: comment ?? null, createdAt: this.o.clock.now() });
    await this.o.store.events.append(decision === 'approved' ? 'approval.approved' : 'approval.rejected', by.user, runId, { environment: env.name, kind, comment: comment ?? null }, this.o.clock.now());
    this.o.executor.wake();
    return { run, kind };
  }

  /** A person's call on a run's running canary: promote ends its pause, abort takes its weight to 0 and rolls it back. Audited. */
  async decideCanary(runId: number, by: Principal, decision: CanaryDecision, comment: string | undefined): Promise<{ run: Run } & CanaryDecisionOutcome> {
    const run = await this.activeRun(runId);
    if (run.environment && !hasRole(by, 'deployer', run.environment)) throw forbidden(`${decision === 'promote' ? 'promoting' : 'aborting'} a canary in ${run.environment}`, `deployer:${run.environment}`);
    const outcome = await recordCanaryDecision(this.o.store, this.o.clock, run, by, decision, comment);
    this.o.executor.wake();
    return { run, ...outcome };
  }

  /** Puts an environment's services (or one) back on an earlier revision, as a run of its own. */
  async rollback(request: RollbackRequest, by: Principal): Promise<Run> {
    const config = this.o.pinned();
    const env = this.environment(request.environment);
    if (!hasRole(by, 'deployer', env.name)) throw forbidden(`rolling back ${env.name}`, `deployer:${env.name}`);
    const services = request.service ? [request.service] : env.services;
    if (request.service && !env.services.includes(request.service)) throw new GantryError('BAD_REQUEST', `${env.name} does not deploy ${request.service}`, { hint: `Its services: ${env.services.join(', ')}.` });
    // Each region has its own previous revision; a rollback run for all of them is not built yet.
    if (env.regions.length > 0) throw new GantryError('ROLLBACK_UNAVAILABLE', `${env.name} deploys to regions, which gantry rollback cannot take back yet`, { hint: `Dispatch the earlier release instead (gantry dispatch ${env.name} --release <sha>): it goes out wave by wave like any release.` });
    const targets: RollbackTarget[] = [];
    for (const service of services) {
      const live = await this.o.store.deployments.live(env.name, service);
      const history = await this.o.store.deployments.history(env.name, service, 500);
      const to = request.toRevision !== undefined ? await this.o.store.deployments.byRevision(env.name, service, request.toRevision) : previousRevision(history, live);
      if (!to) {
        if (request.service || request.toRevision !== undefined) {
          throw new GantryError('ROLLBACK_UNAVAILABLE', request.toRevision !== undefined ? `${env.name}/${service} has no revision ${request.toRevision}` : `${env.name}/${service} has no earlier successful revision`, { hint: `See \`gantry history ${env.name} --service ${service}\`.` });
        }
        continue;
      }
      targets.push({ service, revision: to.revision, release: to.release, digest: to.digest, releaseId: to.releaseId, source: to });
    }
    if (targets.length === 0) throw new GantryError('ROLLBACK_UNAVAILABLE', `no service of ${env.name} has an earlier successful revision`, { hint: `See \`gantry history ${env.name}\`.` });
    const reason = request.reason ?? 'manual rollback';
    const plan = planRollback({ config, environment: env, targets, reason });
    const first = targets[0] as RollbackTarget;
    const run = await this.o.store.runs.create(
      { trigger: TriggerKind.Rollback, branch: null, ref: `rollback ${env.name}`, sha: first.release, baseSha: null, environment: env.name, author: null, triggeredBy: by.user, commitMessage: reason, configJson: null },
      plan,
      this.o.clock.now(),
    );
    await this.o.store.events.append('rollback.requested', by.user, run.id, { environment: env.name, targets: targets.map(({ source, ...t }) => ({ ...t, deploymentId: source?.id ?? null })), reason }, this.o.clock.now());
    return this.started(run);
  }

  /** Deploys exactly the state a backup recorded: each service's recorded spec, strategy and checks (see restore-targets.ts). Audited. */
  async restore(backupId: number, by: Principal, reason: string | undefined): Promise<Run> {
    const backup = await this.o.store.backups.get(backupId);
    if (!backup || backup.expiresAt <= this.o.clock.now()) throw new NotFoundError('BACKUP_NOT_FOUND', `no backup #${backupId}`, { hint: 'List backups with `gantry backup list`.' });
    const env = this.environment(backup.environment);
    if (!hasRole(by, 'deployer', env.name)) throw forbidden(`restoring ${env.name}`, `deployer:${env.name}`);
    if (backup.services.length === 0) throw new GantryError('ROLLBACK_UNAVAILABLE', `backup #${backupId} of ${env.name} holds no service (nothing was deployed when it was taken)`);
    const why = `restore of backup #${backupId}${reason ? `: ${reason}` : ''}`;
    const targets = await restoreTargets(this.o.store, backup);
    const planned = planRollback({ config: this.o.pinned(), environment: env, targets, reason: why });
    const plan = withResourcesStep({ ...planned, notes: [...planned.notes, ...weightNotes(backup)] }, backup, env.target);
    const run = await this.o.store.runs.create(
      { trigger: TriggerKind.Rollback, branch: null, ref: `restore ${env.name} #${backupId}`, sha: targets[0]?.release ?? '', baseSha: null, environment: env.name, author: null, triggeredBy: by.user, commitMessage: why, configJson: null },
      plan,
      this.o.clock.now(),
    );
    await this.o.store.events.append('backup.restored', by.user, run.id, { environment: env.name, backupId, reason: reason ?? null }, this.o.clock.now());
    return this.started(run);
  }

  /** For tests and the demo: resolves when a run has ended. */
  waitForRun(runId: number, timeoutMs?: number): Promise<Run> {
    return this.o.executor.waitForRun(runId, timeoutMs);
  }
}

