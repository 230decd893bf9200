import type { DoraBand } from './types.js';
import { DAY_MS, HOUR_MS, MONTH_MS, WEEK_MS } from './window.js';

/*
 * Performance levels from the 2023 Accelerate State of DevOps Report (DORA, Google Cloud), table
 * "Software delivery performance levels" (dora.dev/research/2023; checked against it 2026-12):
 *
 * | level  | deployment frequency                     | change lead time             | change failure rate | failed deployment recovery time |
 * | elite  | on demand (multiple deploys per day)     | less than one day            | 5 %                 | less than one hour              |
 * | high   | between once per day and once per week   | between one day and one week | 10 %                | less than one day               |
 * | medium | between once per week and once per month | between one week and a month | 15 %                | between one day and one week    |
 * | low    | between once per week and once per month | between one week and a month | 64 %                | between one month and six months|
 *
 * How the table becomes thresholds:
 * - frequency, lead time and recovery time are ranges: each level ends where its range ends;
 * - "low" repeats medium's frequency and lead time in 2023, so low is read as "past medium's
 *   bound": fewer than once per month, a month or more; recovery in a week or more is low (the
 *   report leaves one week to one month to no level);
 * - change failure rates are the clusters' typical values, not ranges, so a rate belongs to the
 *   level whose value is nearest: the bounds are the midpoints 7.5 %, 12.5 % and 39.5 %. (Reading
 *   each value as an upper bound would put a team failing 16 % of changes with the 64 % cluster.)
 * - 2023 rather than 2024: 2024's change failure rates (5, 20, 10, 40 %) are not ordered by level,
 *   so they cannot be read as thresholds.
 * The reports publish no levels for rework rate or success rate: those carry no band.
 */

/** The 2023 report's typical change failure rate of each level. */
export const CHANGE_FAILURE_CENTRES = { elite: 0.05, high: 0.1, medium: 0.15, low: 0.64 } as const;

const midpoint = (a: number, b: number): number => (a + b) / 2;

/** More than once per day on average is "multiple per day"; exactly daily is the top of "high". */
export function frequencyBand(perDay: number | null): DoraBand | null {
  if (perDay === null) return null;
  if (perDay > 1) return 'elite';
  if (perDay >= DAY_MS / WEEK_MS) return 'high';
  if (perDay >= DAY_MS / MONTH_MS) return 'medium';
  return 'low';
}

export function leadTimeBand(medianMs: number | null): DoraBand | null {
  if (medianMs === null) return null;
  if (medianMs < DAY_MS) return 'elite';
  if (medianMs < WEEK_MS) return 'high';
  if (medianMs < MONTH_MS) return 'medium';
  return 'low';
}

/** The level whose typical rate is nearest; a tie goes to the better level. */
export function changeFailureBand(rate: number | null): DoraBand | null {
  if (rate === null) return null;
  const c = CHANGE_FAILURE_CENTRES;
  if (rate <= midpoint(c.elite, c.high)) return 'elite';
  if (rate <= midpoint(c.high, c.medium)) return 'high';
  if (rate <= midpoint(c.medium, c.low)) return 'medium';
  return 'low';
}

export function recoveryBand(medianMs: number | null): DoraBand | null {
  if (medianMs === null) return null;
  if (medianMs < HOUR_MS) return 'elite';
  if (medianMs < DAY_MS) return 'high';
  if (medianMs < WEEK_MS) return 'medium';
  return 'low';
}
