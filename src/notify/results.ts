import { z } from 'zod';
import type { Step } from '../domain/run.js';
import type { LoadFigures, RunResults, ScanTotals } from './notification.js';

/** The slices of step summaries we show; summaries are step-owned, so they are checked, not trusted. */
const Tests = z.object({ tests: z.number(), passed: z.number(), failures: z.number(), errors: z.number(), skipped: z.number() });
const Coverage = z.object({ percent: z.number() });
const Findings = z.object({ critical: z.number().default(0), high: z.number().default(0), medium: z.number().default(0), low: z.number().default(0) });
const Load = z.object({ rps: z.number(), p99Ms: z.number(), errorRate: z.number() });
const VerifySpec = z.object({ checks: z.array(z.object({ kind: z.string(), service: z.string().optional() })) });

/** The service a verify step load-tested: its spec names it, its summary does not. */
const loadedService = (step: Step): string => VerifySpec.safeParse(step.spec).data?.checks.find((c) => c.kind === 'load')?.service ?? step.service ?? step.name;

/**
 * Gate and test results of a run, summed over its steps: JUnit counts and coverage of gates, scan
 * findings of any step that reports `findings`, and load figures of verify steps.
 */
export function runResults(steps: readonly Step[]): RunResults {
  let tests: { total: number; passed: number; failed: number; skipped: number } | undefined;
  const coverage: Array<{ service: string; percent: number }> = [];
  let scans: ScanTotals | undefined;
  const load: LoadFigures[] = [];
  for (const step of steps) {
    const s = step.summary ?? {};
    const t = Tests.safeParse(s.tests);
    if (t.success) {
      const prev = tests ?? { total: 0, passed: 0, failed: 0, skipped: 0 };
      tests = { total: prev.total + t.data.tests, passed: prev.passed + t.data.passed, failed: prev.failed + t.data.failures + t.data.errors, skipped: prev.skipped + t.data.skipped };
    }
    const c = Coverage.safeParse(s.coverage);
    if (c.success) coverage.push({ service: step.service ?? step.name, percent: c.data.percent });
    const f = Findings.safeParse(s.findings);
    if (f.success) {
      const prev = scans ?? { critical: 0, high: 0, medium: 0, low: 0 };
      scans = { critical: prev.critical + f.data.critical, high: prev.high + f.data.high, medium: prev.medium + f.data.medium, low: prev.low + f.data.low };
    }
    const l = Load.safeParse(s.load);
    if (l.success) load.push({ service: loadedService(step), ...l.data });
  }
  return { ...(tests ? { tests } : {}), ...(coverage.length ? { coverage } : {}), ...(scans ? { scans } : {}), ...(load.length ? { load } : {}) };
}
