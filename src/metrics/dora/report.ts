import { changeFailureRate } from './change-failure-rate.js';
import { classify, type ClassifyOptions } from './classify.js';
import { deploymentFrequency } from './deployment-frequency.js';
import { leadTime } from './lead-time.js';
import { isFinished } from './outcome.js';
import { recoveryTime } from './recovery-time.js';
import { reworkRate } from './rework-rate.js';
import { successRate } from './success-rate.js';
import type { DoraDeployment, DoraMetrics, DoraReport, DoraWindow, ServiceHistory } from './types.js';
import { inWindow, windowEndingAt } from './window.js';

/** DORA measures production; an environment of that name is the default everywhere it is asked for. */
export const DEFAULT_DORA_ENVIRONMENT = 'production';

export interface DoraInput extends ClassifyOptions {
  /** The production environment's name: only its deployments count. */
  readonly environment: string;
  /** Injected "now": the end of the window. */
  readonly now: number;
  readonly windowMs: number;
  /** Services to report even when they have no deployment (the environment's services in gantry.yaml). */
  readonly services?: readonly string[];
}

/** Every metric over some services' histories: one service, or all of them for the overall figures. */
export function doraMetrics(histories: readonly ServiceHistory[], window: DoraWindow): DoraMetrics {
  let deployments = 0;
  for (const h of histories) for (const c of h.deployments) if (inWindow(window, c.deployment.createdAt) && isFinished(c.deployment)) deployments++;
  return {
    deployments,
    deploymentFrequency: deploymentFrequency(histories, window),
    leadTime: leadTime(histories, window),
    changeFailureRate: changeFailureRate(histories, window),
    recoveryTime: recoveryTime(histories, window),
    reworkRate: reworkRate(histories, window),
    successRate: successRate(histories, window),
  };
}

/**
 * DORA for one environment over the window ending at `now`, per service and overall. Records of
 * other environments are ignored; records outside the window are read only as context (what a
 * rollback reverted, whether a release was deployed before).
 */
export function computeDora(records: readonly DoraDeployment[], input: DoraInput): DoraReport {
  const window = windowEndingAt(input.now, input.windowMs);
  const histories = classify(
    records.filter((r) => r.environment === input.environment),
    input.hotfixRef ? { hotfixRef: input.hotfixRef } : {},
  );
  const services: Record<string, DoraMetrics> = {};
  for (const name of input.services ?? []) services[name] = doraMetrics([], window);
  for (const h of histories) services[h.service] = doraMetrics([h], window);
  return { environment: input.environment, window, overall: doraMetrics(histories, window), services: sortKeys(services) };
}

const sortKeys = <T>(record: Record<string, T>): Record<string, T> => Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
