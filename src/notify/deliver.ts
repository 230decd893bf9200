import type { Clock } from '../kernel/clock.js';
import type { Logger } from '../kernel/logger.js';
import { retryDelay, type RetryPolicy } from '../engine/retry-policy.js';
import { isGantryError } from '../errors/index.js';
import type { Redactor } from '../secrets/redactor.js';
import { DeliveryKind, type Delivery, type NotificationRepository } from '../store/repositories/notification-repository.js';
import type { ChannelAdapters } from './channels.js';
import { DeliveryError } from './delivery-error.js';
import { createTransport, type FetchLike } from './http-transport.js';
import type { IncidentDetails, IncidentRef, IncidentSeverity } from './incidents/incident-channel.js';
import type { DeliveryContext } from './notifier.js';
import type { Notification } from './notification.js';

export interface DeliveryPolicy {
  /** Tries in all, the first included. */
  readonly maxAttempts: number;
  readonly backoff: RetryPolicy;
}

/** A first try and three retries after 0.5 s, 1 s and 2 s: a receiver's blip is absorbed, a dead one is given up within seconds. */
export const DEFAULT_DELIVERY_POLICY: DeliveryPolicy = { maxAttempts: 4, backoff: { initialIntervalMs: 500, backoffCoefficient: 2, maximumIntervalMs: 2_000 } };

/** The payload of an incident.open row (see the dispatcher's planning). */
export interface IncidentPayload {
  readonly summary: string;
  readonly severity: IncidentSeverity;
  readonly details: IncidentDetails;
}

export interface DeliverDeps {
  readonly repo: NotificationRepository;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly policy: DeliveryPolicy;
  readonly fetch: FetchLike;
  readonly timeoutMs: number;
  readonly redactor: Redactor;
  readonly signal: AbortSignal;
  readonly adapters: (channel: string) => ChannelAdapters | undefined;
  /** This dispatcher's claim owner: of several servers on one database, only the claim's holder sends. */
  readonly owner: string;
}

/** Beyond a try's request timeout (and the wait before it), how long a claim outlives a sender that died. */
export const CLAIM_MARGIN_MS = 5_000;

/** The retry wait on the dispatcher's clock; a stop ends it early without an error (the loop then sees the signal and leaves the row pending). */
const backoff = (clock: Clock, ms: number, signal: AbortSignal): Promise<void> => clock.sleep(ms, signal).catch(() => undefined);

/** Anything an adapter throws becomes a DeliveryError; an unexpected one (a bug) is not retried. */
const asDeliveryError = (error: unknown): DeliveryError =>
  error instanceof DeliveryError
    ? error
    : new DeliveryError('NOTIFY_DELIVERY_FAILED', isGantryError(error) || error instanceof Error ? error.message : String(error), { cause: error, retryable: isGantryError(error) && error.retryable });

async function perform(d: Delivery, ctx: DeliveryContext, deps: DeliverDeps): Promise<IncidentRef> {
  const adapters = deps.adapters(d.channel);
  if (!adapters) throw new DeliveryError('NOTIFY_DELIVERY_FAILED', `channel ${d.channel} is no longer declared in gantry.yaml`);
  if (d.kind === DeliveryKind.Notification) {
    if (!adapters.notifier) throw new DeliveryError('NOTIFY_CHANNEL_UNSUPPORTED', `channel ${d.channel} does not post messages`);
    // Rows are written by the dispatcher from a Notification; the store holds it as plain JSON.
    await adapters.notifier.notify(d.payload as unknown as Notification, ctx);
    return null;
  }
  if (!adapters.incidents || d.dedupKey === null) throw new DeliveryError('NOTIFY_CHANNEL_UNSUPPORTED', `channel ${d.channel} does not handle incidents`);
  if (d.kind === DeliveryKind.IncidentOpen) {
    const p = d.payload as unknown as IncidentPayload;
    return adapters.incidents.open(d.dedupKey, p.summary, p.severity, p.details, ctx);
  }
  await adapters.incidents.resolve(d.dedupKey, await deps.repo.incidentRef(d.channel, d.dedupKey, d.id), ctx);
  return null;
}

/**
 * Sends one stored delivery until it lands, fails for good, or the dispatcher stops (then it stays
 * pending and the next start carries on, with the same delivery id and the attempts counted so far).
 * The row is claimed first, and the claim renewed before each wait, to cover the next try: a server
 * that does not win it skips the delivery, and one whose sender died takes it over, attempts counted,
 * once the claim runs out. Never throws: every outcome is written to the row.
 */
export async function deliver(listed: Delivery, deps: DeliverDeps): Promise<void> {
  const { repo, policy, signal, owner } = deps;
  const log = deps.logger.child({ delivery: listed.deliveryId, channel: listed.channel, kind: listed.kind, event: listed.event, runId: listed.runId });
  const claimFor = (waitMs: number): number => waitMs + deps.timeoutMs + CLAIM_MARGIN_MS;
  let settled = false;
  try {
    // The row as stored when claimed: another server may have counted attempts since it was listed.
    const d = await repo.claim(listed.id, owner, deps.clock.now(), claimFor(0));
    if (!d) {
      settled = true;
      log.debug({}, 'delivery claimed by another server (or settled); skipped');
      return;
    }
    const ctx: DeliveryContext = { deliveryId: d.deliveryId, event: d.event, send: createTransport({ fetch: deps.fetch, redactor: deps.redactor, timeoutMs: deps.timeoutMs, signal }) };
    let attempts = d.attempts;
    while (!signal.aborted) {
      if (attempts >= policy.maxAttempts) {
        await repo.markFailed(d.id, attempts, d.lastError ?? 'gave up after the last attempt');
        settled = true;
        return;
      }
      attempts += 1;
      try {
        const ref = await perform(d, ctx, deps);
        await repo.markDelivered(d.id, attempts, deps.clock.now(), ref);
        settled = true;
        log.info({ attempts }, `notification delivered to ${d.channel}`);
        return;
      } catch (error: unknown) {
        if (signal.aborted) return;
        const failure = asDeliveryError(error);
        const message = deps.redactor.redact(failure.message);
        if (!failure.retryable || attempts >= policy.maxAttempts) {
          await repo.markFailed(d.id, attempts, message);
          settled = true;
          log.warn({ attempts, code: failure.code, error: message }, `notification to ${d.channel} failed`);
          return;
        }
        await repo.recordAttempt(d.id, attempts, message);
        const waitMs = Math.max(retryDelay(policy.backoff, attempts), failure.retryAfterMs ?? 0);
        if (!(await repo.claim(d.id, owner, deps.clock.now(), claimFor(waitMs)))) {
          // Our claim ran out (this server stalled) and another server carries the delivery on.
          settled = true;
          log.warn({ attempts }, `delivery to ${d.channel} taken over by another server`);
          return;
        }
        await backoff(deps.clock, waitMs, signal);
      }
    }
  } catch (error: unknown) {
    // Only the store can fail here; the row stays pending and is picked up again on the next pass.
    log.error({ err: error }, `could not record the delivery to ${listed.channel}`);
  } finally {
    // Stopped (or the store failed) before an outcome: another server, or the next start, carries on at once.
    if (!settled) await repo.unclaim(listed.id, owner).catch(() => undefined);
  }
}
