import { ApiClient } from '../client.js';
import { followRun, printFailure, runSummary } from '../follow.js';
import type { Output } from '../output.js';
import type { RunView } from '../../server/views.js';
import { LoadDriver } from './load-driver.js';
import type { DemoReceivers } from './receivers.js';
import type { ScratchRepo } from './scratch-repo.js';
import type { ImagesSummary } from './demo-images.js';

interface EnvironmentView {
  name: string;
  services: Array<{ service: string; port: number | null; live: { revision: number; release: string; state: string } | null }>;
}

export interface Summary {
  ok: boolean;
  environments: Record<string, Record<string, { release: string | null; revision: number | null; url: string | null; servedRelease: string | null }>>;
  rollbacks: number;
  failedRequestsDuringSwitch: number;
  requestsDuringSwitch: number;
  notifications: { slack: number; critical: number; incidents: number };
  dora: {
    deploymentFrequency: { perDay: number | null; band: string | null };
    leadTimeForChanges: { medianMs: number | null; p90Ms: number | null; band: string | null };
    changeFailureRate: { rate: number | null; band: string | null };
    failedDeploymentRecoveryTime: { medianMs: number | null; band: string | null };
  };
  problems: string[];
  /** With --target docker: the digests each environment runs and the containers at the end. */
  images?: ImagesSummary;
}

export interface FollowOptions {
  readonly loadOn?: string;
  readonly approveAs?: readonly string[];
  readonly expectFailure?: boolean;
}

const PHRASE = 'DEPLOY TO PRODUCTION';

/** The demo's side of the conversation with the server: push, follow, approve, measure. */
export class DemoSession {
  private lastRunId = 0;
  private readonly tokens = new Map<string, string>();
  private readonly problems: string[] = [];
  private switchRequests = 0;
  private switchFailures = 0;
  private rollbacks = 0;

  constructor(
    private readonly client: ApiClient,
    private readonly out: Output,
    private readonly log: (text: string) => void,
    private readonly repo: ScratchRepo,
    private readonly receivers: DemoReceivers,
    /** Per environment, services users never call (watched by their health): the demo sends them nothing. */
    private readonly withoutTraffic: Readonly<Record<string, readonly string[]>> = {},
  ) {}

  /** Two release managers the example lists as production approvers. */
  async createApprovers(): Promise<void> {
    for (const user of ['alice', 'bob']) {
      const created = await this.client.request<{ token: string }>('POST', '/api/v1/tokens', { user, email: `${user}@volteryde.example`, roles: ['approver:production', 'viewer:*'] });
      this.tokens.set(user, created.token);
    }
  }

  async merge(from: string, to: string): Promise<void> {
    await this.repo.git('checkout', '--quiet', to);
    await this.repo.git('merge', '--quiet', '--no-ff', '-m', `Merge ${from} into ${to}`, from);
    await this.repo.push(to);
  }

  private async urls(environment: string): Promise<string[]> {
    const { environments } = await this.client.request<{ environments: EnvironmentView[] }>('GET', '/api/v1/environments');
    const env = environments.find((e) => e.name === environment);
    const quiet = this.withoutTraffic[environment] ?? [];
    return (env?.services ?? []).filter((s) => s.port !== null && !quiet.includes(s.service)).map((s) => `http://127.0.0.1:${s.port ?? 0}/healthz`);
  }

  async followPush(branch: string, o: FollowOptions = {}): Promise<RunView> {
    const run = await this.waitForRun(branch);
    this.log(`   run #${run.id} for ${branch}@${run.sha.slice(0, 7)}${run.environment ? ` → ${run.environment}` : ' (CI only)'}`);
    const load = o.loadOn ? new LoadDriver(await this.urls(o.loadOn)) : undefined;
    load?.start();
    const quiet = o.loadOn ? (this.withoutTraffic[o.loadOn] ?? []) : [];
    if (quiet.length > 0) this.log(`   no traffic to ${quiet.join(', ')}: users never call them; the watch judges them by their health`);
    const approving = o.approveAs ? this.approve(run.id, o.approveAs) : Promise.resolve();
    const finished = await followRun(this.client, this.out, run.id, { quiet: this.out.json });
    await approving;
    if (load) {
      const { ok, failed } = await load.stop();
      this.log(`   traffic through the ${o.loadOn} routers meanwhile: ${ok} ok, ${failed} failed`);
      if (o.loadOn === 'production') {
        this.switchRequests += ok + failed;
        this.switchFailures += failed;
      }
    }
    this.log(`   ${runSummary(this.out, finished)}`);
    if (finished.state === 'failed' && !this.out.json) printFailure(this.out, finished);
    const expected = o.expectFailure ? 'failed' : 'succeeded';
    if (finished.state !== expected) this.problems.push(`run #${finished.id} (${branch}) ${finished.state}, expected ${expected}`);
    if (o.expectFailure) {
      const { steps } = await this.client.request<{ steps: Array<{ kind: string; state: string; summary: { rolledBack?: string[] } | null }> }>('GET', `/api/v1/runs/${finished.id}`);
      const rollback = steps.find((s) => s.kind === 'rollback');
      if (rollback?.state !== 'succeeded') this.problems.push(`run #${finished.id}: the automatic rollback did not run`);
      else this.log(`   automatic rollback done; production still serves the previous release`);
      if (o.loadOn === 'production') await this.expectEmergencyNotices();
    }
    return finished;
  }

  private async waitForRun(branch: string): Promise<RunView> {
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      const { runs } = await this.client.request<{ runs: RunView[] }>('GET', `/api/v1/runs?branch=${encodeURIComponent(branch)}&limit=1`);
      const run = runs[0];
      if (run && run.id > this.lastRunId) {
        this.lastRunId = run.id;
        return run;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`no run started for ${branch} within a minute`);
  }

  /** Plays the two release managers: each approves once the run asks, with the typed phrase. */
  private async approve(runId: number, users: readonly string[]): Promise<void> {
    const deadline = Date.now() + 600_000;
    while (Date.now() < deadline) {
      const { approvals } = await this.client.request<{ approvals: Array<{ run: RunView; kind: string }> }>('GET', '/api/v1/approvals');
      if (approvals.some((a) => a.run.id === runId && a.kind === 'deploy')) break;
      const { run } = await this.client.request<{ run: RunView }>('GET', `/api/v1/runs/${runId}`);
      if (['succeeded', 'failed', 'cancelled'].includes(run.state)) return;
      await new Promise((r) => setTimeout(r, 200));
    }
    for (const user of users) {
      const as = new ApiClient(this.client.baseUrl, this.tokens.get(user));
      await as.request('POST', `/api/v1/runs/${runId}/approve`, { confirm: PHRASE, comment: 'release checklist done' });
      this.log(`   ${user} approved run #${runId} (typed "${PHRASE}")`);
    }
  }

  /** A production emergency rollback must reach people: a critical Slack message and a PagerDuty incident. */
  private async expectEmergencyNotices(): Promise<void> {
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline && (this.receivers.critical().length === 0 || this.receivers.pagerduty().length === 0)) await new Promise((r) => setTimeout(r, 100));
    const incident = this.receivers.pagerduty().find((r) => (r.body as { event_action?: string }).event_action === 'trigger');
    if (this.receivers.critical().length === 0) this.problems.push('no critical Slack message arrived for the production rollback');
    else this.log(`   Slack got a critical message: ${JSON.stringify((this.receivers.critical()[0]?.body as { text?: string }).text ?? '')}`);
    if (!incident) this.problems.push('no PagerDuty incident was triggered for the production rollback');
    else this.log(`   PagerDuty incident triggered: ${(incident.body as { dedup_key?: string }).dedup_key ?? ''}`);
  }

  async summary(): Promise<Summary> {
    const { environments } = await this.client.request<{ environments: EnvironmentView[] }>('GET', '/api/v1/environments');
    const out: Summary['environments'] = {};
    for (const env of environments) {
      out[env.name] = {};
      for (const s of env.services) {
        const url = s.port === null ? null : `http://127.0.0.1:${s.port}`;
        const servedRelease = url ? await this.servedRelease(url) : null;
        if (s.live && servedRelease !== s.live.release) this.problems.push(`${env.name}/${s.service} serves ${servedRelease ?? 'nothing'}, Gantry recorded ${s.live.release.slice(0, 7)}`);
        const entry = { release: s.live?.release ?? null, revision: s.live?.revision ?? null, url, servedRelease };
        (out[env.name] as Record<string, typeof entry>)[s.service] = entry;
      }
      const history = await this.client.request<{ deployments: Array<{ state: string }> }>('GET', `/api/v1/environments/${env.name}/history?limit=500`);
      this.rollbacks += history.deployments.filter((d) => d.state === 'rolled-back').length;
    }
    if (this.switchFailures > 0) this.problems.push(`${this.switchFailures} request(s) failed during production switches`);
    const report = await this.client.request<{ overall: { deploymentFrequency: { perDay: number | null; band: string | null }; leadTime: { medianMs: number | null; p90Ms: number | null; band: string | null }; changeFailureRate: { rate: number | null; band: string | null }; recoveryTime: { medianMs: number | null; band: string | null } } }>('GET', '/api/v1/dora?window=30d&environment=production');
    const o = report.overall;
    const dora: Summary['dora'] = {
      deploymentFrequency: { perDay: o.deploymentFrequency.perDay, band: o.deploymentFrequency.band },
      leadTimeForChanges: { medianMs: o.leadTime.medianMs, p90Ms: o.leadTime.p90Ms, band: o.leadTime.band },
      changeFailureRate: { rate: o.changeFailureRate.rate, band: o.changeFailureRate.band },
      failedDeploymentRecoveryTime: { medianMs: o.recoveryTime.medianMs, band: o.recoveryTime.band },
    };
    const notifications = { slack: this.receivers.slack().length, critical: this.receivers.critical().length, incidents: this.receivers.pagerduty().filter((r) => (r.body as { event_action?: string }).event_action === 'trigger').length };
    return { ok: this.problems.length === 0, environments: out, rollbacks: this.rollbacks, failedRequestsDuringSwitch: this.switchFailures, requestsDuringSwitch: this.switchRequests, notifications, dora, problems: this.problems };
  }

  /** What the router actually serves: every example service reports its release on GET /version. */
  private async servedRelease(url: string): Promise<string | null> {
    try {
      const res = await fetch(`${url}/version`, { signal: AbortSignal.timeout(5_000) });
      return ((await res.json()) as { release?: string | null }).release ?? null;
    } catch {
      return null;
    }
  }

  printSummary(s: Summary): void {
    this.log(this.out.paint('bold', '\nSummary'));
    this.log(`   ${'environment'.padEnd(12)} ${'service'.padEnd(18)} ${'revision'.padEnd(9)} ${'live release'.padEnd(13)} url`);
    for (const [env, services] of Object.entries(s.environments)) {
      for (const [service, v] of Object.entries(services)) {
        this.log(`   ${env.padEnd(12)} ${service.padEnd(18)} ${(v.revision === null ? '-' : `r${v.revision}`).padEnd(9)} ${(v.release?.slice(0, 7) ?? '-').padEnd(13)} ${v.url ?? ''}`);
      }
    }
    const d = s.dora;
    const ms = (v: number | null): string => (v === null ? '-' : v < 60_000 ? `${(v / 1000).toFixed(1)} s` : `${(v / 60_000).toFixed(1)} min`);
    this.log(`   DORA (production, 30 days): ${d.deploymentFrequency.perDay?.toFixed(2) ?? '-'} deployments/day (${d.deploymentFrequency.band ?? '-'}), lead time median ${ms(d.leadTimeForChanges.medianMs)} (${d.leadTimeForChanges.band ?? '-'}), change failure rate ${d.changeFailureRate.rate === null ? '-' : `${(d.changeFailureRate.rate * 100).toFixed(0)} %`} (${d.changeFailureRate.band ?? '-'}), recovery ${ms(d.failedDeploymentRecoveryTime.medianMs)} (${d.failedDeploymentRecoveryTime.band ?? '-'})`);
    this.log(`   notifications: ${s.notifications.slack} to Slack (${s.notifications.critical} critical), ${s.notifications.incidents} PagerDuty incident(s)`);
    this.log(`   rollbacks: ${s.rollbacks}; requests through production during its deployments: ${s.requestsDuringSwitch}, failed: ${s.failedRequestsDuringSwitch}`);
    this.log(s.ok ? this.out.paint('green', '   ok') : this.out.paint('red', `   problems: ${s.problems.join('; ')}`));
  }
}
