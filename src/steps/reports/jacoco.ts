import { toSummary, type CoverageSummary } from './coverage-summary.js';
import { readCount, reportUnreadable } from './unreadable.js';
import { childrenNamed, parseXml } from './xml.js';

const HINT =
  'Point `coverage.file` at the JaCoCo XML report (Maven: target/site/jacoco/jacoco.xml; Gradle: build/reports/jacoco/test/jacocoTestReport.xml), or set `coverage.format` to the format the file is in.';

/**
 * JaCoCo XML: the report-level <counter type="LINE" missed covered/>, a direct child of <report>.
 * Counters nested in packages, classes and methods are parts of that total and are ignored.
 * A report over no classes has no counters at all: that is zero lines.
 */
export function parseJacoco(text: string): CoverageSummary {
  const root = parseXml(text, 'jacoco', HINT);
  if (root.name !== 'report') throw reportUnreadable('jacoco', `the root element is <${root.name}>, not <report>`, { hint: HINT });
  const line = childrenNamed(root, 'counter').find((c) => c.attributes['type'] === 'LINE');
  if (!line) return toSummary(0, 0);
  const missed = readCount(line.attributes['missed'], 'LINE counter missed', 'jacoco', HINT);
  const covered = readCount(line.attributes['covered'], 'LINE counter covered', 'jacoco', HINT);
  if (missed === undefined || covered === undefined) {
    throw reportUnreadable('jacoco', 'the LINE counter lacks `missed` or `covered`', { hint: HINT });
  }
  return toSummary(covered, covered + missed);
}
