import type { Run } from '../domain/run.js';
import type { StoredEvent } from '../domain/event.js';
import { Outcome, type NotifyEvent } from './notification.js';

/** Environments whose rollback is an emergency: red message, incident opened. */
export const CRITICAL_ENVIRONMENTS: ReadonlySet<string> = new Set(['production', 'prod']);

export const dedupKeyFor = (environment: string, service: string): string => `gantry-${environment}-${service}`;

/** What the dispatcher needs to know about a Gantry event or a finished run to route it. */
export interface Classified {
  /** gantry.yaml names that match it, the most specific first; a channel gets one message however many match. */
  readonly names: readonly NotifyEvent[];
  readonly source: string;
  readonly environment: string | null;
  readonly service: string | null;
  readonly outcome: Outcome;
  /** Set when it opens an incident. */
  readonly opens: string | null;
  /** Set when it resolves the incident of that dedup key, if one is open. */
  readonly resolves: string | null;
  /** Every environment it concerns, when that is more than `environment` (an agent serves several). */
  readonly environments?: readonly string[];
}

const text = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);

/**
 * Maps the engine's events to the names gantry.yaml routes by. A rollback is also a failed
 * deployment (routes for either get it); in a critical environment it opens an incident, and the
 * next successful deployment of that service there resolves it. Other events are not notified.
 */
export function classifyEvent(e: StoredEvent): Classified | undefined {
  const environment = text(e.data.environment);
  const service = text(e.data.service);
  const base = { source: e.kind, environment, service, opens: null, resolves: null };
  switch (e.kind) {
    case 'deployment.succeeded':
      return { ...base, names: ['deployment.succeeded'], outcome: Outcome.Success, resolves: environment && service ? dedupKeyFor(environment, service) : null };
    case 'deployment.rolled-back': {
      const critical = environment !== null && service !== null && CRITICAL_ENVIRONMENTS.has(environment);
      return {
        ...base,
        names: ['deployment.rolled-back', 'deployment.failed'],
        outcome: critical ? Outcome.Critical : Outcome.RolledBack,
        opens: critical ? dedupKeyFor(environment, service) : null,
      };
    }
    case 'approval.requested':
      return { ...base, names: ['approval.requested'], outcome: Outcome.Info };
    case 'agent.restarted':
    case 'agent.down':
    case 'agent.recovered':
      return classifyAgentEvent(e);
    default:
      return undefined;
  }
}

export const agentDedupKey = (target: string): string => `gantry-agent-${target}`;

/**
 * An agent down is an alert: an incident for the target, which its next restart resolves. It is
 * routed by the environments the agent serves (a route for production gets production's agent).
 */
function classifyAgentEvent(e: StoredEvent): Classified {
  const target = text(e.data.target) ?? 'unknown';
  const environments = Array.isArray(e.data.environments) ? e.data.environments.filter((v): v is string => typeof v === 'string') : [];
  const base = { source: e.kind, environment: null, service: null, environments };
  if (e.kind === 'agent.down') return { ...base, names: ['agent.down'], outcome: Outcome.Critical, opens: agentDedupKey(target), resolves: null };
  // Not a message of its own (no route names it): it only resolves the incident its agent.down opened.
  if (e.kind === 'agent.recovered') return { ...base, names: [], outcome: Outcome.Success, opens: null, resolves: agentDedupKey(target) };
  return { ...base, names: ['agent.restarted'], outcome: Outcome.Info, opens: null, resolves: agentDedupKey(target) };
}

/** run.succeeded / run.failed come from the runs table; a cancelled run is nobody's news. */
export function classifyRun(run: Run): Classified | undefined {
  const base = { source: `run.${run.state}`, environment: run.environment, service: null, opens: null, resolves: null };
  if (run.state === 'succeeded') return { ...base, names: ['run.succeeded'], outcome: Outcome.Success };
  if (run.state === 'failed') return { ...base, names: ['run.failed'], outcome: Outcome.Failure };
  return undefined;
}
