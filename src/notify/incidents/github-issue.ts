import { z } from 'zod';
import { DeliveryError } from '../delivery-error.js';
import { shortSha } from '../format.js';
import type { DeliveryContext } from '../notifier.js';
import type { IncidentChannel, IncidentDetails, IncidentRef, IncidentSeverity } from './incident-channel.js';

export const DEFAULT_GITHUB_API_URL = 'https://api.github.com';
export const GITHUB_API_VERSION = '2022-11-28';
export const INCIDENT_LABELS = ['gantry', 'incident'] as const;

export interface GitHubIssueOptions {
  /** https://api.github.com, or https://HOST/api/v3 for GitHub Enterprise Server. */
  readonly apiUrl: string;
  /** owner/name */
  readonly repo: string;
  /** Resolves the token (a secret) at delivery time. */
  readonly token: () => string;
}

/** Only the field we use of GitHub's "create an issue" answer; checked, since it decides what we close later. */
const CreatedIssue = z.object({ number: z.number().int().positive() });

function issueBody(dedupKey: string, severity: IncidentSeverity, d: IncidentDetails): string {
  return [
    `**${d.service}** in **${d.environment}** was rolled back by Gantry (${severity}).`,
    '',
    ...(d.reason ? [`**Reason:** ${d.reason}`, ''] : []),
    `- Project: ${d.project}`,
    ...(d.release ? [`- Release: \`${shortSha(d.release)}\``] : []),
    ...(d.runUrl ? [`- Run: [#${d.runId ?? ''}](${d.runUrl})`] : []),
    `- Since: ${new Date(d.at).toISOString()}`,
    '',
    `<sub>dedup key \`${dedupKey}\`: Gantry closes this issue when ${d.service} next deploys to ${d.environment} successfully.</sub>`,
  ].join('\n');
}

/**
 * Incidents as GitHub issues (REST API): open creates a labelled issue, resolve closes it and says
 * why in a comment. The issue number is the reference the dispatcher keeps for resolve.
 */
export class GitHubIssueIncidents implements IncidentChannel {
  constructor(private readonly o: GitHubIssueOptions) {}

  async open(dedupKey: string, summary: string, severity: IncidentSeverity, d: IncidentDetails, ctx: DeliveryContext): Promise<IncidentRef> {
    const response = await ctx.send({
      method: 'POST',
      url: this.url('issues'),
      headers: this.headers(),
      json: { title: `[${dedupKey}] ${summary}`, body: issueBody(dedupKey, severity, d), labels: [...INCIDENT_LABELS, severity] },
    });
    const created = CreatedIssue.safeParse(response.json);
    if (!created.success) throw new DeliveryError('NOTIFY_DELIVERY_FAILED', 'GitHub created the issue but its answer holds no issue number', { hint: 'Check the channel\'s apiUrl: it must be the REST API base.' });
    return String(created.data.number);
  }

  async resolve(dedupKey: string, ref: IncidentRef, ctx: DeliveryContext): Promise<void> {
    if (ref === null) throw new DeliveryError('NOTIFY_DELIVERY_FAILED', `no GitHub issue was opened for ${dedupKey}, so there is none to close`);
    // Close first: a retry after a lost answer then repeats a harmless PATCH rather than the comment.
    await ctx.send({ method: 'PATCH', url: this.url(`issues/${ref}`), headers: this.headers(), json: { state: 'closed', state_reason: 'completed' } });
    await ctx.send({ method: 'POST', url: this.url(`issues/${ref}/comments`), headers: this.headers(), json: { body: `Resolved: the next deployment succeeded (\`${dedupKey}\`).` } });
  }

  private url(path: string): string {
    return `${this.o.apiUrl.replace(/\/+$/, '')}/repos/${this.o.repo}/${path}`;
  }

  private headers(): Record<string, string> {
    return { authorization: `Bearer ${this.o.token()}`, accept: 'application/vnd.github+json', 'x-github-api-version': GITHUB_API_VERSION };
  }
}
