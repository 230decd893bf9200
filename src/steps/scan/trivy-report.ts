import { z } from 'zod';
import { GateError } from '../../errors/index.js';

/** Trivy's severities, most severe first. UNKNOWN is a finding no database rated. */
export const TRIVY_SEVERITIES = ['critical', 'high', 'medium', 'low', 'unknown'] as const;
export type TrivySeverity = (typeof TRIVY_SEVERITIES)[number];
export type SeverityCounts = Readonly<Record<TrivySeverity, number>>;

export interface ImageFinding {
  readonly id: string;
  readonly pkg: string;
  readonly installed: string;
  /** Empty when no fixed version exists yet. */
  readonly fixed: string;
  readonly severity: TrivySeverity;
  readonly title: string;
  readonly url: string;
  /** The part of the image it was found in: `repo@sha256:… (debian 12.8)`, `app/package-lock.json`. */
  readonly target: string;
}

export interface ImageScanReport {
  readonly artifact: { readonly name: string; readonly type: string };
  readonly findings: readonly ImageFinding[];
  readonly counts: SeverityCounts;
}

/**
 * The slice of Trivy's JSON report (`--format json`, SchemaVersion 2, Trivy ≥ 0.20) that Gantry
 * reads. Other fields (Metadata, CVSS, Misconfigurations, Secrets …) are allowed and dropped.
 * Trivy leaves empty fields out (`omitempty`), so a clean image may have no Results at all.
 */
const Vulnerability = z.object({
  VulnerabilityID: z.string().min(1),
  PkgName: z.string().default(''),
  InstalledVersion: z.string().default(''),
  FixedVersion: z.string().default(''),
  Severity: z.enum(['UNKNOWN', 'LOW', 'MEDIUM', 'HIGH', 'CRITICAL']),
  Title: z.string().default(''),
  PrimaryURL: z.string().default(''),
});
const Result = z.object({
  Target: z.string(),
  Class: z.string().optional(),
  Type: z.string().optional(),
  Vulnerabilities: z.array(Vulnerability).nullish(),
});
const Report = z.object({
  SchemaVersion: z.literal(2),
  ArtifactName: z.string().default(''),
  ArtifactType: z.string().default(''),
  Results: z.array(Result).nullish(),
});

const EXCERPT_CHARS = 120;
const HINT = 'Make the scanner print Trivy\'s JSON report: `trivy image --format json --quiet "$GANTRY_IMAGE"` (or write it to "$GANTRY_SCAN_REPORT" with `--output`); the table format cannot be read.';

/** The first bytes of what the scanner printed, on one line, for an error people can act on. */
export function excerpt(text: string): string {
  const flat = text.trim().replace(/\s+/g, ' ');
  return flat.length > EXCERPT_CHARS ? `${flat.slice(0, EXCERPT_CHARS)}…` : flat;
}

function unreadable(what: string, text: string, where: string): GateError {
  const shown = text.trim() === '' ? 'it was empty' : `it begins: ${excerpt(text)}`;
  return new GateError('IMAGE_SCAN_FAILED', `the scanner's report (${where}) is not a Trivy JSON report: ${what}; ${shown}`, { hint: HINT, where });
}

/** Where a report's structure first goes wrong: `Results.0.Vulnerabilities.3.Severity: …`. */
function firstIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'its structure does not match';
  const path = issue.path.length > 0 ? issue.path.map(String).join('.') : '(top level)';
  return `${path}: ${issue.message}`;
}

/**
 * Reads a Trivy JSON report into findings and counts. Throws IMAGE_SCAN_FAILED naming what is wrong
 * and the report's first bytes when the text is not one (`where` says which output it came from).
 * `redact` masks secret values in that excerpt: the scanner saw the registry credentials.
 */
export function parseTrivyReport(text: string, where: string, redact: (s: string) => string = (s) => s): ImageScanReport {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw unreadable('it is not JSON', redact(text), where);
  }
  if (Array.isArray(json)) throw unreadable('it is a JSON array, the report format of Trivy before 0.20 (SchemaVersion 2 is expected; upgrade Trivy)', redact(text), where);
  const parsed = Report.safeParse(json);
  if (!parsed.success) throw unreadable(firstIssue(parsed.error), redact(text), where);
  const findings: ImageFinding[] = [];
  for (const result of parsed.data.Results ?? []) {
    for (const v of result.Vulnerabilities ?? []) {
      findings.push({ id: v.VulnerabilityID, pkg: v.PkgName, installed: v.InstalledVersion, fixed: v.FixedVersion, severity: toSeverity(v.Severity), title: v.Title, url: v.PrimaryURL, target: result.Target });
    }
  }
  return { artifact: { name: parsed.data.ArtifactName, type: parsed.data.ArtifactType }, findings, counts: countBySeverity(findings) };
}

const SEVERITY_OF: Readonly<Record<z.output<typeof Vulnerability>['Severity'], TrivySeverity>> = { CRITICAL: 'critical', HIGH: 'high', MEDIUM: 'medium', LOW: 'low', UNKNOWN: 'unknown' };
const toSeverity = (s: z.output<typeof Vulnerability>['Severity']): TrivySeverity => SEVERITY_OF[s];

export function countBySeverity(findings: readonly Pick<ImageFinding, 'severity'>[]): SeverityCounts {
  const counts: Record<TrivySeverity, number> = { critical: 0, high: 0, medium: 0, low: 0, unknown: 0 };
  for (const f of findings) counts[f.severity] += 1;
  return counts;
}
