import type { DeliveryContext } from '../notifier.js';

/** PagerDuty's severities; other receivers show them as labels. */
export type IncidentSeverity = 'critical' | 'error' | 'warning' | 'info';

/** What an incident is about. Already redacted by the dispatcher; adapters only arrange it. */
export interface IncidentDetails {
  readonly project: string;
  readonly environment: string;
  readonly service: string;
  /** The Gantry event that opened it, e.g. deployment.rolled-back. */
  readonly event: string;
  readonly runId: number | null;
  readonly runUrl: string | null;
  readonly release: string | null;
  readonly reason: string | null;
  /** Epoch ms of the event. */
  readonly at: number;
  readonly custom: Readonly<Record<string, unknown>>;
}

/** What the receiver calls the incident (a GitHub issue number), kept to resolve it later. */
export type IncidentRef = string | null;

/**
 * A place incidents are opened and resolved: PagerDuty, GitHub issues, a webhook. `dedupKey`
 * (gantry-<environment>-<service>) names the incident on both calls. One attempt per call; the
 * dispatcher retries, and sends `resolve` on the channel only after its `open`.
 */
export interface IncidentChannel {
  open(dedupKey: string, summary: string, severity: IncidentSeverity, details: IncidentDetails, ctx: DeliveryContext): Promise<IncidentRef>;
  /** `ref` is what `open` returned, or null when the open never got through. */
  resolve(dedupKey: string, ref: IncidentRef, ctx: DeliveryContext): Promise<void>;
}
