import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { specOf, type GateStepSpec } from '../engine/step-specs/index.js';
import type { StepContext, StepHandler, StepOutcome } from '../engine/step-handler.js';
import type { Run } from '../domain/run.js';
import { GateError } from '../errors/index.js';
import { childEnvironment, type SecretSource } from '../secrets/source.js';
import type { Store } from '../store/store.js';
import { traceEnvironment } from '../telemetry/index.js';
import { runCommand } from './command.js';
import { parseCoverage } from './reports/coverage.js';
import { parseJunit } from './reports/junit.js';
import type { Workspaces } from './workspace.js';

/**
 * A CI quality gate: one command of one service, in that service's clean worktree at the commit.
 * A pass is cached under the service's content, the command, its declared environment, and which
 * of its declared secrets resolved, at which version: a pass without a secret (a feature branch)
 * is not reused where the secret is set (develop), nor after the secret changed.
 */
export class GateStep implements StepHandler {
  readonly kind = 'gate';

  constructor(private readonly store: Store, private readonly workspaces: Workspaces, private readonly secrets: SecretSource) {}

  async run(ctx: StepContext): Promise<StepOutcome> {
    const spec = specOf(ctx, 'gate');
    // A spec planned before secretScope existed gets shared secrets only: never more than it may have.
    const scope = spec.secretScope ?? null;
    const versions = this.secrets.versions(spec.secrets, scope);
    const missing = spec.secrets.filter((name) => versions[name] === undefined);
    const cacheKey = keyWithSecrets(spec.cacheKey, versions);
    const hit = await this.store.gateCache.get(cacheKey);
    if (hit) {
      ctx.log.info(`cached: this gate passed for identical content in run #${hit.runId}; not run again`);
      return { kind: 'done', cached: true, summary: hit.summary ?? {}, message: `cached from run #${hit.runId}` };
    }
    const root = await this.workspaces.checkout(ctx.run.id, spec.service, ctx.run.sha);
    const cwd = join(root, spec.servicePath);
    ctx.log.info(`$ ${spec.gate.run}   (in ${spec.servicePath} at ${ctx.run.sha.slice(0, 7)})`);
    if (missing.length > 0) ctx.log.info(missingSecretsNote(missing, scope, ctx.run.environment));
    const env = {
      ...this.workspaces.environment(childEnvironment()),
      CI: 'true',
      GANTRY: 'true',
      GANTRY_RUN_ID: String(ctx.run.id),
      GANTRY_SHA: ctx.run.sha,
      GANTRY_SERVICE: spec.service,
      // The step's span, so a suite's own spans join the run's trace (when this server sends traces).
      ...traceEnvironment(ctx.run, ctx.step.id),
      ...spec.gate.env,
      // Only the service's declared secrets, from the planned scope (shared ones for a branch without an
      // environment, or one whose approvals come after the gates).
      ...this.secrets.values(spec.secrets, scope),
    };
    const { exitCode } = await runCommand(spec.gate.run, {
      cwd,
      env,
      signal: ctx.signal,
      user: this.workspaces.user,
      onOutput: (s, c) => ctx.log.write(s, c),
      onSpawn: (pid) => void ctx.trackProcess(pid),
    }).finally(() => ctx.trackProcess(null));
    const summary: Record<string, unknown> = { exitCode, ...(missing.length > 0 ? { missingSecrets: missing } : {}) };
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
    await this.store.gateCache.put({ key: cacheKey, service: spec.service, gate: spec.gate.name, runId: ctx.run.id, stepId: ctx.step.id, summary, createdAt: ctx.clock.now() });
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

/** The planned key (content, command, env) joined with the version of each declared secret that resolved. */
export function keyWithSecrets(planned: string, versions: Readonly<Record<string, string>>): string {
  const sorted = Object.keys(versions).sort().map((name) => [name, versions[name]]);
  return createHash('sha256').update(JSON.stringify({ planned, secrets: sorted })).digest('hex');
}

function missingSecretsNote(missing: readonly string[], scope: string | null, environment: string | null): string {
  const where = scope ? `for ${scope} or shared` : 'as shared secrets';
  const why = environment && scope === null ? ` (a gate of a run bound for ${environment} runs before its approvals, so it gets shared secrets only, never ${environment}'s)` : '';
  return `warning: declared secret(s) ${missing.join(', ')} not set ${where}${why}: the gate runs without them, and a pass is cached only for runs without them`;
}
