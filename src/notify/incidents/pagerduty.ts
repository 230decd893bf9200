import { truncate } from '../format.js';
import type { DeliveryContext } from '../notifier.js';
import { toJsonObject, type JsonObject } from '../redact-json.js';
import type { IncidentChannel, IncidentDetails, IncidentRef, IncidentSeverity } from './incident-channel.js';

export const DEFAULT_PAGERDUTY_URL = 'https://events.pagerduty.com/v2/enqueue';
/** The Events API v2 cuts summaries at 1024 characters. */
const MAX_SUMMARY = 1024;

export interface PagerDutyOptions {
  readonly url: string;
  /** Resolves the integration's routing key (a secret) at delivery time. */
  readonly routingKey: () => string;
}

/**
 * PagerDuty Events API v2: `trigger` and `resolve` events with the same dedup_key. PagerDuty keeps
 * one alert per key, so a retried trigger does not page twice.
 */
export class PagerDutyIncidents implements IncidentChannel {
  constructor(private readonly o: PagerDutyOptions) {}

  async open(dedupKey: string, summary: string, severity: IncidentSeverity, d: IncidentDetails, ctx: DeliveryContext): Promise<IncidentRef> {
    const json: JsonObject = {
      event_action: 'trigger',
      dedup_key: dedupKey,
      payload: {
        summary: truncate(summary, MAX_SUMMARY),
        source: `gantry/${d.project}/${d.environment}`,
        severity,
        timestamp: new Date(d.at).toISOString(),
        component: d.service,
        group: d.environment,
        class: d.event,
        custom_details: toJsonObject({ ...d.custom, runId: d.runId, release: d.release, reason: d.reason }),
      },
      links: d.runUrl ? [{ href: d.runUrl, text: `Gantry run #${d.runId ?? ''}` }] : [],
      client: 'Gantry',
      ...(d.runUrl ? { client_url: d.runUrl } : {}),
    };
    await ctx.send({ method: 'POST', url: this.o.url, json, credentials: { routing_key: this.o.routingKey() } });
    return dedupKey;
  }

  async resolve(dedupKey: string, _ref: IncidentRef, ctx: DeliveryContext): Promise<void> {
    await ctx.send({ method: 'POST', url: this.o.url, json: { event_action: 'resolve', dedup_key: dedupKey }, credentials: { routing_key: this.o.routingKey() } });
  }
}
