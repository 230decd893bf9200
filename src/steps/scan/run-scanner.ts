import { chown, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatDuration } from '../../config/duration.js';
import type { StepContext } from '../../engine/step-handler.js';
import { GateError } from '../../errors/index.js';
import type { RunAsUser } from '../../secrets/run-as.js';
import { runCommand } from '../command.js';

/** A report bigger than this is not read (Trivy's report of a large image is a few MB). */
export const MAX_REPORT_CHARS = 64 * 1024 * 1024;

export interface ScannerRun {
  readonly exitCode: number;
  /** What the command printed on stdout (the report, unless it wrote the file). */
  readonly stdout: string;
  /** What it wrote to $GANTRY_SCAN_REPORT; null when it wrote nothing there. */
  readonly reportFile: string | null;
}

export interface ScannerOptions {
  readonly command: string;
  readonly timeoutMs: number;
  readonly env: Readonly<Record<string, string>>;
  readonly user: RunAsUser | null;
  /** Where the step's temporary folder goes (the system's by default). */
  readonly tempRoot?: string;
}

const failed = (message: string, hint: string): GateError => new GateError('IMAGE_SCAN_FAILED', message, { hint });

/**
 * Runs the scanner command in its own process group, in a temporary folder that is removed after:
 * stderr goes to the step log as it comes, stdout is kept as the report. On its timeout (or the
 * step's abort) the whole group is stopped before this returns, so no scanner outlives the step.
 */
export async function runScanner(ctx: StepContext, o: ScannerOptions): Promise<ScannerRun> {
  const dir = await mkdtemp(join(o.tempRoot ?? tmpdir(), 'gantry-image-scan-'));
  try {
    // The command may run as the unprivileged user of the gates; it must be able to write its report.
    if (o.user) await chown(dir, o.user.uid, o.user.gid);
    const reportPath = join(dir, 'report.json');
    let stdout = '';
    let tooBig = false;
    const timeout = AbortSignal.timeout(o.timeoutMs);
    let exitCode: number;
    try {
      ({ exitCode } = await runCommand(o.command, {
        cwd: dir,
        env: { ...o.env, GANTRY_SCAN_REPORT: reportPath },
        user: o.user,
        signal: AbortSignal.any([ctx.signal, timeout]),
        onOutput: (stream, chunk) => {
          if (stream === 'stderr') return ctx.log.write('stderr', chunk);
          if (stdout.length + chunk.length > MAX_REPORT_CHARS) tooBig = true;
          else stdout += chunk;
        },
        onSpawn: (pid) => void ctx.trackProcess(pid),
      }).finally(() => ctx.trackProcess(null)));
    } catch (error: unknown) {
      if (ctx.signal.aborted || !timeout.aborted) throw error;
      throw failed(`the scanner did not finish within ${formatDuration(o.timeoutMs)} and was stopped`, 'Raise images.scanner.timeout in gantry.yaml, or check that the scanner reaches its vulnerability database and the registry (its output is in the step log).');
    }
    if (tooBig) throw failed(`the scanner printed more than ${MAX_REPORT_CHARS / 1024 / 1024} MB on stdout`, 'Print only the JSON report on stdout (`--quiet`), or write it to "$GANTRY_SCAN_REPORT".');
    const reportFile = await readFile(reportPath, 'utf8').catch(() => null);
    return { exitCode, stdout, reportFile: reportFile !== null && reportFile.trim() !== '' ? reportFile : null };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
