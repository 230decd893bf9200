import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { blocksAt, findingLine, judgeImage, TOP_FINDINGS } from '../../src/steps/scan/image-gate.js';
import { parseTrivyReport, type ImageFinding, type ImageScanReport } from '../../src/steps/scan/trivy-report.js';

const report = (name: string): ImageScanReport => parseTrivyReport(readFileSync(new URL(`../fixtures/trivy/${name}`, import.meta.url), 'utf8'), 'stdout');
const production = { environment: 'production', ignore: [] } as const;

describe('the image gate', () => {
  it('blocks at high on criticals and highs, counting the fixable ones, and lists the rest below the threshold', () => {
    const v = judgeImage(report('criticals.json'), { ...production, failOn: 'high' });
    expect(v.blocks).toBe(true);
    expect(v.blocking).toBe(6);
    // zlib's critical has no fix yet; every other critical and high has one.
    expect(v.fixable).toBe(5);
    expect(v.line).toBe('3 critical, 3 high (5 fixable) — blocks production at high; below that: 2 medium, 1 low, 1 unknown');
  });

  it('lists the top findings most severe first, a fixable one before one without a fix', () => {
    const v = judgeImage(report('criticals.json'), { ...production, failOn: 'critical' });
    expect(v.top.map((f) => `${f.severity} ${f.id}`)).toEqual([
      'critical CVE-2024-45491',
      'critical CVE-2024-45492',
      'critical CVE-2023-45853',
      'high CVE-2024-21538',
      'high CVE-2024-2961',
      'high CVE-2024-33599',
      'medium CVE-2024-0727',
      'medium CVE-2023-50495',
      'low CVE-2011-3374',
      'unknown CVE-2025-0395',
    ]);
    expect(v.line).toBe('3 critical (2 fixable) — blocks production at critical; below that: 3 high, 2 medium, 1 low, 1 unknown');
  });

  it('keeps at most ten findings in the list', () => {
    const many: ImageFinding[] = Array.from({ length: 25 }, (_, i) => ({ id: `CVE-2024-${1000 + i}`, pkg: 'libc6', installed: '2.36', fixed: '', severity: 'medium', title: '', url: '', target: 'img (debian 12.8)' }));
    const v = judgeImage({ artifact: { name: 'img', type: 'container_image' }, findings: many, counts: { critical: 0, high: 0, medium: 25, low: 0, unknown: 0 } }, { ...production, failOn: 'medium' });
    expect(v.top).toHaveLength(TOP_FINDINGS);
    expect(v.blocking).toBe(25);
  });

  it('passes a clean image and says so', () => {
    const v = judgeImage(report('clean.json'), { ...production, failOn: 'low' });
    expect(v).toMatchObject({ blocks: false, blocking: 0, top: [], ignored: [] });
    expect(v.line).toBe('no vulnerabilities — passes production (blocks at low)');
  });

  it('passes findings below the threshold and shows them on the line', () => {
    const below = judgeImage(report('accepted-risk.json'), { environment: 'staging', ignore: ['CVE-2023-45853'], failOn: 'high' });
    expect(below.blocks).toBe(false);
    expect(below.line).toBe('2 medium, 1 low — passes staging (blocks at high); 1 ignored on purpose (CVE-2023-45853)');
  });

  it('shows an ignored id as ignored, never silently, and notes ignore entries that matched nothing', () => {
    const v = judgeImage(report('accepted-risk.json'), { ...production, failOn: 'high', ignore: ['CVE-2023-45853', 'CVE-2019-0001'] });
    expect(v.blocks).toBe(false);
    expect(v.ignored).toEqual([{ id: 'CVE-2023-45853', pkg: 'zlib1g', severity: 'critical' }]);
    expect(v.unusedIgnores).toEqual(['CVE-2019-0001']);
    expect(v.counts.critical).toBe(0);
    expect(v.top.map((f) => f.id)).not.toContain('CVE-2023-45853');
    // Without the ignore, the same report blocks.
    expect(judgeImage(report('accepted-risk.json'), { ...production, failOn: 'high' }).line).toBe('1 critical (0 fixable) — blocks production at high; below that: 2 medium, 1 low');
  });

  it('never blocks on UNKNOWN, even at low', () => {
    expect(blocksAt('unknown', 'low')).toBe(false);
    expect(blocksAt('low', 'low')).toBe(true);
    expect(blocksAt('medium', 'high')).toBe(false);
    expect(blocksAt('critical', 'critical')).toBe(true);
  });

  it('writes one finding on one line with its fix or the lack of one', () => {
    const [expat, zlib] = ['CVE-2024-45491', 'CVE-2023-45853'].map((id) => report('criticals.json').findings.find((f) => f.id === id) as ImageFinding);
    expect(findingLine(expat as ImageFinding)).toMatch(/^CRITICAL CVE-2024-45491 libexpat1 2\.5\.0-1 → 2\.5\.0-1\+deb12u1: libexpat: Integer Overflow or Wraparound {2}\[127\.0\.0\.1:5000\/volteryde\/api@sha256:5d0d.*\(debian 12\.8\)\]$/);
    expect(findingLine(zlib as ImageFinding)).toContain('zlib1g 1:1.2.13.dfsg-1 (no fix yet)');
  });
});
