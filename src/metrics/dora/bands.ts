import type { DoraBand } from './types.js';
import { DAY_MS, HOUR_MS, MONTH_MS, WEEK_MS } from './window.js';

/*
 * Performance levels from the 2023 Accelerate State of DevOps Report (DORA, Google Cloud), table
 * "Software delivery performance" (dora.dev/research/2023):
 *
 * | level  | deployment frequency                     | change lead time             | change failure rate | failed deployment recovery time |
 * | elite  | on demand                                | less than one day            | 5 %                 | less than one hour              |
 * | high   | between once per day and once per week   | between one day and one week | 10 %                | less than one day               |
 * | medium | between once per week and once per month | between one week and a month | 15 %                | between one day and one week    |
 * | low    | between once per week and once per month | between one week and a month | 64 %                | between one month and six months|
 *
 * The report gives cluster centres, not thresholds; these functions turn them into thresholds:
 * - each level's bound is the upper end of its range (≤ 5 % elite, ≤ 10 % high, ≤ 15 % medium);
 * - "low" repeats medium's frequency and lead time in 2023, so low is read as "past medium's
 *   bound": fewer than once per month, a month or more, and a week or more to recover;
 * - 2023 rather than 2024: 2024's change failure rates (5, 20, 10, 40 %) are not ordered by level,
 *   so they cannot be read as thresholds.
 * The reports publish no levels for rework rate or success rate: those carry no band.
 */

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

export function changeFailureBand(rate: number | null): DoraBand | null {
  if (rate === null) return null;
  if (rate <= 0.05) return 'elite';
  if (rate <= 0.1) return 'high';
  if (rate <= 0.15) return 'medium';
  return 'low';
}

export function recoveryBand(medianMs: number | null): DoraBand | null {
  if (medianMs === null) return null;
  if (medianMs < HOUR_MS) return 'elite';
  if (medianMs < DAY_MS) return 'high';
  if (medianMs < WEEK_MS) return 'medium';
  return 'low';
}
