import type { NotificationsConfig } from '../config/types.js';
import type { SecretSource } from '../secrets/source.js';
import { requireSecret } from './delivery-error.js';
import { defaultFrom, EmailNotifier } from './email.js';
import { DEFAULT_GITHUB_API_URL, GitHubIssueIncidents } from './incidents/github-issue.js';
import type { IncidentChannel } from './incidents/incident-channel.js';
import { DEFAULT_PAGERDUTY_URL, PagerDutyIncidents } from './incidents/pagerduty.js';
import { WebhookIncidents } from './incidents/webhook.js';
import type { Notifier } from './notifier.js';
import { SlackNotifier } from './slack.js';
import { WebhookNotifier } from './webhook.js';

export type ChannelSpec = NotificationsConfig['channels'][string];

/** The adapters behind one declared channel; a kind that cannot do something leaves it out. */
export interface ChannelAdapters {
  readonly notifier?: Notifier;
  readonly incidents?: IncidentChannel;
}

/** Secrets are looked up when a delivery is made, not here, so a secret set later is picked up. */
export function adaptersFor(channel: string, spec: ChannelSpec, secrets: SecretSource): ChannelAdapters {
  const secret = (name: string) => (): string => requireSecret(secrets.values([name]), name, channel);
  const optionalSecret = (name: string | undefined) => (): string | undefined => (name === undefined ? undefined : secret(name)());
  switch (spec.kind) {
    case 'slack':
      return { notifier: new SlackNotifier({ webhookUrl: secret(spec.webhook.secret) }) };
    case 'webhook': {
      const o = { url: spec.url, signingSecret: optionalSecret(spec.signingSecret?.secret) };
      return { notifier: new WebhookNotifier(o), incidents: new WebhookIncidents(o) };
    }
    case 'email':
      return {
        notifier: new EmailNotifier({
          smtp: spec.smtp,
          to: spec.to,
          from: spec.from ?? defaultFrom(),
          requireTls: spec.requireTls ?? false,
          user: spec.user,
          password: optionalSecret(spec.password?.secret),
        }),
      };
    case 'pagerduty':
      return { incidents: new PagerDutyIncidents({ url: spec.url ?? DEFAULT_PAGERDUTY_URL, routingKey: secret(spec.routingKey.secret) }) };
    case 'github-issue':
      return { incidents: new GitHubIssueIncidents({ apiUrl: spec.apiUrl ?? DEFAULT_GITHUB_API_URL, repo: spec.repo, token: secret(spec.token.secret) }) };
  }
}
