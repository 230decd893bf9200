import type { RunResults } from './notification.js';

export const shortSha = (sha: string): string => sha.slice(0, 7);

/** 850 ms, 42 s, 3 m 05 s, 1 h 02 m: what a person reads in a chat message. */
export function humanDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} m ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} m`;
}

const percent = (n: number, digits = 1): string => `${n.toFixed(digits)} %`;

/** One line per kind of result, labelled, for a chat message or an issue body. */
export function resultLines(r: RunResults): Array<{ label: string; text: string }> {
  const lines: Array<{ label: string; text: string }> = [];
  if (r.tests) {
    const t = r.tests;
    lines.push({ label: 'Tests', text: `${t.passed}/${t.total} passed${t.failed ? `, ${t.failed} failed` : ''}${t.skipped ? `, ${t.skipped} skipped` : ''}` });
  }
  if (r.coverage && r.coverage.length > 0) lines.push({ label: 'Coverage', text: r.coverage.map((c) => `${c.service} ${percent(c.percent)}`).join(', ') });
  if (r.scans) {
    const s = r.scans;
    const total = s.critical + s.high + s.medium + s.low;
    lines.push({ label: 'Scan', text: total === 0 ? 'no findings' : `${s.critical} critical, ${s.high} high, ${s.medium} medium, ${s.low} low` });
  }
  for (const l of r.load ?? []) {
    lines.push({ label: `Load (${l.service})`, text: `${l.rps.toFixed(0)} req/s, p99 ${l.p99Ms} ms, errors ${percent(l.errorRate * 100, 2)}` });
  }
  return lines;
}

/** Slack mrkdwn treats these three as control characters in any text we did not write. */
export const escapeMrkdwn = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export const truncate = (text: string, max: number): string => (text.length <= max ? text : `${text.slice(0, Math.max(0, max - 1))}…`);
