import { existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../../kernel/logger.js';
import { isAlive, probeAgent, readAgentRecord, recordWrittenAt, STOPPED_MARKER, type Probe } from './agent-probe.js';
import { type AgentState, type AgentStatus, agentEvent, type AgentEvent, workerRestarted } from './agent-status.js';

export const DEFAULT_AGENT_WATCH_MS = 2_000;
/** An agent whose process runs but has not answered for this long is reported down (once). */
export const UNRESPONSIVE_ALERT_MS = 15_000;

export interface AgentWatchOptions {
  /** One folder per target below it, each with the agent.json its agent wrote. */
  readonly agentsDir: string;
  /** The local targets of gantry.yaml, with the environments each serves. */
  readonly targets: () => ReadonlyArray<{ readonly name: string; readonly environments: readonly string[] }>;
  readonly token: (target: string) => Promise<string>;
  /** Starts the target's agent again, as a deployment would (AgentLauncher); throws when it cannot. */
  readonly revive: (target: string) => Promise<void>;
  /** Appends to the audit log (and so reaches the notifiers). */
  readonly record: (event: AgentEvent) => Promise<void>;
  readonly logger: Logger;
  readonly now: () => number;
  readonly intervalMs?: number;
  /**
   * Whether this server may start a gone agent again and record what it saw (default: always).
   * With several servers on one database only one may; the others only look.
   */
  readonly mayAct?: () => boolean;
}

interface Seen {
  status: AgentStatus;
  /** Since when it has not answered; null while it answers. */
  silentSince: number | null;
  /** An outage is reported once, until the agent answers again. */
  alerted: boolean;
}

/**
 * The control plane's look at every agent it started, every `intervalMs`, whether or not a
 * deployment runs: an agent whose process is gone is started again at once (through the same
 * launcher a deployment uses), a worker restart the agent did itself is recorded, and an agent that
 * cannot be started or does not answer is reported down. A target whose agent was never started, or
 * was stopped by the control plane on purpose, is only looked at, never started.
 */
export class AgentWatch {
  private readonly seen = new Map<string, Seen>();
  /** The look still under way per target. */
  private readonly busy = new Map<string, Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = true;

  constructor(private readonly o: AgentWatchOptions) {}

  get intervalMs(): number {
    return this.o.intervalMs ?? DEFAULT_AGENT_WATCH_MS;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.schedule(0);
  }

  /** Waits for a look in progress (and a start it began) to end; no look starts after. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
    await Promise.all(this.busy.values());
  }

  /** The latest look at each target (never-started ones included). */
  statuses(): AgentStatus[] {
    return this.o.targets().map((t) => this.seen.get(t.name)?.status ?? { target: t.name, environments: t.environments, state: 'never-started', pid: null, workerPid: null, url: null, startedAt: null, workerRestarts: null, checkedAt: null, error: null });
  }

  /**
   * One look at every target now (the loop's body). A target still busy from an earlier look (an
   * agent slow to start) is skipped, and the loop waits for the looks at most one interval: a slow
   * start of one agent never holds up the looks at the others.
   */
  async check(): Promise<void> {
    const looks = this.o.targets()
      .filter((t) => !this.busy.has(t.name))
      .map((t) => {
        const look = this.checkOne(t.name, t.environments)
          .catch((error: unknown) => this.o.logger.error({ err: error, target: t.name }, 'agent watch: a look at the agent failed'))
          .finally(() => this.busy.delete(t.name));
        this.busy.set(t.name, look);
        return look;
      });
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all(looks), new Promise<void>((resolve) => (timer = setTimeout(resolve, this.intervalMs)))]);
    clearTimeout(timer);
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      const started = this.o.now();
      this.running = this.check().finally(() => this.schedule(Math.max(0, this.intervalMs - (this.o.now() - started))));
    }, delayMs);
  }

  private async checkOne(target: string, environments: readonly string[]): Promise<void> {
    const dir = join(this.o.agentsDir, target);
    const record = await readAgentRecord(dir);
    if (!record) return;
    const before = this.seen.get(target);
    const probe = await probeAgent(record, await this.o.token(target));
    if (probe.state === 'healthy') return this.answered(target, environments, probe, before);
    if (probe.state === 'gone' && this.acting() && !(await this.stoppedOnPurpose(dir))) return this.revive(target, environments, probe);
    const state: AgentState = probe.state === 'gone' ? 'stopped' : 'unresponsive';
    const silentSince = before?.silentSince ?? this.o.now();
    const entry: Seen = { status: this.status(target, environments, state, probe), silentSince, alerted: before?.alerted ?? false };
    this.seen.set(target, entry);
    if (state === 'unresponsive' && !entry.alerted && this.o.now() - silentSince >= UNRESPONSIVE_ALERT_MS) {
      entry.alerted = true;
      await this.record(agentEvent('agent.down', target, environments, { pid: record.pid, cause: `agent process ${record.pid} runs but has not answered for ${Math.round((this.o.now() - silentSince) / 1000)} s (${probe.error})` }));
    }
  }

  private async answered(target: string, environments: readonly string[], probe: Extract<Probe, { state: 'healthy' }>, before: Seen | undefined): Promise<void> {
    this.seen.set(target, { status: this.status(target, environments, 'healthy', probe), silentSince: null, alerted: false });
    if (before?.alerted && before.status.pid === probe.health.pid) {
      // Reported down, it answers again without a restart (it was stuck, not gone): the alert is over.
      const silentS = Math.round((this.o.now() - (before.silentSince ?? this.o.now())) / 1000);
      await this.record(agentEvent('agent.recovered', target, environments, { pid: probe.health.pid, cause: `agent process ${probe.health.pid} answers again after ${silentS} s without one` }));
    }
    const previous = before?.status;
    if (previous?.pid && previous.pid !== probe.health.pid && previous.state !== 'stopped' && !isAlive(previous.pid)) {
      // Gone and already replaced before this look: a deployment that needed it (same launcher) or someone by hand.
      await this.record(agentEvent('agent.restarted', target, environments, { pid: probe.health.pid, previousPid: previous.pid, scope: 'agent', by: 'other', cause: `agent process ${previous.pid} was gone; started again before the watch's look (by a deployment that needed it, or by hand)` }));
      return;
    }
    if (!previous || previous.pid !== probe.health.pid) return;
    const restarted = workerRestarted(previous.workerRestarts, probe.health);
    if (restarted) await this.record(agentEvent('agent.restarted', target, environments, { pid: probe.health.pid, workerPid: probe.health.workerPid ?? null, scope: 'worker', by: 'agent', cause: restarted.cause, workerRestarts: restarted.count }));
  }

  private async revive(target: string, environments: readonly string[], probe: Extract<Probe, { state: 'gone' }>): Promise<void> {
    const gone = probe.record.pid;
    const before = this.seen.get(target);
    // Tried again at every look while it stays down: it reads down, not starting, until one succeeds.
    const state: AgentState = before?.status.state === 'down' ? 'down' : 'starting';
    const status = this.status(target, environments, state, probe);
    this.seen.set(target, { ...(before ?? { silentSince: this.o.now(), alerted: false }), status: state === 'down' ? { ...status, error: before?.status.error ?? status.error } : status });
    this.o.logger.warn({ target, pid: gone }, `agent process ${gone} of target ${target} is gone; starting it again`);
    const began = this.o.now();
    try {
      await this.o.revive(target);
    } catch (error: unknown) {
      const message = error instanceof Error ? error.message : String(error);
      const entry = this.seen.get(target);
      if (entry) entry.status = { ...entry.status, state: 'down', error: message };
      if (entry && !entry.alerted) {
        entry.alerted = true;
        await this.record(agentEvent('agent.down', target, environments, { pid: gone, cause: `agent process ${gone} was gone and could not be started again: ${message}` }));
      }
      return;
    }
    const now = await readAgentRecord(join(this.o.agentsDir, target));
    const pid = now && now.pid !== gone && isAlive(now.pid) ? now.pid : null;
    this.seen.delete(target);
    await this.record(agentEvent('agent.restarted', target, environments, { pid, previousPid: gone, scope: 'agent', by: 'control-plane', startMs: this.o.now() - began, cause: `agent process ${gone} was gone; started again by the control plane` }));
    // Its status comes from a real look, not from what the launcher said.
    await this.checkOne(target, environments);
  }

  private acting(): boolean {
    return this.o.mayAct?.() ?? true;
  }

  /** Only the acting server records: one agent.restarted per restart, however many servers look. */
  private async record(event: AgentEvent): Promise<void> {
    if (this.acting()) await this.o.record(event);
  }

  private async stoppedOnPurpose(dir: string): Promise<boolean> {
    const marker = join(dir, STOPPED_MARKER);
    if (!existsSync(marker)) return false;
    return (await stat(marker)).mtimeMs >= (await recordWrittenAt(dir));
  }

  private status(target: string, environments: readonly string[], state: AgentState, probe: Probe): AgentStatus {
    const h = probe.state === 'healthy' ? probe.health : undefined;
    // A look that got no answer keeps what the last answer said about the same process: a worker
    // restart is counted against it when the agent answers again.
    const last = this.seen.get(target)?.status;
    const kept = !h && last?.pid === probe.record.pid ? last : undefined;
    return {
      target,
      environments,
      state,
      pid: h?.pid ?? probe.record.pid,
      workerPid: h?.workerPid ?? probe.record.workerPid ?? kept?.workerPid ?? null,
      url: probe.record.url,
      startedAt: h?.startedAt ?? kept?.startedAt ?? null,
      workerRestarts: h?.workerRestarts ?? kept?.workerRestarts ?? null,
      checkedAt: this.o.now(),
      error: probe.state === 'healthy' ? null : probe.error,
    };
  }
}
