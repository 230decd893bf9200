import { driveLoad } from './checks/load-run.js';
import type { GantryConfig, VerifyConfig } from '../config/types.js';
import { specOf, type VerifyStepSpec } from '../engine/step-specs/index.js';
import type { StepContext, StepHandler, StepOutcome } from '../engine/step-handler.js';
import { GantryError } from '../errors/index.js';
import { childEnvironment } from '../secrets/source.js';
import type { Store } from '../store/store.js';
import type { TargetRegistry } from '../targets/registry.js';
import { traceEnvironment } from '../telemetry/index.js';
import { verifyChaos } from './checks/chaos-step.js';
import { checkHealth, runSmokeTests } from './checks/http-checks.js';
import { runCommand } from './command.js';
import type { Workspaces } from './workspace.js';

type LoadCheck = Extract<VerifyConfig, { kind: 'load' }>;

const envName = (service: string): string => `GANTRY_URL_${service.toUpperCase().replace(/-/g, '_')}`;

/**
 * Verification of an environment after its services switched: health, smoke tests and the
 * environment's integration tests through the routers users reach, a load check, and chaos checks
 * (checks/chaos-step.ts).
 */
export class VerifyStep implements StepHandler {
  readonly kind = 'verify';

  constructor(
    private readonly store: Store,
    private readonly targets: TargetRegistry,
    private readonly workspaces: Workspaces,
    /** The server's pinned gantry.yaml: a chaos check runs only where it allows faults now (absent: refused). */
    private readonly pinned?: () => GantryConfig,
  ) {}

  async run(ctx: StepContext): Promise<StepOutcome> {
    const spec = specOf(ctx, 'verify');
    const target = await this.targets.get(spec.target);
    const urls: Record<string, string> = {};
    for (const s of spec.services) urls[s.name] = await target.url(spec.environment, s.name, 'main');
    const summary: Record<string, unknown> = { urls };
    const log = (line: string): void => ctx.log.info(line);
    for (const check of spec.checks) {
      if (check.kind === 'health') for (const s of spec.services) await checkHealth(urls[s.name] ?? '', s.health, ctx.signal, log, ctx.clock);
      if (check.kind === 'smoke') for (const s of spec.services) await runSmokeTests(urls[s.name] ?? '', s.smoke, ctx.signal, log);
      if (check.kind === 'integration') summary.integration = await this.integration(ctx, check.run, spec, urls);
      if (check.kind === 'load') summary.load = await this.load(ctx, spec.environment, check, urls[check.service]);
      if (check.kind === 'chaos') summary.chaos = [...((summary.chaos as unknown[] | undefined) ?? []), await verifyChaos(ctx, this.pinned, target, spec.environment, check, urls[check.service])];
    }
    return { kind: 'done', summary, message: `${spec.checks.map((c) => c.kind).join(', ')} passed` };
  }

  private async integration(ctx: StepContext, command: string, spec: VerifyStepSpec, urls: Record<string, string>): Promise<{ exitCode: number }> {
    const root = await this.workspaces.checkout(ctx.run.id, `integration-${spec.environment}`, ctx.run.sha);
    const env: Record<string, string> = { ...this.workspaces.environment(childEnvironment()), CI: 'true', GANTRY_ENVIRONMENT: spec.environment, ...traceEnvironment(ctx.run, ctx.step.id) };
    for (const [service, url] of Object.entries(urls)) env[envName(service)] = url;
    ctx.log.info(`$ ${command}   (${Object.entries(urls).map(([s, u]) => `${envName(s)}=${u}`).join(' ')})`);
    const { exitCode } = await runCommand(command, { cwd: root, env, signal: ctx.signal, user: this.workspaces.user, onOutput: (s, c) => ctx.log.write(s, c), onSpawn: (pid) => void ctx.trackProcess(pid) }).finally(() => ctx.trackProcess(null));
    if (exitCode !== 0) {
      throw new GantryError('INTEGRATION_TESTS_FAILED', `integration tests of ${spec.environment} failed with exit code ${exitCode}`, { hint: 'Reproduce with the GANTRY_URL_* variables in the log.', details: { exitCode } });
    }
    return { exitCode };
  }

  /** A bounded load run through the environment's router; the baseline comparison builds on these figures. */
  private async load(ctx: StepContext, environment: string, check: LoadCheck, base: string | undefined): Promise<Record<string, unknown>> {
    if (!base) throw new GantryError('BAD_REQUEST', `load check names ${check.service}, which this environment does not deploy`);
    const url = `${base}${check.path}`;
    ctx.log.info(`load: ${url} for ${check.durationMs} ms with ${check.connections} connection(s)`);
    const run = await driveLoad({ url, durationMs: check.durationMs, connections: check.connections, rate: check.rate }, ctx.signal);
    const figures = { requests: run.requests, rps: run.rps, p50Ms: run.p50Ms, p97_5Ms: run.p97_5Ms, p99Ms: run.p99Ms, errorRate: run.errorRate };
    ctx.log.info(`load: ${run.requests} requests, ${figures.rps.toFixed(0)} req/s, p50 ${figures.p50Ms} ms, p99 ${figures.p99Ms} ms, errors ${(figures.errorRate * 100).toFixed(2)} %`);
    const problems: string[] = [];
    if (check.maxP99Ms !== undefined && figures.p99Ms > check.maxP99Ms) problems.push(`p99 ${figures.p99Ms} ms > ${check.maxP99Ms} ms`);
    // autocannon reports p97.5, not p95: checking p95 against it is the stricter reading.
    if (check.maxP95Ms !== undefined && figures.p97_5Ms > check.maxP95Ms) problems.push(`p95 (≤ p97.5 ${figures.p97_5Ms} ms) > ${check.maxP95Ms} ms`);
    if (check.maxErrorRate !== undefined && figures.errorRate > check.maxErrorRate) problems.push(`error rate ${(figures.errorRate * 100).toFixed(2)} % > ${(check.maxErrorRate * 100).toFixed(2)} %`);
    if (check.minRps !== undefined && figures.rps < check.minRps) problems.push(`${figures.rps.toFixed(0)} req/s < ${check.minRps}`);
    const baseline = await this.store.loadResults.baseline(environment, check.service, ctx.run.sha);
    if (baseline) {
      const b = baseline.figures;
      ctx.log.info(`baseline (release ${baseline.release.slice(0, 7)}): ${b.rps.toFixed(0)} req/s, p99 ${b.p99Ms} ms`);
      if (check.maxP99Increase !== undefined && b.p99Ms > 0 && figures.p99Ms > b.p99Ms * (1 + check.maxP99Increase)) {
        problems.push(`p99 ${figures.p99Ms} ms is more than ${Math.round(check.maxP99Increase * 100)} % worse than the baseline's ${b.p99Ms} ms`);
      }
      if (check.maxRpsDecrease !== undefined && figures.rps < b.rps * (1 - check.maxRpsDecrease)) {
        problems.push(`${figures.rps.toFixed(0)} req/s is more than ${Math.round(check.maxRpsDecrease * 100)} % below the baseline's ${b.rps.toFixed(0)}`);
      }
    } else ctx.log.info('no baseline yet in this environment: these figures become the first one once this release succeeds');
    const result = { ...figures, baseline: baseline ? { release: baseline.release, ...baseline.figures } : null };
    await this.store.loadResults.add({ environment, service: check.service, release: ctx.run.sha, runId: ctx.run.id, figures, passed: problems.length === 0, createdAt: ctx.clock.now() });
    if (problems.length > 0) throw new GantryError('LOAD_TEST_FAILED', `load check of ${check.service} failed: ${problems.join('; ')}`, { hint: 'See the figures and the baseline in the step log.', details: { summary: { load: result } } });
    return result;
  }
}
