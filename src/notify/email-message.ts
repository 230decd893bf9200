import { humanDuration, resultLines, shortSha, truncate } from './format.js';
import type { Notification } from './notification.js';

/** Mail subjects longer than this are cut (RFC 5322 advises lines under 78 characters; clients show about as much). */
export const SUBJECT_MAX = 150;

export interface EmailMessage {
  readonly subject: string;
  readonly text: string;
}

/**
 * A notification as a plain-text mail: the title as the subject (as Slack's header), then the same
 * summary, fields, results, reason, run link and context the Slack message carries. Pure; the
 * notification was redacted as a whole before it was stored, and the channel redacts again.
 */
export function renderEmail(n: Notification): EmailMessage {
  const lines: string[] = [n.text, ''];
  const field = (label: string, value: string): void => void lines.push(`${`${label}:`.padEnd(13)}${value}`);
  if (n.environment) field('Environment', n.environment);
  if (n.services.length > 0) field('Services', n.services.join(', '));
  if (n.release) field('Release', shortSha(n.release));
  if (n.who) field('Who', n.who);
  if (n.durationMs !== null) field('Duration', humanDuration(n.durationMs));
  if (n.incident) field('Incident', `${n.incident.dedupKey} (${n.incident.severity})`);
  const results = resultLines(n.results);
  if (results.length > 0) {
    lines.push('');
    for (const r of results) field(r.label, r.text);
  }
  if (n.reason) lines.push('', 'Reason:', n.reason);
  if (n.runUrl) lines.push('', `Open run #${n.runId ?? ''}: ${n.runUrl}`);
  lines.push('', '-- ', `Gantry · ${n.project} · ${n.event} · ${new Date(n.at).toISOString()}`);
  // A subject is one line: a title never holds a break, but one from a commit message could.
  return { subject: truncate(n.title.replace(/\s*[\r\n]+\s*/g, ' '), SUBJECT_MAX), text: `${lines.join('\n')}\n` };
}
