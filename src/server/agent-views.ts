import type { AgentState, AgentStatus } from '../targets/local/agent-status.js';
import type { Store } from '../store/store.js';

/** One agent as GET /api/v1/agents, `gantry status` and the dashboard show it (docs/api.md#agents). */
export interface AgentView {
  readonly target: string;
  readonly environments: readonly string[];
  readonly state: AgentState;
  readonly pid: number | null;
  readonly workerPid: number | null;
  readonly startedAt: string | null;
  readonly workerRestarts: number | null;
  readonly checkedAt: string | null;
  readonly error: string | null;
  /** The newest agent.restarted of the audit log for this target. */
  readonly lastRestart: AgentRestartView | null;
}

export interface AgentRestartView {
  readonly at: string;
  readonly cause: string;
  /** `agent`: the control plane started the whole agent again; `worker`: the agent restarted its worker. */
  readonly scope: string;
  readonly pid: number | null;
}

/** How far back the audit log is read for each target's last restart. */
const RESTARTS_READ = 500;

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/** The watch's latest looks, with each target's newest restart from the audit log (which outlives a server restart). */
export async function agentViews(statuses: readonly AgentStatus[], store: Store): Promise<AgentView[]> {
  const restarts = await store.events.ofKind('agent.restarted', RESTARTS_READ);
  return statuses.map((s) => {
    const last = restarts.find((e) => e.data.target === s.target);
    return {
      target: s.target,
      environments: s.environments,
      state: s.state,
      pid: s.pid,
      workerPid: s.workerPid,
      startedAt: iso(s.startedAt),
      workerRestarts: s.workerRestarts,
      checkedAt: iso(s.checkedAt),
      error: s.error,
      lastRestart: last
        ? { at: new Date(last.at).toISOString(), cause: String(last.data.cause ?? ''), scope: String(last.data.scope ?? 'agent'), pid: typeof last.data.pid === 'number' ? last.data.pid : null }
        : null,
    };
  });
}
