import { countBySeverity, TRIVY_SEVERITIES, type ImageFinding, type ImageScanReport, type SeverityCounts, type TrivySeverity } from './trivy-report.js';

/** The lowest severity that blocks; UNKNOWN never does (nobody rated it). */
export const FAIL_ON_SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
export type FailOn = (typeof FAIL_ON_SEVERITIES)[number];

export interface ImageScanPolicy {
  readonly environment: string;
  readonly failOn: FailOn;
  /** Vulnerability ids accepted on purpose: shown as ignored, never counted as blocking. */
  readonly ignore: readonly string[];
}

export interface ImageVerdict {
  readonly blocks: boolean;
  readonly failOn: FailOn;
  /** Findings not ignored, by severity (the notification's scan totals read these). */
  readonly counts: SeverityCounts;
  /** Findings at or above failOn, not ignored. */
  readonly blocking: number;
  /** Of the blocking findings, how many have a fixed version to upgrade to. */
  readonly fixable: number;
  readonly ignored: readonly { readonly id: string; readonly pkg: string; readonly severity: TrivySeverity }[];
  /** Ignore entries that matched no finding: stale entries worth removing from gantry.yaml. */
  readonly unusedIgnores: readonly string[];
  /** The most severe findings not ignored, at most TOP_FINDINGS. */
  readonly top: readonly ImageFinding[];
  /** `2 critical, 5 high (3 fixable) — blocks production at high`. */
  readonly line: string;
}

export const TOP_FINDINGS = 10;

const rank = (s: TrivySeverity): number => TRIVY_SEVERITIES.indexOf(s);

/** Whether a finding of this severity blocks at `failOn`. */
export const blocksAt = (severity: TrivySeverity, failOn: FailOn): boolean => severity !== 'unknown' && rank(severity) <= rank(failOn);

const describeCounts = (counts: SeverityCounts, which: (s: TrivySeverity) => boolean): string =>
  TRIVY_SEVERITIES.filter((s) => which(s) && counts[s] > 0)
    .map((s) => `${counts[s]} ${s}`)
    .join(', ');

/** Most severe first; a fixable one before one without a fix; then by id, so the list is stable. */
function bySeverity(a: ImageFinding, b: ImageFinding): number {
  return rank(a.severity) - rank(b.severity) || Number(b.fixed !== '') - Number(a.fixed !== '') || a.id.localeCompare(b.id) || a.pkg.localeCompare(b.pkg);
}

/** The verdict on one image for one environment: pure, from the report and the environment's policy. */
export function judgeImage(report: ImageScanReport, policy: ImageScanPolicy): ImageVerdict {
  const ignore = new Set(policy.ignore);
  const kept = report.findings.filter((f) => !ignore.has(f.id));
  const ignored = report.findings.filter((f) => ignore.has(f.id));
  const blocking = kept.filter((f) => blocksAt(f.severity, policy.failOn));
  const fixable = blocking.filter((f) => f.fixed !== '').length;
  const counts = countBySeverity(kept);
  const matched = new Set(ignored.map((f) => f.id));
  const unusedIgnores = policy.ignore.filter((id) => !matched.has(id));

  let line: string;
  if (blocking.length > 0) {
    const above = describeCounts(counts, (s) => blocksAt(s, policy.failOn));
    const below = describeCounts(counts, (s) => !blocksAt(s, policy.failOn));
    line = `${above} (${fixable} fixable) — blocks ${policy.environment} at ${policy.failOn}${below ? `; below that: ${below}` : ''}`;
  } else {
    line = `${describeCounts(counts, () => true) || 'no vulnerabilities'} — passes ${policy.environment} (blocks at ${policy.failOn})`;
  }
  if (ignored.length > 0) line += `; ${ignored.length} ignored on purpose (${[...matched].sort().join(', ')})`;

  return {
    blocks: blocking.length > 0,
    failOn: policy.failOn,
    counts,
    blocking: blocking.length,
    fixable,
    ignored: ignored.map((f) => ({ id: f.id, pkg: f.pkg, severity: f.severity })),
    unusedIgnores,
    top: [...kept].sort(bySeverity).slice(0, TOP_FINDINGS),
    line,
  };
}

/** One finding on one line, for the step log and the error: `CRITICAL CVE-2023-1 openssl 3.0.1 → 3.0.7 (debian 12)`. */
export function findingLine(f: ImageFinding): string {
  const fix = f.fixed ? ` → ${f.fixed}` : ' (no fix yet)';
  return `${f.severity.toUpperCase().padEnd(8)} ${f.id} ${f.pkg} ${f.installed}${fix}${f.title ? `: ${f.title}` : ''}  [${f.target}]`;
}
