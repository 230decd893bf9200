import type { EnvironmentConfig, GantryConfig, ServiceConfig } from '../../config/types.js';
import { healthStep, smokeSteps } from './check-steps.js';
import { CONFIRMATION_INPUT, VALIDATE_JOB, validateJob } from './validate-job.js';
import { CHECKOUT, envOf, minutes, RUNNER, SHELL, shellQuote, UPLOAD_ARTIFACT, type Job, type Step, type WorkflowFile } from './workflow.js';

export const DEPLOY_JOB = 'deploy';
/** GitHub keeps an artifact at most 90 days. */
const MAX_RETENTION_DAYS = 90;
const DAY_MS = 86_400_000;

export const deployFile = (environment: string): string => `deploy-${environment}.yml`;

/** A step the team must fill in: it fails, saying so, until replaced (an exported pipeline never claims a deploy it did not do). */
export function placeholder(name: string, what: string): Step {
  return { name: `REPLACE: ${name}`, run: `echo ${shellQuote(`::error title=Replace this step::${what}`)}\nexit 1` };
}

function backupSteps(env: EnvironmentConfig, retentionMs: number): Step[] {
  const days = Math.min(MAX_RETENTION_DAYS, Math.max(1, Math.ceil(retentionMs / DAY_MS)));
  return [
    placeholder(`back up ${env.name}`, `back up ${env.name} before deploying: replace with commands that write its live state to backup/`),
    { name: `keep the backup ${days} days`, uses: UPLOAD_ARTIFACT, with: { name: `backup-${env.name}-\${{ github.sha }}`, path: 'backup/', 'retention-days': days } },
  ];
}

function buildStep(service: ServiceConfig): Step[] {
  if (service.build === undefined) return [];
  return [{ name: `${service.name}: build`, 'working-directory': service.path, run: service.build.run, 'timeout-minutes': minutes(service.build.timeoutMs) }];
}

function deployStep(env: EnvironmentConfig, service: ServiceConfig): Step {
  const output = service.build === undefined ? '' : ` (its build output: ${service.path}/${service.build.output})`;
  return placeholder(`deploy ${service.name}`, `deploy ${service.name} to ${env.name}${output}: replace with your deploy command`);
}

function verifySteps(env: EnvironmentConfig, services: readonly ServiceConfig[]): Step[] {
  const steps: Step[] = [];
  for (const check of env.verify) {
    if (check.kind === 'health') steps.push(...services.map((s) => healthStep(s)));
    if (check.kind === 'smoke') steps.push(...services.flatMap(smokeSteps));
    if (check.kind === 'integration') steps.push({ name: 'integration tests', run: check.run, 'timeout-minutes': minutes(check.timeoutMs) });
  }
  return steps;
}

/** Gantry watches the router's metrics for the window; here: wait the window out, then check every service is still healthy. */
function watchSteps(env: EnvironmentConfig, services: readonly ServiceConfig[]): Step[] {
  if (env.watch === undefined) return [];
  const wait = Math.ceil(env.watch.durationMs / 1000);
  return [{ name: `watch: wait ${wait}s`, run: `sleep ${wait}` }, ...services.map((s) => healthStep(s, 'still healthy after the watch'))];
}

function tagStep(env: EnvironmentConfig): Step {
  return {
    name: 'tag the deployed commit',
    run: [
      `tag="deploy/${env.name}/$(date -u +%Y%m%dT%H%M%S)-run$GITHUB_RUN_NUMBER"`,
      `git -c user.name=github-actions -c user.email=github-actions@users.noreply.github.com tag -a "$tag" -m "Deployed to ${env.name} by run $GITHUB_RUN_NUMBER" "$GITHUB_SHA"`,
      'git push origin "refs/tags/$tag"',
    ].join('\n'),
  };
}

function deployJob(config: GantryConfig, env: EnvironmentConfig, validate: boolean): Job {
  const services = env.services.map((s) => config.services[s]).filter((s): s is ServiceConfig => s?.run !== undefined);
  const jobEnv = envOf(env.secrets, env.env);
  const steps: Step[] = [
    { name: 'check out', uses: CHECKOUT },
    ...(env.backup === undefined ? [] : backupSteps(env, env.backup.retentionMs)),
    ...services.flatMap(buildStep),
    ...services.map((s) => deployStep(env, s)),
    ...verifySteps(env, services),
    ...watchSteps(env, services),
    ...(env.tag ? [tagStep(env)] : []),
    { ...placeholder('roll back', `roll ${env.name} back to the previous release: replace with your rollback command`), if: 'failure()' },
  ];
  return {
    name: `deploy to ${env.name}`,
    ...(validate ? { needs: [VALIDATE_JOB] } : {}),
    'runs-on': RUNNER,
    environment: { name: env.name },
    permissions: { contents: env.tag ? 'write' : 'read' },
    ...(jobEnv ? { env: jobEnv } : {}),
    defaults: { run: { shell: SHELL } },
    steps,
  };
}

function triggers(env: EnvironmentConfig): Record<string, unknown> {
  const dispatch = env.confirmation === undefined ? null : { inputs: { [CONFIRMATION_INPUT]: { description: `Type ${env.confirmation} to deploy to ${env.name}`, required: true, type: 'string' } } };
  return { ...(env.autoDeploy ? { push: { branches: [env.branch] } } : {}), workflow_dispatch: dispatch };
}

function approvalComment(env: EnvironmentConfig): string[] {
  const { required, approvers } = env.approvals;
  if (required === 0) return [`Approvals: none in gantry.yaml; the GitHub environment "${env.name}" needs no required reviewers.`];
  return [
    `Approvals: in Settings → Environments → ${env.name}, add required reviewers so that ${required} must approve`,
    `(gantry.yaml approvals.required: ${required}${approvers.length > 0 ? `; approvers: ${approvers.join(', ')}` : ''}),`,
    'and tick "Prevent self-review": Gantry never counts the approval of the one who triggered the run.',
    ...(approvers.some((a) => a.startsWith('@')) ? ['Groups (@name) become GitHub teams among the reviewers.'] : []),
  ];
}

/** The deployment workflow of one environment: triggers, validation gate, approvals through the GitHub environment, then the deploy job. */
export function deployWorkflow(config: GantryConfig, env: EnvironmentConfig): WorkflowFile {
  const validate = validateJob(env);
  const jobs: Record<string, Job> = { ...(validate ? { [VALIDATE_JOB]: validate } : {}), [DEPLOY_JOB]: deployJob(config, env, validate !== undefined) };
  return {
    file: deployFile(env.name),
    header: [
      `Deployment of ${config.project.name} to ${env.name}: ${env.autoDeploy ? `on every push to ${env.branch}, and` : 'only'} by hand (Run workflow).`,
      'Steps marked REPLACE fail until you put your own commands in: gantry.yaml says how services run, not how',
      'they reach your servers. Set the GitHub environment variable <SERVICE>_URL (e.g. NEST_API_URL) to where',
      'each service is reached, for the health checks and smoke tests.',
    ],
    jobComments: { [DEPLOY_JOB]: approvalComment(env) },
    workflow: { name: `Deploy to ${env.name}`, on: triggers(env), permissions: { contents: 'read' }, concurrency: { group: `deploy-${env.name}`, 'cancel-in-progress': false }, jobs },
  };
}
