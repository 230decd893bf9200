import { escapeMrkdwn, humanDuration, resultLines, shortSha, truncate } from './format.js';
import { Outcome, type Notification } from './notification.js';
import type { JsonObject } from './redact-json.js';

/** Block Kit limits we render within (https://api.slack.com/reference/block-kit/blocks). */
export const SLACK_LIMITS = { headerText: 150, sectionText: 3000, fieldText: 2000, fields: 10, contextElements: 10, buttonText: 75, url: 3000 } as const;

/**
 * Slack's named attachment colours (good = green, warning = yellow, danger = red), as the reference
 * pipeline asks: green for a success, red for a failure, yellow for a rollback; a production
 * emergency rollback is a critical failure, so it is red too (with the 🚨 header and a red button).
 */
export const SLACK_COLORS: Readonly<Record<Outcome, string>> = {
  [Outcome.Success]: 'good',
  [Outcome.Failure]: 'danger',
  [Outcome.RolledBack]: 'warning',
  [Outcome.Critical]: 'danger',
  [Outcome.Info]: '#439FE0',
};

const mrkdwn = (text: string, max: number = SLACK_LIMITS.sectionText): JsonObject => ({ type: 'mrkdwn', text: truncate(text, max) });
const plain = (text: string, max: number): JsonObject => ({ type: 'plain_text', text: truncate(text, max), emoji: true });
const field = (label: string, value: string): JsonObject => mrkdwn(`*${label}*\n${value}`, SLACK_LIMITS.fieldText);

function fields(n: Notification): JsonObject[] {
  const out: JsonObject[] = [];
  if (n.environment) out.push(field('Environment', escapeMrkdwn(n.environment)));
  if (n.services.length > 0) out.push(field('Services', escapeMrkdwn(n.services.join(', '))));
  if (n.release) out.push(field('Release', `\`${escapeMrkdwn(shortSha(n.release))}\``));
  if (n.who) out.push(field('Who', escapeMrkdwn(n.who)));
  if (n.durationMs !== null) out.push(field('Duration', humanDuration(n.durationMs)));
  if (n.incident) out.push(field('Incident', `\`${escapeMrkdwn(n.incident.dedupKey)}\` (${escapeMrkdwn(n.incident.severity)})`));
  return out.slice(0, SLACK_LIMITS.fields);
}

/**
 * A Slack incoming-webhook message: a coloured attachment holding the Block Kit blocks (header,
 * summary with fields, results, reason, a button to the run, context) and `text` as the fallback
 * that notifications and old clients show.
 */
export function renderSlackMessage(n: Notification): JsonObject {
  const blocks: JsonObject[] = [{ type: 'header', text: plain(n.title, SLACK_LIMITS.headerText) }];
  const summary: JsonObject = { type: 'section', text: mrkdwn(escapeMrkdwn(n.text)) };
  const f = fields(n);
  if (f.length > 0) summary.fields = f;
  blocks.push(summary);
  const results = resultLines(n.results);
  if (results.length > 0) blocks.push({ type: 'section', text: mrkdwn(results.map((r) => `*${escapeMrkdwn(r.label)}:* ${escapeMrkdwn(r.text)}`).join('\n')) });
  if (n.reason) blocks.push({ type: 'section', text: mrkdwn(`*Reason*\n${escapeMrkdwn(n.reason)}`) });
  if (n.runUrl && n.runUrl.length <= SLACK_LIMITS.url) {
    blocks.push({ type: 'divider' });
    const button: JsonObject = { type: 'button', text: plain(`Open run #${n.runId ?? ''}`, SLACK_LIMITS.buttonText), url: n.runUrl, action_id: 'open-run' };
    if (n.outcome === Outcome.Critical) button.style = 'danger';
    else if (n.outcome === Outcome.Success) button.style = 'primary';
    blocks.push({ type: 'actions', elements: [button] });
  }
  const context = [`Gantry · ${n.project}`, n.event, new Date(n.at).toISOString()];
  blocks.push({ type: 'context', elements: [mrkdwn(escapeMrkdwn(context.join(' · ')))] });
  return { text: truncate(n.text, SLACK_LIMITS.sectionText), attachments: [{ color: SLACK_COLORS[n.outcome], fallback: truncate(n.text, SLACK_LIMITS.sectionText), blocks }] };
}
