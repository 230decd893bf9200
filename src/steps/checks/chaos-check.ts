import type { ChaosCheckConfig } from '../../config/types.js';
import { GantryError } from '../../errors/index.js';
import type { FaultReport, KilledReplica, Target } from '../../targets/target.js';
import { driveLoad, type LoadFigures } from './load-run.js';
import { chaosProblems, describeFaults, describeFigures } from './chaos-report.js';

/** Faults stay on this much longer than the load, so they cover all of it; the check clears them itself. */
const FAULT_MARGIN_MS = 5_000;
/** How long a killed replica has to be running and ready again after the load ends. */
const RESTART_WAIT_MS = 30_000;

export interface ChaosRun {
  readonly target: Target;
  readonly environment: string;
  /** The service's main route, as users reach it. */
  readonly baseUrl: string;
  readonly log: (line: string) => void;
  readonly signal: AbortSignal;
}

/** What the check injected and what it saw: the step's summary (`chaos`) and the failure's details. */
export interface ChaosReport {
  readonly service: string;
  readonly expect: 'hold' | 'rollback';
  readonly injected: { readonly faults: ChaosCheckConfig['faults']; readonly durationMs: number; readonly hits: FaultReport['counts'] | null };
  readonly killed: (KilledReplica & { readonly revision: number; readonly restarted: boolean }) | null;
  readonly seen: LoadFigures;
  /** The thresholds the service broke; empty when it held. */
  readonly problems: readonly string[];
  /** Whether the outcome is the one `expect` names. */
  readonly expected: boolean;
}

/**
 * One chaos check: faults on the service's main route, one replica of its serving revision killed
 * when asked, load through the route for the check's duration, then the faults cleared (in a finally,
 * whatever happened) and the figures judged against the check's thresholds.
 */
export async function runChaosCheck(run: ChaosRun, check: ChaosCheckConfig): Promise<ChaosReport> {
  const { target, environment, log } = run;
  const { injectFaults, clearFaults, killReplica } = target;
  if (target.capabilities().faults !== true || !injectFaults || !clearFaults || !killReplica) {
    throw new GantryError('CHAOS_NOT_ALLOWED', `chaos check of ${environment}/${check.service}: target ${target.name} cannot inject faults`, { hint: 'Chaos checks run on local targets (the built-in router).' });
  }
  const revision = await servingRevision(target, environment, check.service);
  log(`chaos: ${describeFaults(check)} on ${environment}/${check.service} (revision ${revision}) for ${check.durationMs} ms`);
  let hits: FaultReport['counts'] | null = null;
  let killed: KilledReplica | null = null;
  let seen: LoadFigures;
  await injectFaults.call(target, environment, check.service, check.faults, check.durationMs + FAULT_MARGIN_MS);
  try {
    if (check.killReplica) {
      killed = await killReplica.call(target, environment, check.service, revision);
      log(`chaos: killed replica ${killed.replica} (pid ${killed.pid}) with SIGKILL`);
    }
    seen = await driveLoad({ url: `${run.baseUrl}${check.path}`, durationMs: check.durationMs, connections: check.connections, rate: check.rate }, run.signal);
  } finally {
    // Cleared whatever happened: the agent would end them anyway, FAULT_MARGIN_MS after the load.
    const cleared = await clearFaults.call(target, environment, check.service).catch((error: unknown) => {
      log(`chaos: clearing the faults failed (${error instanceof Error ? error.message : String(error)}); the agent ends them by itself within ${FAULT_MARGIN_MS} ms`);
      return null;
    });
    hits = cleared?.counts ?? null;
  }
  log(`chaos: faults cleared; the router ${hits ? `saw ${hits.seen} requests: ${hits.delayed} delayed, ${hits.aborted} aborted, ${hits.reset} reset` : 'did not say what they hit'}`);
  const restarted = killed ? await replicaBack(target, environment, check.service, revision, killed, run.signal) : false;
  if (killed) log(`chaos: replica ${killed.replica} ${restarted ? 'was restarted and is ready again' : `was not ready again within ${RESTART_WAIT_MS} ms`}`);
  log(`chaos: ${describeFigures(seen)}`);
  const problems = chaosProblems(check, seen, killed !== null && !restarted ? killed.replica : undefined);
  const expected = check.expect === 'hold' ? problems.length === 0 : problems.length > 0;
  return {
    service: check.service,
    expect: check.expect,
    injected: { faults: check.faults, durationMs: check.durationMs, hits },
    killed: killed ? { ...killed, revision, restarted } : null,
    seen,
    problems,
    expected,
  };
}

/** The revision users are sent to now: the newest one with weight on the main route. */
async function servingRevision(target: Target, environment: string, service: string): Promise<number> {
  const status = (await target.describe(environment)).find((s) => s.service === service);
  const weighted = Object.entries(status?.weights.main ?? {}).filter(([, w]) => w > 0).map(([r]) => Number(r));
  if (weighted.length === 0) throw new GantryError('CHAOS_NOT_ALLOWED', `chaos check of ${environment}/${service}: no revision serves it`, { hint: 'The check runs after the deploy, on the revision that serves; deploy the service first.' });
  return Math.max(...weighted);
}

async function replicaBack(target: Target, environment: string, service: string, revision: number, killed: KilledReplica, signal: AbortSignal): Promise<boolean> {
  const deadline = Date.now() + RESTART_WAIT_MS;
  while (!signal.aborted) {
    const status = (await target.describe(environment)).find((s) => s.service === service)?.revisions.find((r) => r.revision === revision);
    const replica = status?.replicas?.[killed.index];
    if (replica && replica.restarts > killed.restartsBefore && replica.ready) return true;
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return false;
}
