import { randomUUID } from 'node:crypto';
import type { GantryConfig } from '../config/types.js';
import type { Run } from '../domain/run.js';
import type { Clock } from '../kernel/clock.js';
import type { EngineBus } from '../engine/events.js';
import type { Logger } from '../kernel/logger.js';
import type { Redactor } from '../secrets/redactor.js';
import type { SecretSource } from '../secrets/source.js';
import type { StoredEvent } from '../domain/event.js';
import { DeliveryKind, EVENTS_CURSOR, RUNS_CURSOR, type Delivery, type NewDelivery } from '../store/repositories/notification-repository.js';
import type { Store } from '../store/store.js';
import { adaptersFor, type ChannelAdapters } from './channels.js';
import { classifyEvent, classifyRun, type Classified } from './classify.js';
import { DEFAULT_DELIVERY_POLICY, deliver, type DeliveryPolicy } from './deliver.js';
import { describe, incidentOf } from './describe.js';
import { DEFAULT_REQUEST_TIMEOUT_MS, type FetchLike } from './http-transport.js';
import { planDeliveries } from './plan.js';
import { redactPlain, toJsonObject } from './redact-json.js';

export interface NotificationDispatcherOptions {
  readonly store: Store;
  /** The server's pinned config: channels and routes. */
  readonly config: GantryConfig;
  readonly secrets: SecretSource;
  /** A Redactor over the current secret values; called per pass so new secrets are masked too. */
  readonly redactor: () => Redactor;
  readonly logger: Logger;
  readonly clock: Clock;
  /** The server's URL as people reach it, for links to runs. */
  readonly publicUrl: string;
  /** Injected in tests; the global fetch otherwise. */
  readonly fetch?: FetchLike;
  /** When given, engine events wake the dispatcher instead of waiting for the next poll. */
  readonly bus?: EngineBus;
  /** How often the store is read when nothing wakes it (default 1 s). */
  readonly pollMs?: number;
  readonly policy?: DeliveryPolicy;
  /** Per HTTP request (default 10 s). */
  readonly requestTimeoutMs?: number;
  /** A finished run is read only after this long, so runs finishing together are never skipped (default 1 s). */
  readonly runSettleMs?: number;
  /** Older events and runs are skipped: a dispatcher started late must not replay history (default 1 h). */
  readonly maxAgeMs?: number;
  /** Whose claim a delivery is under while this dispatcher sends it (default: a new id per dispatcher). */
  readonly owner?: string;
}

export const DEFAULT_NOTIFY_POLL_MS = 1_000;
export const DEFAULT_RUN_SETTLE_MS = 1_000;
export const DEFAULT_MAX_AGE_MS = 60 * 60_000;
const BATCH = 100;

/**
 * Turns what the engine records into notifications and incidents, on its own loop. It reads the
 * events table (and finished runs, for run.succeeded / run.failed) after a stored cursor, plans
 * deliveries by the config's routes, stores them with the cursor in one transaction (an outbox),
 * then sends them, each under a claim so that of several servers on one database one sends it: one
 * queue per channel, so an incident's resolve follows its open and a slow
 * receiver holds up only itself. Nothing here throws into the engine or waits on a deployment.
 */
export class NotificationDispatcher {
  private stopped = true;
  private loopDone: Promise<void> = Promise.resolve();
  private wakeUp: (() => void) | undefined;
  private dirty = false;
  private controller = new AbortController();
  private unsubscribe: (() => void) | undefined;
  private readonly inFlight = new Map<number, Promise<void>>();
  private readonly queues = new Map<string, Promise<void>>();
  private readonly adapters = new Map<string, ChannelAdapters>();

  private readonly owner: string;

  constructor(private readonly o: NotificationDispatcherOptions) {
    this.owner = o.owner ?? `notify-${randomUUID()}`;
    for (const [name, spec] of Object.entries(o.config.notifications?.channels ?? {})) this.adapters.set(name, adaptersFor(name, spec, o.secrets));
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.controller = new AbortController();
    this.unsubscribe = this.o.bus?.subscribe((e) => {
      if (e.type !== 'log') this.wake();
    });
    this.loopDone = this.loop();
  }

  /** Reads the store now instead of at the next poll. */
  wake(): void {
    this.dirty = true;
    this.wakeUp?.();
  }

  /** Stops reading and sending; an interrupted delivery stays pending and resumes on the next start. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.unsubscribe?.();
    this.controller.abort();
    this.wakeUp?.();
    await this.loopDone;
    await Promise.allSettled([...this.inFlight.values()]);
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      this.dirty = false;
      try {
        await this.pass();
      } catch (error: unknown) {
        this.o.logger.error({ err: error }, 'notification pass failed; retrying at the next poll');
      }
      if (this.stopped || this.dirty) continue;
      await new Promise<void>((resolve) => {
        const timer = this.o.clock.setTimeout(resolve, this.o.pollMs ?? DEFAULT_NOTIFY_POLL_MS);
        this.wakeUp = () => {
          timer.cancel();
          resolve();
        };
      });
      this.wakeUp = undefined;
    }
  }

  private async pass(): Promise<void> {
    await this.readEvents();
    await this.readRuns();
    this.sendPending(await this.o.store.notifications.pending(500, this.o.clock.now()));
  }

  private tooOld(at: number): boolean {
    return at < this.o.clock.now() - (this.o.maxAgeMs ?? DEFAULT_MAX_AGE_MS);
  }

  private async readEvents(): Promise<void> {
    const repo = this.o.store.notifications;
    for (;;) {
      let at = await repo.cursor(EVENTS_CURSOR);
      const events = await repo.eventsAfter(at.lastId, BATCH);
      let raced = false;
      for (const event of events) {
        const c = classifyEvent(event);
        const run = c && event.runId !== null ? await this.o.store.runs.get(event.runId) : undefined;
        const rows = c && !this.tooOld(event.at) ? await this.plan(c, event, run) : [];
        const next = { lastId: event.id, lastAt: event.at };
        // Another dispatcher on the database moved the cursor first: it planned this one; read on from there.
        raced = !(await repo.enqueue(EVENTS_CURSOR, at, next, rows, this.o.clock.now()));
        if (raced) break;
        at = next;
      }
      if ((events.length < BATCH && !raced) || this.stopped) return;
    }
  }

  private async readRuns(): Promise<void> {
    const repo = this.o.store.notifications;
    const settled = this.o.clock.now() - (this.o.runSettleMs ?? DEFAULT_RUN_SETTLE_MS);
    for (;;) {
      let at = await repo.cursor(RUNS_CURSOR);
      const runs = await repo.runsFinishedAfter(at, settled, BATCH);
      let raced = false;
      for (const run of runs) {
        const c = classifyRun(run);
        const rows = c && !this.tooOld(run.finishedAt ?? 0) ? await this.plan(c, undefined, run) : [];
        const next = { lastId: run.id, lastAt: run.finishedAt ?? 0 };
        raced = !(await repo.enqueue(RUNS_CURSOR, at, next, rows, this.o.clock.now()));
        if (raced) break;
        at = next;
      }
      if ((runs.length < BATCH && !raced) || this.stopped) return;
    }
  }

  /** The deliveries of one event or run, with their payloads rendered from the store and redacted. */
  private async plan(c: Classified, event: StoredEvent | undefined, run: Run | undefined): Promise<NewDelivery[]> {
    const { store, config } = this.o;
    const steps = run ? await store.steps.forRun(run.id) : [];
    const environments = c.environments ?? (c.environment ? [c.environment] : [...new Set(steps.flatMap((s) => (s.environment ? [s.environment] : [])))]);
    const resolveOn = c.resolves ? (await store.notifications.openIncidents(c.resolves)).map((i) => i.channel) : [];
    const planned = planDeliveries(config.notifications, { names: c.names, environments, opensIncident: c.opens !== null, resolveOn });
    if (planned.length === 0) return [];
    const redactor = this.o.redactor();
    const runId = run?.id ?? event?.runId ?? null;
    return planned.map((p) => {
      const name = p.event === 'incident.resolved' ? (c.names[0] ?? 'incident.opened') : p.event;
      const n = redactPlain(describe({ project: config.project.name, publicUrl: this.o.publicUrl, classified: c, event, run, steps, name }), redactor);
      const base = { eventId: event?.id ?? null, runId, channel: p.channel, kind: p.kind, event: p.event, deliveryId: randomUUID() };
      if (p.kind === DeliveryKind.IncidentOpen) return { ...base, dedupKey: c.opens, payload: toJsonObject(incidentOf(n, 'critical')) };
      if (p.kind === DeliveryKind.IncidentResolve) return { ...base, dedupKey: c.resolves, payload: {} };
      return { ...base, dedupKey: null, payload: toJsonObject(n) };
    });
  }

  private sendPending(rows: readonly Delivery[]): void {
    for (const row of rows) {
      if (this.inFlight.has(row.id) || this.stopped) continue;
      const previous = this.queues.get(row.channel) ?? Promise.resolve();
      const done = previous.then(() =>
        deliver(row, {
          repo: this.o.store.notifications,
          clock: this.o.clock,
          logger: this.o.logger,
          policy: this.o.policy ?? DEFAULT_DELIVERY_POLICY,
          fetch: this.o.fetch ?? fetch,
          timeoutMs: this.o.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
          redactor: this.o.redactor(),
          signal: this.controller.signal,
          adapters: (channel) => this.adapters.get(channel),
          owner: this.owner,
        }),
      );
      this.inFlight.set(row.id, done);
      this.queues.set(row.channel, done);
      void done.finally(() => {
        this.inFlight.delete(row.id);
        if (this.queues.get(row.channel) === done) this.queues.delete(row.channel);
      });
    }
  }
}
