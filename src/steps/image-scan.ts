import { specOf, type ImageScanStepSpec } from '../engine/step-specs/index.js';
import type { StepContext, StepHandler, StepOutcome } from '../engine/step-handler.js';
import { GantryError, GateError } from '../errors/index.js';
import { Redactor } from '../secrets/redactor.js';
import { childEnvironment, type SecretSource } from '../secrets/source.js';
import { findingLine, judgeImage, type ImageVerdict } from './scan/image-gate.js';
import { runScanner, type ScannerRun } from './scan/run-scanner.js';
import { excerpt, parseTrivyReport, type ImageScanReport } from './scan/trivy-report.js';
import { registryCredentials } from './support/registry-access.js';
import type { Store } from '../store/store.js';
import type { Workspaces } from './workspace.js';

export interface ImageScanDeps {
  /** Where the release's image step recorded the digest. */
  readonly store: Store;
  readonly secrets: SecretSource;
  /** Who the scanner runs as, with which HOME: the gates' user (Workspaces). */
  readonly runAs: Pick<Workspaces, 'user' | 'environment'>;
  readonly tempRoot?: string;
}

/**
 * Scans one service's image, by digest, before it may reach an environment that asks for it: runs
 * the configured scanner, reads its Trivy JSON report and blocks at the environment's severity.
 * The verdict is the step's summary (shown on the run, summed into notifications) whether it
 * passes or blocks; a scanner that fails to report fails the step, it never passes by default.
 */
export class ImageScanStep implements StepHandler {
  readonly kind = 'image-scan';

  constructor(private readonly deps: ImageScanDeps) {}

  async run(ctx: StepContext): Promise<StepOutcome> {
    const spec = specOf(ctx, 'image-scan');
    const image = await this.imageRef(ctx, spec);
    const ignoring = spec.ignore.length > 0 ? `, ignoring ${spec.ignore.join(', ')}` : '';
    ctx.log.info(`scanning ${image} (${spec.service}) for ${spec.environment}: blocks at ${spec.failOn}${ignoring}`);
    ctx.log.info(`$ ${spec.scanner.command}`);
    const run = await runScanner(ctx, {
      command: spec.scanner.command,
      timeoutMs: spec.scanner.timeoutMs,
      env: this.environment(ctx, spec, image),
      user: this.deps.runAs.user,
      ...(this.deps.tempRoot ? { tempRoot: this.deps.tempRoot } : {}),
    });
    const report = this.report(ctx, run);
    const verdict = judgeImage(report, { environment: spec.environment, failOn: spec.failOn, ignore: spec.ignore });
    logVerdict(ctx, verdict);
    const summary = summaryOf(spec, image, report, verdict);
    if (verdict.blocks) {
      throw new GateError('IMAGE_SCAN_BLOCKED', `image scan of ${spec.service} (${image}): ${verdict.line}`, {
        hint: `Upgrade the packages with a fixed version (rebuild the image on a patched base), or accept an id on purpose under environments.${spec.environment}.imageScan.ignore in gantry.yaml. The findings are in the step's summary and log.`,
        where: `image-scan ${spec.service} → ${spec.environment}`,
        details: { summary },
      });
    }
    return { kind: 'done', summary, message: verdict.line };
  }

  /** `host/repository@sha256:…`: the digest the release's image step recorded for the service. */
  private async imageRef(ctx: StepContext, spec: ImageScanStepSpec): Promise<string> {
    const artifact = (await this.deps.store.releases.forRelease(ctx.run.sha)).find((a) => a.service === spec.service);
    const built = artifact && (await this.deps.store.images.forRelease(artifact.releaseId, spec.service));
    if (!built) {
      throw new GantryError('RELEASE_NOT_FOUND', `release ${ctx.run.sha.slice(0, 7)} has no image of ${spec.service} to scan`, {
        hint: `The ${spec.imageStep} step records it before this step runs; a release built before the service had \`image:\` must be built again (dispatch it with --ref).`,
      });
    }
    return `${spec.registry.url}/${spec.repository}@${built.digest}`;
  }

  /** The scanner's environment: the gates' base, the image, and the registry account in Gantry's and Trivy's names. */
  private environment(ctx: StepContext, spec: ImageScanStepSpec, image: string): Record<string, string> {
    const env: Record<string, string> = { ...this.deps.runAs.environment(childEnvironment()), CI: 'true', GANTRY: 'true', GANTRY_RUN_ID: String(ctx.run.id), GANTRY_IMAGE: image, GANTRY_SERVICE: spec.service, GANTRY_ENVIRONMENT: spec.environment };
    // Trivy refuses a plain-HTTP registry unless told (its --insecure flag, as an environment variable).
    if (spec.registry.plainHttp) Object.assign(env, { GANTRY_REGISTRY_PLAIN_HTTP: 'true', TRIVY_INSECURE: 'true' });
    // The build registry's account, as the image step pushed with it (shared secrets).
    const account = registryCredentials(spec.registry, this.deps.secrets, null);
    if (!account) return env;
    const { username, password } = account;
    return { ...env, GANTRY_REGISTRY_USERNAME: username, GANTRY_REGISTRY_PASSWORD: password, TRIVY_USERNAME: username, TRIVY_PASSWORD: password };
  }

  /** The file when the scanner wrote one, else stdout; a non-zero exit counts only when there is no report. */
  private report(ctx: StepContext, run: ScannerRun): ImageScanReport {
    const redactor = new Redactor(this.deps.secrets.allValues());
    const redact = (s: string): string => redactor.redact(s);
    if (run.reportFile !== null && run.stdout.trim() !== '') ctx.log.write('stdout', run.stdout);
    const [text, where] = run.reportFile !== null ? [run.reportFile, '$GANTRY_SCAN_REPORT'] : [run.stdout, 'stdout'];
    if (run.exitCode !== 0) {
      try {
        const report = parseTrivyReport(text, where, redact);
        ctx.log.info(`the scanner exited with ${run.exitCode} but wrote a report (Trivy's --exit-code): the report decides`);
        return report;
      } catch {
        throw new GateError('IMAGE_SCAN_FAILED', `the scanner exited with ${run.exitCode} without a report${text.trim() ? ` (${where} begins: ${excerpt(redact(text))})` : ''}`, {
          hint: 'Run the scanner command by hand with GANTRY_IMAGE set to the image; its error output is in the step log.',
          details: { exitCode: run.exitCode },
        });
      }
    }
    const report = parseTrivyReport(text, where, redact);
    ctx.log.info(`report: ${report.findings.length} finding(s) in ${report.artifact.name || 'the image'} (${where})`);
    return report;
  }
}

function logVerdict(ctx: StepContext, verdict: ImageVerdict): void {
  ctx.log.info(verdict.line);
  for (const f of verdict.top) ctx.log.info(`  ${findingLine(f)}`);
  const more = verdict.counts.critical + verdict.counts.high + verdict.counts.medium + verdict.counts.low + verdict.counts.unknown - verdict.top.length;
  if (more > 0) ctx.log.info(`  … and ${more} more (the full list is in the scanner's report)`);
  for (const f of verdict.ignored) ctx.log.info(`  ignored on purpose: ${f.id} (${f.severity}, ${f.pkg})`);
  if (verdict.unusedIgnores.length > 0) ctx.log.info(`note: ignore entries that matched no finding: ${verdict.unusedIgnores.join(', ')} (remove them from gantry.yaml once they are no longer needed)`);
}

/** What the run shows; `findings` has the counts the notifications sum over a run's scans. */
function summaryOf(spec: ImageScanStepSpec, image: string, report: ImageScanReport, verdict: ImageVerdict): Record<string, unknown> {
  return {
    image,
    service: spec.service,
    environment: spec.environment,
    artifact: report.artifact,
    line: verdict.line,
    blocks: verdict.blocks,
    failOn: verdict.failOn,
    findings: verdict.counts,
    blocking: verdict.blocking,
    fixable: verdict.fixable,
    ignored: verdict.ignored,
    unusedIgnores: verdict.unusedIgnores,
    top: verdict.top,
  };
}
