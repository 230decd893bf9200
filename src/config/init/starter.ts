import type { DetectedService } from './detect.js';

export interface StarterOptions {
  /** Becomes project.name; made a valid name if it is not one. */
  readonly projectName: string;
  /** repository.url; default `.` (the folder holding gantry.yaml). */
  readonly repositoryUrl?: string;
  readonly services: readonly DetectedService[];
}

/** First port handed out; each runnable service gets the next one. */
export const STARTER_BASE_PORT = 3000;

/** Double-quoted YAML scalar: safe for any command text (JSON strings are valid YAML). */
const q = (text: string): string => JSON.stringify(text);

function projectName(raw: string): string {
  const name = raw.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^[^a-z]+/, '').replace(/-+$/, '').slice(0, 63);
  return name === '' ? 'my-project' : name;
}

/** A placeholder, so that a repository where nothing was detected still gets a valid file to edit. */
const PLACEHOLDER: DetectedService = { name: 'app', path: '.', kind: 'node', gates: [{ name: 'test', run: 'npm test' }], run: undefined };

function serviceBlock(service: DetectedService, port: number | undefined): string[] {
  const what = service.framework ? `${service.framework} (${service.kind})` : service.kind;
  const lines = [`  ${service.name}:`, `    # Found a ${what} project here.`, `    path: ${q(service.path)}`];
  if (service.gates.length > 0) {
    lines.push('    # CI quality gates, run in this order in a clean checkout of the commit; any failure stops the run.', '    gates:');
    for (const gate of service.gates) lines.push(`      - name: ${gate.name}`, `        run: ${q(gate.run)}`);
  } else {
    lines.push('    # gates:                     # add CI checks, e.g.', '    #   - name: test', '    #     run: "make test"');
  }
  const notes = (service.notes ?? []).map((note) => `    # ${note}`);
  if (service.run !== undefined && port !== undefined) {
    if (service.build) {
      lines.push(
        '    # Built once per release in a clean checkout; `output` (relative to path) becomes the artifact every environment runs.',
        '    build:',
        `      run: ${q(service.build.run)}`,
        `      output: ${q(service.build.output)}`,
      );
    }
    lines.push(
      '    # How a revision starts, in its unpacked artifact: it must listen on $PORT and answer health.path when ready.',
      ...notes,
      `    run:`,
      `      command: ${q(service.run)}`,
      `      port: ${port}                 # where users reach it in dev; each environment adds its portOffset`,
      '    health:',
      `      path: ${service.health ?? '/healthz'}`,
    );
  } else {
    lines.push(...notes, '    # No start command found, so this service runs CI only. To deploy it, add:', '    # run:', '    #   command: "…"', '    #   port: 8080');
  }
  return lines;
}

function environmentsBlock(offsetStep: number): string[] {
  return [
    '# Where releases go. A new head of `branch` deploys there; a release is built once and promoted.',
    'environments:',
    '  dev:',
    '    branch: develop',
    '    strategy: rolling',
    '    portOffset: 0',
    '    verify:                      # after the switch: readiness, then the smoke tests of each service',
    '      - kind: health',
    '      - kind: smoke',
    '  staging:',
    '    branch: staging',
    '    requires: dev                # a release must have succeeded in dev first',
    '    strategy: rolling',
    `    portOffset: ${offsetStep}`,
    '    backup:',
    '      retention: 30d             # snapshot of the live state before each deploy',
    '    verify:',
    '      - kind: health',
    '      - kind: smoke',
    '    watch:',
    '      duration: 2m               # roll back automatically if errors rise after the switch',
    '  production:',
    '    branch: main',
    '    requires: staging',
    '    strategy:',
    '      kind: blue-green           # the old revision keeps serving until the new one is verified',
    `    portOffset: ${offsetStep * 2}`,
    '    approvals:',
    '      required: 2                # distinct approvers, never the author of the change',
    '      # approvers: [alice, "@release-managers"]   # an @group must be declared under groups:',
    '    confirmation: DEPLOY TO PRODUCTION',
    '    backup:',
    '      retention: 90d',
    '    verify:',
    '      - kind: health',
    '      - kind: smoke',
    '    watch:',
    '      duration: 5m',
    '    tag: true                    # tag the commit once production is healthy',
  ];
}

/**
 * A fully commented starter gantry.yaml for `gantry init`: the detected services, and dev / staging /
 * production on develop / staging / main with ports kept apart. It always passes parseConfigText.
 */
export function starterConfig(options: StarterOptions): string {
  const services = options.services.length > 0 ? options.services : [PLACEHOLDER];
  const runnable = services.filter((s) => s.run !== undefined).length;
  // Offsets far enough apart that no environment's ports reach into the next one's.
  const offsetStep = 100 * Math.max(1, Math.ceil(runnable / 100));
  let nextPort = STARTER_BASE_PORT;
  const lines = [
    '# gantry.yaml: how Gantry builds, checks and delivers this repository.',
    '# Check it with `gantry validate`: it reports every problem with file:line and a hint.',
    'version: 1',
    '',
    'project:',
    `  name: ${projectName(options.projectName)}`,
    '',
    'repository:',
    `  url: ${q(options.repositoryUrl ?? '.')}  # a local path (relative to this file) or any URL git can fetch`,
    '  defaultBranch: main',
    '  poll: 5s                       # how often to look for new branch heads (or use webhooks)',
    '',
    '# The deployable units of this repository.',
    'services:',
    ...services.flatMap((service) => serviceBlock(service, service.run === undefined ? undefined : nextPort++)),
    '',
    ...environmentsBlock(offsetStep),
    '',
  ];
  if (options.services.length === 0) lines.splice(lines.indexOf('services:') + 1, 0, '  # Nothing was detected: replace this placeholder with your services.');
  return lines.join('\n');
}
