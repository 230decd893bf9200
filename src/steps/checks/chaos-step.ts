import type { ChaosCheckConfig, GantryConfig } from '../../config/types.js';
import type { StepContext } from '../../engine/step-handler.js';
import { GantryError } from '../../errors/index.js';
import type { Target } from '../../targets/target.js';
import { runChaosCheck, type ChaosReport } from './chaos-check.js';
import { describeFaults } from './chaos-report.js';

/**
 * The verify step's chaos check: refused unless the server's pinned gantry.yaml allows faults in the
 * environment now (whatever the stored plan holds), then run, then judged by `expect`:
 * hold passes when the thresholds held; rollback fails the verification when they broke, saying
 * that this is the outcome the check expected, so the run's automatic rollback follows.
 */
export async function verifyChaos(ctx: StepContext, pinned: (() => GantryConfig) | undefined, target: Target, environment: string, check: ChaosCheckConfig, baseUrl: string | undefined): Promise<ChaosReport> {
  refuseUnlessAllowed(pinned, environment);
  if (baseUrl === undefined) throw new GantryError('BAD_REQUEST', `chaos check names ${check.service}, which ${environment} does not deploy`, { hint: 'load.service must be one of the environment\'s services.' });
  const report = await runChaosCheck({ target, environment, baseUrl, log: (line) => ctx.log.info(line), signal: ctx.signal }, check);
  const what = `chaos check of ${environment}/${check.service} (${describeFaults(check)})`;
  if (check.expect === 'hold') {
    if (report.problems.length > 0) {
      throw new GantryError('CHAOS_CHECK_FAILED', `${what}: the service did not hold: ${report.problems.join('; ')}`, { hint: 'See what was injected and what was seen in the step log; make the service hold, or loosen maxErrorRate / maxP99.', details: { summary: { chaos: [report] } } });
    }
    ctx.log.info('chaos: the service held its thresholds under the faults');
    return report;
  }
  if (report.problems.length > 0) {
    ctx.log.info(`chaos: the service broke its thresholds (${report.problems.join('; ')}), as this check expects (expect: rollback): the run rolls back`);
    throw new GantryError('CHAOS_CHECK_FAILED', `${what}: expected outcome: the service broke its thresholds (${report.problems.join('; ')}) and the run rolls back, as \`expect: rollback\` asks`, {
      hint: 'Nothing to fix: this check expects the rollback. Its report is in the step summary (chaos, expected: true).',
      details: { summary: { chaos: [report] } },
    });
  }
  ctx.log.info(`chaos: warning: the service held its thresholds, but this check expected it to break them (expect: rollback): no rollback was caused`);
  return report;
}

function refuseUnlessAllowed(pinned: (() => GantryConfig) | undefined, environment: string): void {
  const env = pinned?.().environments[environment];
  if (env?.chaos.allowed === true) return;
  const production = env !== undefined && (env.name === 'production' || env.approvals.required > 0 || env.confirmation !== undefined);
  const why = env === undefined ? `the server's pinned gantry.yaml does not declare ${environment}` : production ? `${environment} is a production environment, and the server's pinned gantry.yaml does not set \`chaos: { allowed: true }\` there explicitly` : `the server's pinned gantry.yaml does not allow faults in ${environment}`;
  throw new GantryError('CHAOS_NOT_ALLOWED', `chaos check refused before any fault was injected: ${why}`, {
    where: `environments.${environment}.chaos`,
    hint: `Set \`chaos: { allowed: true }\` on environments.${environment} in the server's gantry.yaml (a commit's change applies once an admin accepts it with \`gantry config accept\`).`,
  });
}
