import type { AgentHealth } from './agent-probe.js';

/**
 * - healthy: its control API answers;
 * - starting: its process was gone and the control plane is starting it again;
 * - unresponsive: its process runs but does not answer;
 * - down: it was gone and could not be started again;
 * - stopped: stopped on purpose by the control plane (`close({ stopAgents })`), left alone;
 * - never-started: no agent was ever started for this target.
 */
export const AGENT_STATES = ['healthy', 'starting', 'unresponsive', 'down', 'stopped', 'never-started'] as const;
export type AgentState = (typeof AGENT_STATES)[number];

/** The watch's latest look at one local target's agent. */
export interface AgentStatus {
  readonly target: string;
  readonly environments: readonly string[];
  readonly state: AgentState;
  /** The agent's (parent's) pid. */
  readonly pid: number | null;
  readonly workerPid: number | null;
  readonly url: string | null;
  /** Epoch ms the agent (parent) started, when it says. */
  readonly startedAt: number | null;
  /** How often its parent restarted its worker, when it says (agents from before the split do not). */
  readonly workerRestarts: number | null;
  /** Epoch ms of the look. */
  readonly checkedAt: number | null;
  /** Why it is not healthy. */
  readonly error: string | null;
}

/** agent.recovered: an agent reported down answers again without a restart (it was stuck, not gone). */
export type AgentEventKind = 'agent.restarted' | 'agent.down' | 'agent.recovered';

/** What the watch records in the audit log (and so notifies). */
export interface AgentEvent {
  readonly kind: AgentEventKind;
  readonly data: Readonly<Record<string, unknown>> & { readonly target: string; readonly cause: string };
}

export function agentEvent(kind: AgentEventKind, target: string, environments: readonly string[], data: Readonly<Record<string, unknown>> & { readonly cause: string }): AgentEvent {
  return { kind, data: { target, environments: [...environments], ...data } };
}

/**
 * Whether the agent's worker restarted since the last look: its count grew. An agent from before
 * the split reports no count, and a first look has nothing to compare with: neither is a restart.
 */
export function workerRestarted(before: number | null, health: AgentHealth): { count: number; cause: string } | undefined {
  const now = health.workerRestarts;
  if (before === null || now === undefined || now <= before) return undefined;
  const cause = health.lastWorkerExit?.cause ?? 'the agent worker exited';
  const times = now - before;
  return { count: now, cause: `${cause}; started again by the agent${times > 1 ? ` (${times} worker restarts since the last look)` : ''}` };
}
