import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { GateStepSpec } from '../engine/planner.js';
import type { StepContext, StepHandler, StepOutcome } from '../engine/step-handler.js';
import type { Run } from '../domain/run.js';
import { GateError } from '../errors/index.js';
import { childEnvironment, type SecretSource } from '../secrets/source.js';
import type { Store } from '../store/store.js';
import { runCommand } from './command.js';
import { parseCoverage } from './reports/coverage.js';
import { parseJunit } from './reports/junit.js';
import type { Workspaces } from './workspace.js';

/**
 * A CI quality gate: one command of one service, in that service's clean worktree at the commit.
 * A pass is cached under the service's content, the command and its declared environment.
 */
export class GateStep implements StepHandler {
  readonly kind = 'gate';

  constructor(private readonly store: Store, private readonly workspaces: Workspaces, private readonly secrets: SecretSource) {}

  async run(ctx: StepContext): Promise<StepOutcome> {
    const spec = ctx.step.spec as GateStepSpec;
    const hit = await this.store.gateCache.get(spec.cacheKey);
    if (hit) {
      ctx.log.info(`cached: this gate passed for identical content in run #${hit.runId}; not run again`);
      return { kind: 'done', cached: true, summary: hit.summary ?? {}, message: `cached from run #${hit.runId}` };
    }
    const root = await this.workspaces.checkout(ctx.run.id, spec.service, ctx.run.sha);
    const cwd = join(root, spec.servicePath);
    ctx.log.info(`$ ${spec.gate.run}   (in ${spec.servicePath} at ${ctx.run.sha.slice(0, 7)})`);
    const env = {
      ...childEnvironment(),
      CI: 'true',
      GANTRY: 'true',
      GANTRY_RUN_ID: String(ctx.run.id),
      GANTRY_SHA: ctx.run.sha,
      GANTRY_SERVICE: spec.service,
      ...spec.gate.env,
      // Only the service's declared secrets, from the run's environment (or shared ones for a branch without one).
      ...this.secrets.values(spec.secrets, ctx.run.environment),
    };
    const { exitCode } = await runCommand(spec.gate.run, {
      cwd,
      env,
      signal: ctx.signal,
      onOutput: (s, c) => ctx.log.write(s, c),
      onSpawn: (pid) => void ctx.trackProcess(pid),
    }).finally(() => ctx.trackProcess(null));
    const summary: Record<string, unknown> = { exitCode };
    if (spec.gate.junit) summary.tests = await this.readJunit(cwd, spec, exitCode === 0);
    if (exitCode !== 0) {
      throw new GateError('GATE_FAILED', `gate ${spec.service}/${spec.gate.name} failed with exit code ${exitCode}`, {
        hint: `Run \`${spec.gate.run}\` in ${spec.servicePath} to reproduce; the log tail is below.`,
        retryable: spec.gate.retries > 0,
        details: { exitCode, summary },
      });
    }
    if (spec.gate.coverage) {
      const coverage = parseCoverage(await this.readReport(cwd, spec.gate.coverage.file, spec), spec.gate.coverage.format);
      summary.coverage = { ...coverage, minimum: spec.gate.coverage.minimum };
      ctx.log.info(`coverage: ${coverage.percent.toFixed(1)}% of lines (minimum ${spec.gate.coverage.minimum}%)`);
      if (coverage.percent < spec.gate.coverage.minimum) {
        throw new GateError('COVERAGE_TOO_LOW', `line coverage of ${spec.service} is ${coverage.percent.toFixed(1)}%, below the minimum of ${spec.gate.coverage.minimum}%`, {
          hint: 'Add tests, or lower `coverage.minimum` for this gate in gantry.yaml.',
          details: { summary },
        });
      }
    }
    await this.store.gateCache.put({ key: spec.cacheKey, service: spec.service, gate: spec.gate.name, runId: ctx.run.id, stepId: ctx.step.id, summary, createdAt: ctx.clock.now() });
    return { kind: 'done', summary };
  }

  async cleanup(run: Run): Promise<void> {
    await this.workspaces.removeRun(run.id);
  }

  private async readJunit(cwd: string, spec: GateStepSpec, required: boolean): Promise<unknown> {
    try {
      return parseJunit(await this.readReport(cwd, spec.gate.junit ?? '', spec));
    } catch (error: unknown) {
      if (required) throw error;
      return null;
    }
  }

  private async readReport(cwd: string, file: string, spec: GateStepSpec): Promise<string> {
    try {
      return await readFile(join(cwd, file), 'utf8');
    } catch (cause: unknown) {
      throw new GateError('REPORT_UNREADABLE', `gate ${spec.service}/${spec.gate.name} passed but its report ${file} was not written`, {
        cause,
        hint: `Make the command write ${file} (relative to ${spec.servicePath}), or remove the report from the gate.`,
      });
    }
  }
}
