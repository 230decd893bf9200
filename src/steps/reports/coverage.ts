import { parseCobertura } from './cobertura.js';
import type { CoverageFormat, CoverageSummary } from './coverage-summary.js';
import { parseIstanbul } from './istanbul.js';
import { parseJacoco } from './jacoco.js';
import { parseLcov } from './lcov.js';

export { COVERAGE_FORMATS, type CoverageFormat, type CoverageSummary } from './coverage-summary.js';

const PARSERS: Readonly<Record<CoverageFormat, (text: string) => CoverageSummary>> = {
  istanbul: parseIstanbul,
  lcov: parseLcov,
  cobertura: parseCobertura,
  jacoco: parseJacoco,
};

/**
 * Line coverage of a report in one of the formats a gate's `coverage.format` names.
 * Throws a GateError with code REPORT_UNREADABLE (and a hint) when the text is not such a report.
 */
export function parseCoverage(text: string, format: CoverageFormat): CoverageSummary {
  return PARSERS[format](text);
}
