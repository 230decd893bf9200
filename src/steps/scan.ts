import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { specOf, type ScanStepSpec } from '../engine/step-specs/index.js';
import type { StepContext, StepHandler, StepOutcome } from '../engine/step-handler.js';
import type { Run } from '../domain/run.js';
import { GateError } from '../errors/index.js';
import { childEnvironment } from '../secrets/source.js';
import { runCommand } from './command.js';
import { countAtOrAbove, parseAuditJson, ZERO_COUNTS, type AuditResult, type VulnerabilityCounts } from './scan/audit.js';
import { scanFiles, type SecretFinding } from './scan/secrets.js';
import { trackedFiles } from './scan/tracked-files.js';
import type { Workspaces } from './workspace.js';

/** Not a valid service name, so it never shares a worktree with a service's gates. */
export const SCAN_WORKSPACE = '_scan';
export const NPM_AUDIT_COMMAND = 'npm audit --json --omit=dev';
/** An audit that hangs on the network is unavailable, not a reason to hold the run. */
export const AUDIT_TIMEOUT_MS = 2 * 60_000;

/** A custom audit command that failed without printing counts carries its exit code, and blocks. */
type ServiceAudit = VulnerabilityCounts & { readonly exitCode?: number };
type AuditSummary = Record<string, ServiceAudit | 'unavailable'>;

/**
 * The security scan that runs first in every run with gates, in a clean worktree at the commit:
 * secretlint's recommended rules over the changed files, then a dependency audit of each changed
 * service. A secret is reported by rule and location only; its value never reaches a log.
 */
export class ScanStep implements StepHandler {
  readonly kind = 'scan';

  constructor(private readonly workspaces: Workspaces) {}

  async run(ctx: StepContext): Promise<StepOutcome> {
    const spec = specOf(ctx, 'scan');
    const root = await this.workspaces.checkout(ctx.run.id, SCAN_WORKSPACE, ctx.run.sha);
    const findings = spec.scan.secrets ? await this.scanSecrets(ctx, spec, root) : [];
    if (!spec.scan.secrets) ctx.log.info('secrets: not scanned (scan.secrets is false)');
    const audit = await this.audit(ctx, spec, root);
    const summary = { findings, audit };
    if (findings.length > 0) {
      const list = findings.map((f) => `${f.file}:${f.line} ${f.rule}`);
      throw new GateError('SECRET_FOUND', `${findings.length} secret(s) found in the commit: ${list.join(', ')}`, {
        hint: 'Remove each secret from the file and from the branch history, rotate it (it has been pushed), and reference it through Gantry secrets instead.',
        where: list[0],
        details: { summary },
      });
    }
    const severity = spec.scan.audit.severity;
    const blocking = Object.entries(audit).flatMap(([service, r]) => (r !== 'unavailable' && blocks(r, severity) ? [`${service} (${describe(r)})`] : []));
    if (blocking.length > 0) {
      throw new GateError('VULNERABILITIES_FOUND', `dependency audit found vulnerabilities at or above ${severity}: ${blocking.join('; ')}`, {
        hint: 'Run `npm audit --omit=dev` in the service folder and upgrade the named packages, or raise scan.audit.severity in gantry.yaml.',
        details: { summary },
      });
    }
    return { kind: 'done', summary };
  }

  async cleanup(run: Run): Promise<void> {
    await this.workspaces.removeRun(run.id);
  }

  private async scanSecrets(ctx: StepContext, spec: ScanStepSpec, root: string): Promise<SecretFinding[]> {
    const files = spec.files ?? (await trackedFiles(root, spec.paths));
    const what = spec.files ? 'changed file(s)' : `tracked file(s) under ${spec.paths.join(', ') || 'the repository'} (no base to compare with)`;
    const { findings, scanned } = await scanFiles(root, files);
    ctx.log.info(`secrets: scanned ${scanned} of ${files.length} ${what} with secretlint's recommended rules`);
    for (const f of findings) ctx.log.info(`  ${f.file}:${f.line}  ${f.rule}  ${f.message}`);
    if (findings.length === 0) ctx.log.info('secrets: none found');
    return findings;
  }

  private async audit(ctx: StepContext, spec: ScanStepSpec, root: string): Promise<AuditSummary> {
    const out: AuditSummary = {};
    const severity = spec.scan.audit.severity;
    for (const service of spec.services) {
      const cwd = join(root, service.path);
      const command = existsSync(join(cwd, 'package-lock.json')) ? NPM_AUDIT_COMMAND : spec.scan.audit.command;
      if (command === undefined) {
        ctx.log.info(`audit ${service.name}: skipped (no package-lock.json and no scan.audit.command)`);
        continue;
      }
      ctx.log.info(`audit ${service.name}: $ ${command}   (in ${service.path})`);
      const result = await this.runAudit(ctx, command, cwd, command === NPM_AUDIT_COMMAND);
      if ('kind' in result) {
        ctx.log.info(`warning: audit ${service.name} unavailable: ${result.reason}. This is neither a pass nor a failure; run it again when the advisory database is reachable.`);
        out[service.name] = 'unavailable';
        continue;
      }
      out[service.name] = result;
      ctx.log.info(`audit ${service.name}: ${describe(result)}; ${countAtOrAbove(result, severity)} at or above ${severity}`);
    }
    return out;
  }

  /** npm's counts decide for npm; a custom command is decided by its counts if it prints them, else by its exit code. */
  private async runAudit(ctx: StepContext, command: string, cwd: string, npm: boolean): Promise<Exclude<AuditResult, { kind: 'counts' }> | ServiceAudit> {
    let stdout = '';
    let exitCode: number;
    try {
      ({ exitCode } = await runCommand(command, {
        cwd,
        env: { ...this.workspaces.environment(childEnvironment()), CI: 'true', npm_config_fetch_retries: '0', npm_config_update_notifier: 'false' },
        user: this.workspaces.user,
        signal: AbortSignal.any([ctx.signal, AbortSignal.timeout(AUDIT_TIMEOUT_MS)]),
        // Only stdout is kept (as data, not logged): the report names packages, not secrets, but it is long.
        onOutput: (stream, chunk) => (stream === 'stdout' ? void (stdout += chunk) : ctx.log.write('stderr', chunk)),
        onSpawn: (pid) => void ctx.trackProcess(pid),
      }).finally(() => ctx.trackProcess(null)));
    } catch (error: unknown) {
      if (ctx.signal.aborted) throw error;
      return { kind: 'unavailable', reason: `the audit did not finish in ${AUDIT_TIMEOUT_MS / 1000}s` };
    }
    const parsed = parseAuditJson(stdout);
    if (parsed.kind === 'counts') return parsed.counts;
    if (npm) return parsed;
    return exitCode === 0 ? ZERO_COUNTS : { ...ZERO_COUNTS, exitCode };
  }
}

function blocks(r: ServiceAudit, severity: ScanStepSpec['scan']['audit']['severity']): boolean {
  return r.exitCode !== undefined || countAtOrAbove(r, severity) > 0;
}

function describe(r: ServiceAudit): string {
  const counts = `critical ${r.critical}, high ${r.high}, moderate ${r.moderate}, low ${r.low}`;
  return r.exitCode === undefined ? counts : `the audit command exited with ${r.exitCode} and printed no counts`;
}
