import type { GantryConfig, GateConfig, ServiceConfig } from '../../config/types.js';
import { CHECKOUT, envOf, minutes, PATHS_FILTER, RUNNER, SHELL, shellQuote, UPLOAD_ARTIFACT, type Job, type Step, type WorkflowFile } from './workflow.js';

export const CI_FILE = 'ci.yml';
/** The job that tells which services a push or pull request changed. */
export const CHANGES_JOB = 'changes';
export const SCAN_JOB = 'security-scan';
/** A service's job: never the id of the two jobs above, whatever the service is called. */
export const gatesJob = (service: string): string => `gates-${service}`;

/** secretlint's recommended rules: what Gantry's own scan runs over the commit. */
const SECRETLINT_RC = '{"rules":[{"id":"@secretlint/secretlint-rule-preset-recommend"}]}';
const SECRETLINT = 'npx --yes --package secretlint@11 --package @secretlint/secretlint-rule-preset-recommend@11 -- secretlint';

/** A folder or a file: the path itself and everything under it. */
const globs = (path: string): string[] => [path, `${path}/**`];

/** The paths whose changes count as changes of the service: its folder, its watch list, the shared paths. */
export function servicePaths(config: GantryConfig, service: ServiceConfig): string[] {
  return [...new Set([service.path, ...service.watch, ...config.repository.sharedPaths].flatMap(globs))];
}

/** dorny/paths-filter's `filters` input: one filter per service, named as the service. */
function filters(config: GantryConfig, services: readonly ServiceConfig[]): string {
  return services.map((s) => `${s.name}:\n${servicePaths(config, s).map((p) => `  - ${JSON.stringify(p)}`).join('\n')}`).join('\n');
}

function changesJob(config: GantryConfig, services: readonly ServiceConfig[]): Job {
  return {
    name: 'changed services',
    'runs-on': RUNNER,
    permissions: { contents: 'read', 'pull-requests': 'read' },
    outputs: Object.fromEntries(services.map((s) => [s.name, `\${{ steps.filter.outputs['${s.name}'] }}`])),
    steps: [
      { name: 'check out', uses: CHECKOUT },
      { name: 'which services changed', id: 'filter', uses: PATHS_FILTER, with: { filters: filters(config, services) } },
    ],
  };
}

function scanJob(config: GantryConfig, services: readonly ServiceConfig[]): Job {
  const steps: Step[] = [{ name: 'check out', uses: CHECKOUT }];
  if (config.scan.secrets) {
    steps.push({
      name: 'secrets (secretlint, recommended rules)',
      run: `printf '%s' ${shellQuote(SECRETLINT_RC)} > "$RUNNER_TEMP/secretlintrc.json"\n${SECRETLINT} --secretlintrc "$RUNNER_TEMP/secretlintrc.json" "**/*"`,
    });
  }
  const audit = config.scan.audit;
  for (const s of services) {
    // Gantry audits each service's npm dependencies (or runs scan.audit.command); a service without a package.json has none to audit.
    const command = audit.command ?? `if [ -f package.json ]; then npm audit --omit=dev --audit-level=${audit.severity}; else echo 'no package.json: nothing to audit'; fi`;
    steps.push({ name: `dependency audit: ${s.name}`, 'working-directory': s.path, run: command });
  }
  return { name: 'security scan', 'runs-on': RUNNER, permissions: { contents: 'read' }, defaults: { run: { shell: SHELL } }, steps };
}

function gateStep(gate: GateConfig): Step {
  const env = envOf([], gate.env);
  return { name: gate.name, run: gate.run, 'timeout-minutes': minutes(gate.timeoutMs), ...(env ? { env } : {}) };
}

/** The reports a gate writes (JUnit XML, coverage), kept as an artifact of the job even when a gate fails. */
function reportsStep(service: ServiceConfig): Step | undefined {
  const files = service.gates.flatMap((g) => [g.junit, g.coverage?.file].filter((f): f is string => f !== undefined)).map((f) => `${service.path}/${f}`);
  if (files.length === 0) return undefined;
  return { name: 'keep the test and coverage reports', if: 'always()', uses: UPLOAD_ARTIFACT, with: { name: `${service.name}-reports`, path: [...new Set(files)].join('\n'), 'if-no-files-found': 'ignore' } };
}

function serviceJob(service: ServiceConfig): Job {
  const env = envOf(service.secrets, service.env);
  const reports = reportsStep(service);
  return {
    name: service.name,
    needs: [CHANGES_JOB, SCAN_JOB],
    if: `needs.${CHANGES_JOB}.outputs['${service.name}'] == 'true'`,
    'runs-on': RUNNER,
    permissions: { contents: 'read' },
    ...(env ? { env } : {}),
    defaults: { run: { shell: SHELL, 'working-directory': service.path } },
    steps: [{ name: 'check out', uses: CHECKOUT }, ...service.gates.map(gateStep), ...(reports ? [reports] : [])],
  };
}

/** The comprehensive CI: on every push and pull request, the security scan and each changed service's gates in order. */
export function ciWorkflow(config: GantryConfig): WorkflowFile {
  const services = Object.values(config.services).filter((s) => s.gates.length > 0);
  const jobs: Record<string, Job> = { [CHANGES_JOB]: changesJob(config, services), [SCAN_JOB]: scanJob(config, services) };
  for (const s of services) jobs[gatesJob(s.name)] = serviceJob(s);
  return {
    file: CI_FILE,
    header: [
      `CI of ${config.project.name}: the security scan, then the gates of each service a push or pull request changed`,
      'in the order gantry.yaml lists them (a service changed when its path, its watch list or a shared path did).',
      'Not carried over: gate retries, and the coverage minimum (the reports are kept as artifacts; enforce it with',
      'the coverage action of your choice).',
    ],
    // Every branch, as Gantry runs CI on every push; not tags (the deployment workflows push deploy/* tags).
    workflow: { name: 'CI', on: { push: { branches: ['**'] }, pull_request: null }, permissions: { contents: 'read' }, jobs },
  };
}
