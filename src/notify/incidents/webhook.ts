import type { DeliveryContext } from '../notifier.js';
import { toJsonObject } from '../redact-json.js';
import { webhookHeaders } from '../webhook-signature.js';
import type { IncidentChannel, IncidentDetails, IncidentRef, IncidentSeverity } from './incident-channel.js';

export interface WebhookIncidentOptions {
  readonly url: string;
  readonly signingSecret: () => string | undefined;
}

/**
 * Incidents for any receiver that speaks HTTP: the same headers and signature as notification
 * webhooks, with X-Gantry-Event incident.opened or incident.resolved and the dedup key in the body.
 */
export class WebhookIncidents implements IncidentChannel {
  constructor(private readonly o: WebhookIncidentOptions) {}

  async open(dedupKey: string, summary: string, severity: IncidentSeverity, details: IncidentDetails, ctx: DeliveryContext): Promise<IncidentRef> {
    await this.post(ctx, { event: 'incident.opened', action: 'trigger', dedupKey, summary, severity, details: { ...details, at: new Date(details.at).toISOString() } });
    return dedupKey;
  }

  async resolve(dedupKey: string, _ref: IncidentRef, ctx: DeliveryContext): Promise<void> {
    await this.post(ctx, { event: 'incident.resolved', action: 'resolve', dedupKey });
  }

  private async post(ctx: DeliveryContext, body: { event: string } & Record<string, unknown>): Promise<void> {
    const { headers, sign } = webhookHeaders({ event: body.event, deliveryId: ctx.deliveryId }, this.o.signingSecret());
    await ctx.send({ method: 'POST', url: this.o.url, headers, json: toJsonObject({ ...body, deliveryId: ctx.deliveryId }), ...(sign ? { sign } : {}) });
  }
}
