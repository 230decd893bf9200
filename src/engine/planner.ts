import { createHash } from 'node:crypto';
import type { EnvironmentConfig, GantryConfig, GateConfig } from '../config/types.js';
import type { Plan, PlannedStep } from '../domain/run.js';
import { planDeploy } from './deploy-plan.js';

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
}

export type GateStepSpec = {
  readonly service: string;
  readonly servicePath: string;
  readonly gate: GateConfig;
  readonly secrets: readonly string[];
  readonly cacheKey: string;
  readonly timeoutMs: number;
};

export type LockStepSpec = {
  readonly environment: string;
  readonly timeoutMs: number;
};

/** What a gate's pass depends on: the service's content, the command and its declared environment. */
export function gateCacheKey(tree: string, gate: GateConfig, secrets: readonly string[]): string {
  const identity = JSON.stringify({ tree, run: gate.run, env: gate.env, junit: gate.junit ?? null, coverage: gate.coverage ?? null, secrets });
  return createHash('sha256').update(identity).digest('hex');
}

export const gateStepKey = (service: string, gate: string): string => `gate:${service}:${gate}`;

/**
 * Turns what was read about a trigger into the run's step graph. Pure: the result is persisted
 * before anything runs. Services' gates run in parallel, one service's gates in declared order.
 */
export function planRun(input: PlanInput): Plan {
  const steps: PlannedStep[] = [];
  const notes: string[] = [input.changeNote];
  const lastGates: string[] = [];
  for (const name of input.services) {
    const service = input.config.services[name];
    if (!service || service.gates.length === 0) continue;
    let previous: string | undefined;
    for (const gate of service.gates) {
      const key = gateStepKey(name, gate.name);
      const spec: GateStepSpec = {
        service: name,
        servicePath: service.path,
        gate,
        secrets: service.secrets,
        cacheKey: gateCacheKey(input.serviceTrees[name] ?? 'unknown', gate, service.secrets),
        timeoutMs: gate.timeoutMs,
      };
      steps.push({ key, kind: 'gate', name: `${name} › ${gate.name}`, service: name, needs: previous ? [previous] : [], spec, maxAttempts: 1 + gate.retries });
      previous = key;
    }
    if (previous) lastGates.push(previous);
  }
  const env = input.environment;
  const runnable = env ? env.services.filter((name) => input.config.services[name]?.run !== undefined) : [];
  if (env && runnable.length === 0) notes.push(`${env.name} deploys nothing: none of its services has a \`run\` command in gantry.yaml.`);
  if (env && runnable.length > 0) {
    const lastGate: Record<string, string> = {};
    for (const key of lastGates) lastGate[key.split(':')[1] ?? ''] = key;
    steps.push(
      ...planDeploy({
        config: input.config,
        environment: env,
        serviceTrees: input.deployTrees ?? input.serviceTrees,
        lastGate,
        mustExist: input.mustExist ?? false,
        overridePromotion: input.overridePromotion ?? null,
        productionLike: env.approvals.required > 0 || env.confirmation !== undefined || env.name === 'production',
      }),
    );
  }
  return { steps, notes };
}
