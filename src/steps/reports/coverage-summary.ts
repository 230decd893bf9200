/** Line coverage of one report, whatever tool wrote it. */
export interface CoverageSummary {
  readonly linesCovered: number;
  readonly linesTotal: number;
  /**
   * 0–100, not rounded: the gate compares it with the minimum, so 79.996 must not pass a minimum of
   * 80. A report with no lines at all is 100 (nothing left uncovered), as Istanbul reports it;
   * the gate can still refuse an empty report by looking at `linesTotal`.
   */
  readonly percent: number;
}

export const COVERAGE_FORMATS = ['istanbul', 'lcov', 'cobertura', 'jacoco'] as const;
export type CoverageFormat = (typeof COVERAGE_FORMATS)[number];

export function toSummary(linesCovered: number, linesTotal: number): CoverageSummary {
  return { linesCovered, linesTotal, percent: linesTotal === 0 ? 100 : (linesCovered / linesTotal) * 100 };
}
