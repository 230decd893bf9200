import type { JsonObject } from './redact-json.js';
import type { Notification } from './notification.js';

/** One HTTP request of an adapter. The transport redacts `json` before anything leaves the process. */
export interface OutboundRequest {
  readonly method: 'POST' | 'PATCH';
  readonly url: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** The rendered payload: every string in it passes through the Redactor. */
  readonly json: JsonObject;
  /**
   * Credentials that travel in the body (PagerDuty's routing_key). They are merged in after
   * redaction: the Redactor knows every secret value, these included, and would mask them.
   */
  readonly credentials?: Readonly<Record<string, string>>;
  /** Headers computed from the exact bytes sent (a signature), after redaction. */
  readonly sign?: (body: string) => Record<string, string>;
}

export interface InboundResponse {
  readonly status: number;
  /** The parsed JSON body, or undefined when the receiver sent none. */
  readonly json: unknown;
}

/** What an adapter gets for one delivery attempt. */
export interface DeliveryContext {
  /** A UUID for the delivery: the same on every retry, so a receiver can drop duplicates. */
  readonly deliveryId: string;
  /** The gantry.yaml event name, sent as X-Gantry-Event. */
  readonly event: string;
  /** Sends one request; throws a DeliveryError (retryable or not) unless the answer is 2xx. */
  send(request: OutboundRequest): Promise<InboundResponse>;
}

/**
 * A channel that posts messages (Slack, a webhook). One attempt per call: the dispatcher owns
 * retries, so adapters stay small and every channel retries the same way.
 */
export interface Notifier {
  notify(notification: Notification, ctx: DeliveryContext): Promise<void>;
}
