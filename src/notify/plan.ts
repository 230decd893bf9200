import type { NotificationsConfig } from '../config/types.js';
import { DeliveryKind } from '../store/repositories/notification-repository.js';
import type { NotifyEvent } from './notification.js';

export interface PlannedDelivery {
  readonly channel: string;
  readonly kind: DeliveryKind;
  /** The name it was routed by; incident rows carry incident.opened / incident.resolved. */
  readonly event: NotifyEvent | 'incident.resolved';
}

export interface PlanInput {
  readonly names: readonly NotifyEvent[];
  /** The environments the event or run is about; empty for a CI-only run. */
  readonly environments: readonly string[];
  readonly opensIncident: boolean;
  /** Channels holding an open incident that this event resolves. */
  readonly resolveOn: readonly string[];
}

const INCIDENT_KINDS: ReadonlySet<string> = new Set(['pagerduty', 'github-issue']);

/** Channels of the routes that name `event` and, when they filter by environment, one of ours. */
export function routedChannels(config: NotificationsConfig, event: NotifyEvent, environments: readonly string[]): string[] {
  return config.routes
    .filter((r) => r.events.includes(event) && (r.environments === undefined || r.environments.some((e) => environments.includes(e))))
    .flatMap((r) => r.channels);
}

/**
 * Which channel gets what for one event. Pure, so routing is tested without HTTP.
 * - message channels (Slack, webhook, email) routed for any of the names get one message;
 * - incident channels (PagerDuty, GitHub issues) only ever open incidents, for a critical event;
 * - `incident.opened` routes: incident channels and webhooks open the incident, Slack and email get the message;
 * - channels holding the incident this event resolves get a resolve, whatever the routes say now.
 */
export function planDeliveries(config: NotificationsConfig | undefined, input: PlanInput): PlannedDelivery[] {
  if (!config) return [];
  const out = new Map<string, PlannedDelivery>();
  const add = (d: PlannedDelivery): void => {
    if (config.channels[d.channel] && !out.has(`${d.channel} ${d.kind}`)) out.set(`${d.channel} ${d.kind}`, d);
  };
  for (const name of input.names) {
    for (const channel of routedChannels(config, name, input.environments)) {
      const kind = config.channels[channel]?.kind;
      if (kind === undefined) continue;
      if (!INCIDENT_KINDS.has(kind)) add({ channel, kind: DeliveryKind.Notification, event: name });
      else if (input.opensIncident) add({ channel, kind: DeliveryKind.IncidentOpen, event: 'incident.opened' });
    }
  }
  if (input.opensIncident) {
    for (const channel of routedChannels(config, 'incident.opened', input.environments)) {
      const kind = config.channels[channel]?.kind;
      if (kind === 'slack' || kind === 'email') add({ channel, kind: DeliveryKind.Notification, event: 'incident.opened' });
      else if (kind !== undefined) add({ channel, kind: DeliveryKind.IncidentOpen, event: 'incident.opened' });
    }
  }
  for (const channel of input.resolveOn) add({ channel, kind: DeliveryKind.IncidentResolve, event: 'incident.resolved' });
  return [...out.values()];
}
