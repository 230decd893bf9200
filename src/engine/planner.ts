import { createHash } from 'node:crypto';
import type { EnvironmentConfig, GantryConfig, GateConfig } from '../config/types.js';
import type { Plan } from '../domain/run.js';
import { planDeploy } from './deploy-plan.js';
import { SCAN_STEP_KEY, gateKey, gateOfKey } from './step-keys.js';
import { STEP_SPEC_VERSION, type GateStepSpec, type ProtectionStepSpec, type ScanStepSpec, type TypedPlannedStep } from './step-specs/index.js';

export interface PlanInput {
  readonly config: GantryConfig;
  /** Services whose files changed, as found by the reader. */
  readonly services: readonly string[];
  /** Content identity of each service at the commit (its tree, watched and shared paths). */
  readonly serviceTrees: Readonly<Record<string, string>>;
  /** The environment this run deploys to, if its branch is mapped to one or it was dispatched there. */
  readonly environment: EnvironmentConfig | undefined;
  /** Why the service set is what it is, for the run's notes. */
  readonly changeNote: string;
  /** Trees of every service the environment deploys (for build reuse), not only the changed ones. */
  readonly deployTrees?: Readonly<Record<string, string>>;
  readonly mustExist?: boolean;
  readonly overridePromotion?: { readonly by: string; readonly reason: string } | null;
  readonly protection?: ProtectionStepSpec | null;
  /** Files the commit changed since the run's base; null (or left out) when there is no base. */
  readonly changedFiles?: readonly string[] | null;
}

/** What a gate's pass depends on: the service's content, the command and its declared environment. */
export function gateCacheKey(tree: string, gate: GateConfig, secrets: readonly string[]): string {
  const identity = JSON.stringify({ tree, run: gate.run, env: gate.env, junit: gate.junit ?? null, coverage: gate.coverage ?? null, secrets });
  return createHash('sha256').update(identity).digest('hex');
}

function planScan(input: PlanInput): TypedPlannedStep {
  const services = input.services.flatMap((name) => {
    const service = input.config.services[name];
    return service ? [{ name, path: service.path }] : [];
  });
  const spec: ScanStepSpec = {
    v: STEP_SPEC_VERSION,
    // Every changed file, in a service folder or not (a key committed under deploy/ is a leak too).
    files: input.changedFiles ?? null,
    paths: [],
    services,
    scan: input.config.scan,
  };
  return { key: SCAN_STEP_KEY, kind: 'scan', name: 'security scan', needs: [], spec, maxAttempts: 1 };
}

/**
 * Turns what was read about a trigger into the run's step graph. Pure: the result is persisted
 * before anything runs. Services' gates run in parallel, one service's gates in declared order.
 */
export function planRun(input: PlanInput): Plan {
  const steps: TypedPlannedStep[] = [];
  const notes: string[] = [input.changeNote];
  const lastGates: string[] = [];
  const env = input.environment;
  const productionLike = env !== undefined && (env.approvals.required > 0 || env.confirmation !== undefined || env.name === 'production');
  for (const name of input.services) {
    const service = input.config.services[name];
    if (!service || service.gates.length === 0) continue;
    let previous: string | undefined;
    for (const gate of service.gates) {
      const key = gateKey(name, gate.name);
      const spec: GateStepSpec = {
        v: STEP_SPEC_VERSION,
        service: name,
        servicePath: service.path,
        gate,
        secrets: service.secrets,
        secretScope: env && !productionLike ? env.name : null,
        cacheKey: gateCacheKey(input.serviceTrees[name] ?? 'unknown', gate, service.secrets),
        timeoutMs: gate.timeoutMs,
      };
      steps.push({ key, kind: 'gate', name: `${name} › ${gate.name}`, service: name, needs: [previous ?? SCAN_STEP_KEY], spec, maxAttempts: 1 + gate.retries });
      previous = key;
    }
    if (previous) lastGates.push(previous);
  }
  // The security scan runs first in every run that checks a change, with gates or not (a commit that
  // touches no service is scanned too); every service's first gate needs it. A redeploy of a built
  // release checks nothing new; a push that changed no file has nothing to scan.
  const nothingChanged = input.changedFiles?.length === 0;
  const scanned = steps.length > 0 || (!(input.mustExist ?? false) && !nothingChanged);
  if (scanned) steps.unshift(planScan(input));
  const runnable = env ? env.services.filter((name) => input.config.services[name]?.run !== undefined) : [];
  if (env && runnable.length === 0) notes.push(`${env.name} deploys nothing: none of its services has a \`run\` command in gantry.yaml.`);
  if (env && runnable.length > 0) {
    const lastGate: Record<string, string> = {};
    for (const key of lastGates) lastGate[gateOfKey(key)?.service ?? ''] = key;
    // A deployed service without gates of its own still waits for a clean scan.
    if (scanned) for (const name of runnable) lastGate[name] ??= SCAN_STEP_KEY;
    steps.push(
      ...planDeploy({
        config: input.config,
        environment: env,
        serviceTrees: input.deployTrees ?? input.serviceTrees,
        lastGate,
        mustExist: input.mustExist ?? false,
        overridePromotion: input.overridePromotion ?? null,
        protection: input.protection ?? null,
        productionLike,
      }),
    );
  }
  return { steps, notes };
}
