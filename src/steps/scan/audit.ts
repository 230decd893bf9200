import type { AuditSeverity } from '../../config/types.js';

export interface VulnerabilityCounts {
  readonly critical: number;
  readonly high: number;
  readonly moderate: number;
  readonly low: number;
}

/** What one service's audit found: counts, or why there are none (never a pass by default). */
export type AuditResult = { readonly kind: 'counts'; readonly counts: VulnerabilityCounts } | { readonly kind: 'unavailable'; readonly reason: string };

/** Most severe first. */
export const SEVERITIES: readonly AuditSeverity[] = ['critical', 'high', 'moderate', 'low'];

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const count = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : 0);

/**
 * Reads the output of `npm audit --json` (npm 7+ and npm 6 both carry `metadata.vulnerabilities`).
 * npm exits non-zero both when it found vulnerabilities and when it could not reach the registry,
 * so the exit code is not the answer: only counts are. Anything else is "unavailable".
 */
export function parseAuditJson(stdout: string): AuditResult {
  let json: unknown;
  try {
    json = JSON.parse(stdout);
  } catch {
    return { kind: 'unavailable', reason: stdout.trim() === '' ? 'the audit printed nothing' : 'the audit did not print JSON' };
  }
  const vulnerabilities = isRecord(json) && isRecord(json.metadata) ? json.metadata.vulnerabilities : undefined;
  if (isRecord(vulnerabilities)) {
    return { kind: 'counts', counts: { critical: count(vulnerabilities.critical), high: count(vulnerabilities.high), moderate: count(vulnerabilities.moderate), low: count(vulnerabilities.low) } };
  }
  return { kind: 'unavailable', reason: errorReason(json) };
}

function errorReason(json: unknown): string {
  if (!isRecord(json)) return 'the audit printed no vulnerability counts';
  const error = isRecord(json.error) ? json.error : {};
  const parts = [error.code, json.message, error.summary].filter((p): p is string => typeof p === 'string' && p.trim() !== '');
  return parts[0]?.split('\n')[0] ?? 'the audit printed no vulnerability counts';
}

/** How many vulnerabilities are at or above `severity`. */
export function countAtOrAbove(counts: VulnerabilityCounts, severity: AuditSeverity): number {
  const index = SEVERITIES.indexOf(severity);
  return SEVERITIES.slice(0, index + 1).reduce((sum, s) => sum + counts[s], 0);
}

export const ZERO_COUNTS: VulnerabilityCounts = { critical: 0, high: 0, moderate: 0, low: 0 };
