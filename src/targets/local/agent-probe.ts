import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';

/** What `agent.json` in an agent's data folder says (an agent from before the split has no workerPid). */
export interface AgentRecord {
  readonly url: string;
  /** The agent's (after the split: the parent's) pid. */
  readonly pid: number;
  readonly workerPid?: number;
}

/** The exit of the agent's worker as the parent saw it. */
export interface WorkerExit {
  /** Epoch ms. */
  readonly at: number;
  readonly cause: string;
}

/** GET /v1/health of an agent; every field past `pid` is absent on an agent from before the split. */
export interface AgentHealth {
  readonly pid: number;
  readonly workerPid?: number;
  readonly startedAt?: number;
  readonly workerStartedAt?: number;
  readonly workerRestarts?: number;
  readonly lastWorkerExit?: WorkerExit | null;
}

export type Probe =
  | { readonly state: 'healthy'; readonly record: AgentRecord; readonly health: AgentHealth }
  /** Its process runs but its control API does not answer (busy, stuck, or starting). */
  | { readonly state: 'unresponsive'; readonly record: AgentRecord; readonly error: string }
  /** Its recorded process is gone. */
  | { readonly state: 'gone'; readonly record: AgentRecord; readonly error: string };

export const DEFAULT_PROBE_TIMEOUT_MS = 1_500;
/** Written by the control plane when it stops agents on purpose: the watch leaves those alone. */
export const STOPPED_MARKER = 'agent.stopped';

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error: unknown) {
    // EPERM: it exists, it is just not ours to signal.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** agent.json of a target's folder, or undefined when its agent was never started (or the file is half written). */
export async function readAgentRecord(agentDir: string): Promise<AgentRecord | undefined> {
  const file = join(agentDir, 'agent.json');
  if (!existsSync(file)) return undefined;
  try {
    const r = JSON.parse(await readFile(file, 'utf8')) as Partial<AgentRecord>;
    if (typeof r.url !== 'string' || typeof r.pid !== 'number') return undefined;
    return { url: r.url, pid: r.pid, ...(typeof r.workerPid === 'number' ? { workerPid: r.workerPid } : {}) };
  } catch {
    return undefined;
  }
}

/** When agent.json was last written (epoch ms), or 0. */
export async function recordWrittenAt(agentDir: string): Promise<number> {
  return (await stat(join(agentDir, 'agent.json')).catch(() => undefined))?.mtimeMs ?? 0;
}

function parseHealth(body: unknown, fallbackPid: number): AgentHealth {
  const b = (body ?? {}) as Record<string, unknown>;
  const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
  const exit = b.lastWorkerExit as Record<string, unknown> | null | undefined;
  const lastWorkerExit = exit && typeof exit === 'object' && num(exit.at) !== undefined && typeof exit.cause === 'string' ? { at: num(exit.at) ?? 0, cause: exit.cause } : exit === null ? null : undefined;
  const fields = { workerPid: num(b.workerPid), startedAt: num(b.startedAt), workerStartedAt: num(b.workerStartedAt), workerRestarts: num(b.workerRestarts) };
  return {
    pid: num(b.pid) ?? fallbackPid,
    ...Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)),
    ...(lastWorkerExit === undefined ? {} : { lastWorkerExit }),
  };
}

/** One look at a started agent: its control API's health answer, else whether its process still runs. */
export async function probeAgent(record: AgentRecord, token: string, timeoutMs = DEFAULT_PROBE_TIMEOUT_MS): Promise<Probe> {
  let error: string;
  try {
    const res = await fetch(`${record.url}/v1/health`, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(timeoutMs) });
    const body = (await res.json().catch(() => undefined)) as unknown;
    if (res.ok) return { state: 'healthy', record, health: parseHealth(body, record.pid) };
    error = `GET /v1/health answered HTTP ${res.status}`;
  } catch (cause: unknown) {
    error = `GET /v1/health failed: ${cause instanceof Error ? cause.message : String(cause)}`;
  }
  return isAlive(record.pid) ? { state: 'unresponsive', record, error } : { state: 'gone', record, error };
}
