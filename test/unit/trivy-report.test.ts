import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { GateError } from '../../src/errors/index.js';
import { parseTrivyReport } from '../../src/steps/scan/trivy-report.js';

const fixture = (name: string): string => readFileSync(new URL(`../fixtures/trivy/${name}`, import.meta.url), 'utf8');
const IMAGE = '127.0.0.1:5000/volteryde/api@sha256:5d0da3dc976460b72c77d94c8a1ad043720b0416bfc16c52c45d4847e53fadb6';

function failure(text: string, where = 'stdout', redact?: (s: string) => string): GateError {
  try {
    parseTrivyReport(text, where, redact);
  } catch (error: unknown) {
    if (error instanceof GateError) return error;
    throw error;
  }
  throw new Error('expected the report to be refused');
}

describe('reading a Trivy JSON report', () => {
  it('reads every vulnerability of every result with its package, versions, severity and target, and counts them by severity', () => {
    const report = parseTrivyReport(fixture('criticals.json'), 'stdout');
    expect(report.artifact).toEqual({ name: IMAGE, type: 'container_image' });
    expect(report.counts).toEqual({ critical: 3, high: 3, medium: 2, low: 1, unknown: 1 });
    expect(report.findings).toHaveLength(10);
    expect(report.findings).toContainEqual({
      id: 'CVE-2024-45491',
      pkg: 'libexpat1',
      installed: '2.5.0-1',
      fixed: '2.5.0-1+deb12u1',
      severity: 'critical',
      title: 'libexpat: Integer Overflow or Wraparound',
      url: 'https://avd.aquasec.com/nvd/cve-2024-45491',
      target: `${IMAGE} (debian 12.8)`,
    });
    // A language package, from the second result; one without a fix has an empty fixed version.
    expect(report.findings.find((f) => f.pkg === 'cross-spawn')).toMatchObject({ severity: 'high', fixed: '7.0.5, 6.0.6', target: 'Node.js' });
    expect(report.findings.find((f) => f.id === 'CVE-2023-45853')?.fixed).toBe('');
  });

  it('reads a clean image: results without Vulnerabilities, and a report with no Results at all', () => {
    const clean = parseTrivyReport(fixture('clean.json'), 'stdout');
    expect(clean.findings).toEqual([]);
    expect(clean.counts).toEqual({ critical: 0, high: 0, medium: 0, low: 0, unknown: 0 });
    const bare = parseTrivyReport(JSON.stringify({ SchemaVersion: 2, ArtifactName: IMAGE, ArtifactType: 'container_image' }), 'stdout');
    expect(bare.findings).toEqual([]);
  });

  it('refuses text that is not JSON (the table format) with IMAGE_SCAN_FAILED, its first bytes and a hint about --format json', () => {
    const error = failure(fixture('table.txt'));
    expect(error.code).toBe('IMAGE_SCAN_FAILED');
    expect(error.message).toContain("the scanner's report (stdout) is not a Trivy JSON report: it is not JSON");
    expect(error.message).toContain('it begins: 127.0.0.1:5000/volteryde/api@sha256:5d0da3dc');
    expect(error.hint).toContain('--format json');
  });

  it('names the first field that does not match, with its path in the report', () => {
    const error = failure(fixture('malformed.json'), '$GANTRY_SCAN_REPORT');
    expect(error.code).toBe('IMAGE_SCAN_FAILED');
    expect(error.message).toMatch(/\(\$GANTRY_SCAN_REPORT\) is not a Trivy JSON report: Results\.0\.Vulnerabilities\.1\.Severity: /);
    expect(error.message).toContain('it begins: { "SchemaVersion": 2,');
  });

  it('tells the report of Trivy before 0.20 (a bare array) apart, and asks for an upgrade', () => {
    expect(failure(fixture('legacy-array.json')).message).toContain('a JSON array, the report format of Trivy before 0.20 (SchemaVersion 2 is expected; upgrade Trivy)');
  });

  it('refuses another schema version, other JSON and empty output, each saying so', () => {
    expect(failure(JSON.stringify({ SchemaVersion: 1, Results: [] })).message).toContain('SchemaVersion: ');
    expect(failure('{"vulnerabilities": {"lodash": {}}}').message).toContain('SchemaVersion: ');
    expect(failure('').message).toContain('it is not JSON; it was empty');
  });

  it('masks secret values in the excerpt it quotes and cuts it short', () => {
    const error = failure(`login failed for user ci with password s3cr3t-registry-pass ${'x'.repeat(500)}`, 'stdout', (s) => s.replaceAll('s3cr3t-registry-pass', '***'));
    expect(error.message).not.toContain('s3cr3t-registry-pass');
    expect(error.message).toContain('password ***');
    expect(error.message.length).toBeLessThan(400);
  });
});
