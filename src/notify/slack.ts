import type { DeliveryContext, Notifier } from './notifier.js';
import type { Notification } from './notification.js';
import { renderSlackMessage } from './slack-blocks.js';

export interface SlackNotifierOptions {
  /** Resolves the incoming-webhook URL (a secret) at delivery time, so a rotated one is used at once. */
  readonly webhookUrl: () => string;
}

/** Slack incoming webhook: one POST of a Block Kit message; Slack answers `ok` or an error status. */
export class SlackNotifier implements Notifier {
  constructor(private readonly o: SlackNotifierOptions) {}

  async notify(notification: Notification, ctx: DeliveryContext): Promise<void> {
    await ctx.send({ method: 'POST', url: this.o.webhookUrl(), json: renderSlackMessage(notification) });
  }
}
