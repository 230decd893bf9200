import { toSummary, type CoverageSummary } from './coverage-summary.js';
import { reportUnreadable } from './unreadable.js';

const HINT =
  'Point `coverage.file` at an lcov tracefile (for node --test: --test-reporter=lcov --test-reporter-destination=coverage/lcov.info), or set `coverage.format` to the format the file is in.';

/**
 * lcov tracefile: one record per source file (SF … end_of_record). Each record's LF/LH (lines found,
 * lines hit) are summed; a record without them is counted from its DA lines instead.
 */
export function parseLcov(text: string): CoverageSummary {
  let covered = 0;
  let total = 0;
  let records = 0;
  let record: { lf?: number; lh?: number; daTotal: number; daHit: number } | undefined;
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, index) => {
    const line = raw.trim();
    if (line === '') return;
    const where = `line ${index + 1}`;
    if (line === 'end_of_record') {
      if (record) {
        covered += record.lh ?? record.daHit;
        total += record.lf ?? record.daTotal;
      }
      record = undefined;
      return;
    }
    const match = /^([A-Z]+):(.*)$/.exec(line);
    if (!match) throw reportUnreadable('lcov', `"${line.slice(0, 60)}" is not an lcov line`, { where, hint: HINT });
    const [, key, value = ''] = match;
    if (key === 'SF') {
      record = { daTotal: 0, daHit: 0 };
      records += 1;
      return;
    }
    if (!record) return; // TN: and VER: come before the first SF
    if (key === 'LF' || key === 'LH') {
      const n = Number(value);
      if (!Number.isInteger(n) || n < 0) throw reportUnreadable('lcov', `${key} is "${value}", not a whole number`, { where, hint: HINT });
      if (key === 'LF') record.lf = n;
      else record.lh = n;
    } else if (key === 'DA') {
      const hits = Number(value.split(',')[1]);
      if (!Number.isFinite(hits)) throw reportUnreadable('lcov', `DA line "${value}" has no hit count`, { where, hint: HINT });
      record.daTotal += 1;
      if (hits > 0) record.daHit += 1;
    }
  });
  if (record) throw reportUnreadable('lcov', 'the last record has no end_of_record (truncated file?)', { hint: HINT });
  if (records === 0) throw reportUnreadable('lcov', 'no SF: source-file records', { hint: HINT });
  return toSummary(covered, total);
}
