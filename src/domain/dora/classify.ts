import type { DoraDeployment, ServiceHistory } from './types.js';

/** `hotfix/x` and `refs/heads/hotfix/x`: the branch naming that marks a hotfix. */
export const DEFAULT_HOTFIX_REF = /^(?:refs\/heads\/)?hotfix\//;

/** How Gantry names a manual rollback's deployment (see engine/rollback-plan.ts). */
const MANUAL_ROLLBACK = /^rollback to r(\d+)\b/;

export interface ClassifyOptions {
  /** Which refs are hotfixes, for records that do not say so themselves. */
  readonly hotfixRef?: RegExp;
}

/** The revision a manual rollback put back, or undefined when the deployment is not one. */
export function rollbackTarget(d: DoraDeployment): number | undefined {
  const match = d.reason === null ? null : MANUAL_ROLLBACK.exec(d.reason);
  return match ? Number(match[1]) : undefined;
}

export function isHotfix(d: DoraDeployment, hotfixRef: RegExp = DEFAULT_HOTFIX_REF): boolean {
  return d.hotfix ?? (d.ref !== null && hotfixRef.test(d.ref));
}

/**
 * Groups deployments by service, orders each by revision and marks what needed remediation:
 * - a deployment that failed or was rolled back by Gantry;
 * - the succeeded revisions a manual rollback to rN reverted (every one after N and before it);
 * - the succeeded revision that was live when a hotfix was deployed on top of it.
 * The rollbacks and hotfixes themselves are rework, not failed changes (unless they failed too).
 */
export function classify(deployments: readonly DoraDeployment[], options: ClassifyOptions = {}): ServiceHistory[] {
  const byService = new Map<string, DoraDeployment[]>();
  for (const d of deployments) {
    const list = byService.get(d.service);
    if (list) list.push(d);
    else byService.set(d.service, [d]);
  }
  const histories: ServiceHistory[] = [];
  for (const [service, list] of byService) {
    list.sort((a, b) => a.revision - b.revision);
    histories.push(classifyService(service, list, options.hotfixRef ?? DEFAULT_HOTFIX_REF));
  }
  return histories.sort((a, b) => (a.service < b.service ? -1 : a.service > b.service ? 1 : 0));
}

function classifyService(service: string, ordered: readonly DoraDeployment[], hotfixRef: RegExp): ServiceHistory {
  const n = ordered.length;
  const manualRollback = new Uint8Array(n);
  const hotfix = new Uint8Array(n);
  const failedChange = new Uint8Array(n);
  let lastSucceeded = -1;
  for (let i = 0; i < n; i++) {
    const d = ordered[i] as DoraDeployment;
    if (d.state === 'failed' || d.state === 'rolled-back') failedChange[i] = 1;
    const target = rollbackTarget(d);
    if (target !== undefined) {
      manualRollback[i] = 1;
      // Walk back over the revisions the rollback skipped: a rollback goes back a few, so this stays linear in practice.
      for (let j = i - 1; j >= 0 && (ordered[j] as DoraDeployment).revision > target; j--) {
        if ((ordered[j] as DoraDeployment).state === 'succeeded') failedChange[j] = 1;
      }
    } else if (isHotfix(d, hotfixRef)) {
      hotfix[i] = 1;
      if (lastSucceeded >= 0) failedChange[lastSucceeded] = 1;
    }
    if (d.state === 'succeeded') lastSucceeded = i;
  }
  return { service, deployments: ordered, manualRollback, hotfix, failedChange };
}
