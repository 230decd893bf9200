import { toSummary, type CoverageSummary } from './coverage-summary.js';
import { readCount, reportUnreadable } from './unreadable.js';
import { childrenNamed, parseXml, type XmlElement } from './xml.js';

const HINT =
  'Point `coverage.file` at a Cobertura XML report (coverage.py: coverage xml; Istanbul: --reporter=cobertura), or set `coverage.format` to the format the file is in.';

/**
 * Cobertura XML (coverage.py, Istanbul, gcovr …). The root's lines-covered / lines-valid when
 * present; older writers (Cobertura 1.9) give only line-rate, so the lines are counted from the
 * classes, and failing that the rate is all there is.
 */
export function parseCobertura(text: string): CoverageSummary {
  const root = parseXml(text, 'cobertura', HINT);
  if (root.name !== 'coverage') throw reportUnreadable('cobertura', `the root element is <${root.name}>, not <coverage>`, { hint: HINT });
  const covered = readCount(root.attributes['lines-covered'], 'lines-covered', 'cobertura', HINT);
  const valid = readCount(root.attributes['lines-valid'], 'lines-valid', 'cobertura', HINT);
  if (covered !== undefined && valid !== undefined) return toSummary(covered, valid);

  const counted = countClassLines(root);
  if (counted.total > 0) return toSummary(counted.covered, counted.total);

  const rate = Number(root.attributes['line-rate']);
  if (root.attributes['line-rate'] === undefined || !Number.isFinite(rate) || rate < 0 || rate > 1) {
    throw reportUnreadable('cobertura', '<coverage> has neither lines-covered/lines-valid nor a line-rate between 0 and 1', { hint: HINT });
  }
  return { linesCovered: 0, linesTotal: 0, percent: rate * 100 };
}

/** Lines under packages/package/classes/class/lines; the copies under <methods> are not counted twice. */
function countClassLines(root: XmlElement): { covered: number; total: number } {
  let covered = 0;
  let total = 0;
  for (const packages of childrenNamed(root, 'packages'))
    for (const pkg of childrenNamed(packages, 'package'))
      for (const classes of childrenNamed(pkg, 'classes'))
        for (const cls of childrenNamed(classes, 'class'))
          for (const lines of childrenNamed(cls, 'lines'))
            for (const line of childrenNamed(lines, 'line')) {
              total += 1;
              if (Number(line.attributes['hits']) > 0) covered += 1;
            }
  return { covered, total };
}
