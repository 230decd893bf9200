import { toSummary, type CoverageSummary } from './coverage-summary.js';
import { reportUnreadable } from './unreadable.js';

const HINT =
  "Use Istanbul's json-summary reporter (coverage/coverage-summary.json: nyc --reporter=json-summary, vitest/jest coverageReporters ['json-summary']), or set `coverage.format` to the format the file is in.";

type Json = Readonly<Record<string, unknown>>;
const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);
const isCount = (value: unknown): value is number => typeof value === 'number' && Number.isInteger(value) && value >= 0;

/**
 * Istanbul JSON: the json-summary reporter's `total.lines`, or, when given the full
 * coverage-final.json instead, line coverage computed as Istanbul does it (a line is covered when
 * any statement starting on it ran).
 */
export function parseIstanbul(text: string): CoverageSummary {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw reportUnreadable('istanbul', `not JSON (${error instanceof Error ? error.message : String(error)})`, { hint: HINT, cause: error });
  }
  if (!isObject(json)) throw reportUnreadable('istanbul', 'the document is not a JSON object', { hint: HINT });
  const total = json['total'];
  if (isObject(total)) {
    const lines = total['lines'];
    if (isObject(lines) && isCount(lines['covered']) && isCount(lines['total'])) return toSummary(lines['covered'], lines['total']);
    throw reportUnreadable('istanbul', '`total.lines` lacks whole-number `covered` and `total`', { hint: HINT });
  }
  return fromCoverageFinal(json);
}

function fromCoverageFinal(json: Json): CoverageSummary {
  const files = Object.values(json);
  if (files.length === 0 || !files.every((f) => isObject(f) && isObject(f['statementMap']) && isObject(f['s']))) {
    throw reportUnreadable('istanbul', 'neither a json-summary (`total`) nor a coverage-final.json (`statementMap`, `s`)', { hint: HINT });
  }
  let covered = 0;
  let total = 0;
  for (const file of files as Json[]) {
    const statements = file['statementMap'] as Json;
    const hits = file['s'] as Json;
    const lines = new Map<number, boolean>();
    for (const [id, location] of Object.entries(statements)) {
      const start = isObject(location) && isObject(location['start']) ? location['start']['line'] : undefined;
      if (!isCount(start)) continue;
      const count = hits[id];
      lines.set(start, (lines.get(start) ?? false) || (typeof count === 'number' && count > 0));
    }
    total += lines.size;
    for (const hit of lines.values()) if (hit) covered += 1;
  }
  return toSummary(covered, total);
}
