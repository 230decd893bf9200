import type { DeliveryContext, Notifier } from './notifier.js';
import type { Notification } from './notification.js';
import { toJson, type JsonObject } from './redact-json.js';
import { webhookHeaders } from './webhook-signature.js';

export interface WebhookOptions {
  readonly url: string;
  /** Resolves the signing secret at delivery time; undefined when the channel signs nothing. */
  readonly signingSecret: () => string | undefined;
}

/** The body of a notification webhook: the whole message, times as ISO strings. */
export function renderWebhookBody(n: Notification, deliveryId: string): JsonObject {
  return {
    event: n.event,
    deliveryId,
    source: n.source,
    outcome: n.outcome,
    title: n.title,
    text: n.text,
    project: n.project,
    environment: n.environment,
    services: [...n.services],
    release: n.release,
    who: n.who,
    durationMs: n.durationMs,
    run: n.runId === null ? null : { id: n.runId, url: n.runUrl },
    at: new Date(n.at).toISOString(),
    reason: n.reason,
    results: toJson(n.results),
    incident: toJson(n.incident),
    data: toJson(n.data),
  };
}

/**
 * A generic JSON POST. Headers: X-Gantry-Event, X-Gantry-Delivery (the same on every retry) and,
 * with a signing secret, X-Gantry-Signature-256 over the exact body bytes.
 */
export class WebhookNotifier implements Notifier {
  constructor(private readonly o: WebhookOptions) {}

  async notify(notification: Notification, ctx: DeliveryContext): Promise<void> {
    const { headers, sign } = webhookHeaders(ctx, this.o.signingSecret());
    await ctx.send({ method: 'POST', url: this.o.url, headers, json: renderWebhookBody(notification, ctx.deliveryId), ...(sign ? { sign } : {}) });
  }
}
