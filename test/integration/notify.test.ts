import { Buffer } from 'node:buffer';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import Fastify from 'fastify';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { normalizeConfig } from '../../src/config/normalize.js';
import { GantryConfigSpec, type GantryConfigInput } from '../../src/config/schema.js';
import { systemClock } from '../../src/kernel/clock.js';
import { FakeClock } from '../../src/kernel/fake-clock.js';
import { DeliveryError } from '../../src/notify/delivery-error.js';
import { NotificationDispatcher, type NotificationDispatcherOptions } from '../../src/notify/dispatcher.js';
import { verifySignature } from '../../src/notify/webhook-signature.js';
import { Redactor } from '../../src/secrets/redactor.js';
import { EnvSecretSource } from '../../src/secrets/source.js';
import type { ServerContext } from '../../src/server/context.js';
import { errorHandler } from '../../src/kernel/http/http-errors.js';
import { notificationRoutes } from '../../src/server/routes/notifications.js';
import type { Delivery } from '../../src/store/repositories/notification-repository.js';
import { sqliteDialect } from '../../src/store/sqlite/sqlite-dialect.js';
import { Store } from '../../src/store/store.js';
import { captureNotification, registerSecret } from '../support/sweep.js';
import { TempDirs, until } from '../support/temp.js';

// ---------- a real HTTP receiver on 127.0.0.1 ----------

interface Received {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  readonly json: Record<string, unknown>;
  readonly at: number;
}

type Answer = { status: number; body?: unknown };

class Receiver {
  readonly requests: Received[] = [];
  url = '';
  private readonly server: Server;

  constructor(
    private readonly answer: (r: Received, index: number) => Answer = () => ({ status: 200, body: 'ok' }),
    /** What this receiver gets by its protocol (PagerDuty's routing key in the body), not a leak. */
    private readonly credentials: readonly string[] = [],
  ) {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const r: Received = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body, json: body ? (JSON.parse(body) as Record<string, unknown>) : {}, at: Date.now() };
        this.requests.push(r);
        captureNotification(`${r.method} ${this.url}`, body, this.credentials);
        const a = this.answer(r, this.requests.length - 1);
        const text = typeof a.body === 'string' ? a.body : JSON.stringify(a.body ?? {});
        res.writeHead(a.status, { 'content-type': typeof a.body === 'string' ? 'text/plain' : 'application/json' }).end(text);
      });
    });
  }

  async listen(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** A URL on which nothing listens: a port that was free a moment ago. */
async function deadUrl(): Promise<string> {
  const r = await new Receiver().listen();
  await r.close();
  return r.url;
}

// ---------- Block Kit: the subset the Slack adapter renders, with Slack's field limits ----------

const PlainText = (max: number) => z.strictObject({ type: z.literal('plain_text'), text: z.string().min(1).max(max), emoji: z.boolean().optional() });
const Mrkdwn = (max: number) => z.strictObject({ type: z.literal('mrkdwn'), text: z.string().min(1).max(max), verbatim: z.boolean().optional() });
const TextObject = (max: number) => z.union([PlainText(max), Mrkdwn(max)]);
const Button = z.strictObject({
  type: z.literal('button'),
  text: PlainText(75),
  url: z.string().url().max(3000).optional(),
  action_id: z.string().max(255).optional(),
  style: z.enum(['primary', 'danger']).optional(),
});
const Block = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('header'), text: PlainText(150), block_id: z.string().max(255).optional() }),
  z
    .strictObject({ type: z.literal('section'), text: TextObject(3000).optional(), fields: z.array(TextObject(2000)).min(1).max(10).optional(), block_id: z.string().max(255).optional() })
    .refine((s) => s.text !== undefined || s.fields !== undefined, 'a section needs text or fields'),
  z.strictObject({ type: z.literal('divider') }),
  z.strictObject({ type: z.literal('actions'), elements: z.array(Button).min(1).max(25) }),
  z.strictObject({ type: z.literal('context'), elements: z.array(TextObject(3000)).min(1).max(10) }),
]);
const SlackMessage = z.strictObject({
  text: z.string().min(1),
  attachments: z.array(z.strictObject({ color: z.string().min(1), fallback: z.string().optional(), blocks: z.array(Block).min(1).max(50) })).length(1),
});
type SlackMessage = z.infer<typeof SlackMessage>;

// ---------- PagerDuty Events API v2 ----------

const PagerDutyTrigger = z.strictObject({
  routing_key: z.string().min(1),
  event_action: z.literal('trigger'),
  dedup_key: z.string().min(1).max(255),
  payload: z.strictObject({
    summary: z.string().min(1).max(1024),
    source: z.string().min(1),
    severity: z.enum(['critical', 'error', 'warning', 'info']),
    timestamp: z.string().datetime().optional(),
    component: z.string().optional(),
    group: z.string().optional(),
    class: z.string().optional(),
    custom_details: z.record(z.string(), z.unknown()).optional(),
  }),
  links: z.array(z.strictObject({ href: z.string().url(), text: z.string() })).optional(),
  images: z.array(z.unknown()).optional(),
  client: z.string().optional(),
  client_url: z.string().url().optional(),
});
const PagerDutyResolve = z.strictObject({ routing_key: z.string().min(1), event_action: z.literal('resolve'), dedup_key: z.string().min(1) });

// ---------- fixtures ----------

const SHA = 'abcdef0123456789abcdef0123456789abcdef01';
// Registered for the global secret sweep (test/support/sweep.ts): found in no kept store or captured body.
const SECRET = registerSecret('hunter2-very-secret-value');
const SIGNING_KEY = registerSecret('whsec-test-signing-key');
const PD_KEY = registerSecret('pd-routing-key-0123456789abcdef');
const GH_TOKEN = registerSecret('ghp_testtoken0123456789');
const FAST = { maxAttempts: 3, backoff: { initialIntervalMs: 20, backoffCoefficient: 2, maximumIntervalMs: 80 } };

type Notifications = NonNullable<GantryConfigInput['notifications']>;

function configWith(notifications: Notifications) {
  return normalizeConfig(
    GantryConfigSpec.parse({
      version: 1,
      project: { name: 'volteryde' },
      repository: { url: '.' },
      services: { api: { path: 'api', run: { command: 'node server.js', port: 3000 } }, billing: { path: 'billing', run: { command: 'node server.js', port: 3001 } } },
      environments: { staging: { branch: 'staging' }, production: { branch: 'main' } },
      notifications,
    }),
  );
}

describe('notifications', () => {
  const temp = new TempDirs();
  const receivers: Receiver[] = [];
  let store: Store | undefined;
  let dispatcher: NotificationDispatcher | undefined;

  afterEach(async () => {
    await dispatcher?.stop();
    dispatcher = undefined;
    await store?.close();
    store = undefined;
    await Promise.all(receivers.splice(0).map((r) => r.close()));
    await temp.cleanup();
  });

  const receiver = async (answer?: (r: Received, index: number) => Answer, credentials: readonly string[] = []): Promise<Receiver> => {
    const r = await new Receiver(answer, credentials).listen();
    receivers.push(r);
    return r;
  };

  /** `sweep: false` for a store a test deliberately writes a secret into (the sweep would rightly find it). */
  async function start(notifications: Notifications, secrets: Record<string, string>, options: Partial<NotificationDispatcherOptions> = {}, dir: { sweep?: boolean } = {}): Promise<Store> {
    store = await Store.open(sqliteDialect(join(await temp.make('gantry-test-', dir), 'gantry.db')));
    const source = new EnvSecretSource(Object.fromEntries(Object.entries({ DB_PASSWORD: SECRET, ...secrets }).map(([k, v]) => [`GANTRY_SECRET_${k}`, v])));
    dispatcher = new NotificationDispatcher({
      store,
      config: configWith(notifications),
      secrets: source,
      redactor: () => new Redactor(source.allValues()),
      logger: pino({ level: 'silent' }),
      clock: systemClock,
      publicUrl: 'https://gantry.example.com',
      pollMs: 20,
      runSettleMs: 20,
      policy: FAST,
      ...options,
    });
    dispatcher.start();
    return store;
  }

  /** A production or staging run with gate, verify and deploy steps that reported results. */
  async function seedRun(s: Store, environment: string, finished?: 'succeeded' | 'failed'): Promise<number> {
    const run = await s.runs.create(
      { trigger: 'push', branch: 'main', ref: 'main', sha: SHA, baseSha: null, environment, author: 'bob', triggeredBy: 'alice', commitMessage: 'ship it', configJson: null },
      {
        notes: [],
        steps: [
          { key: 'gate:api:test', kind: 'gate', name: 'api test', service: 'api', needs: [], spec: {}, maxAttempts: 1 },
          { key: `verify:${environment}`, kind: 'verify', name: `verify ${environment}`, environment, needs: [], spec: { checks: [{ kind: 'load', service: 'api' }] }, maxAttempts: 1 },
          { key: `deploy:${environment}:api`, kind: 'deploy', name: 'deploy api', service: 'api', environment, needs: [], spec: {}, maxAttempts: 1 },
        ],
      },
      Date.now() - 83_000,
    );
    await s.runs.markStarted(run.id, Date.now() - 83_000);
    const [gate, verify] = await s.steps.forRun(run.id);
    const summaries = [
      { tests: { tests: 120, passed: 117, failures: 1, errors: 0, skipped: 2, suites: 4, failedCases: [] }, coverage: { linesCovered: 842, linesTotal: 1000, percent: 84.2, minimum: 80 } },
      { load: { requests: 9000, rps: 300.4, p50Ms: 12, p97_5Ms: 40, p99Ms: 55, errorRate: 0.001, baseline: null } },
    ];
    for (const [step, summary] of [[gate, summaries[0]], [verify, summaries[1]]] as const) {
      await s.steps.claim(step?.id ?? 0, 'test', Date.now(), 10_000);
      await s.steps.finish(step?.id ?? 0, 'test', { state: 'succeeded', summary }, Date.now());
    }
    if (finished) await s.runs.finish(run.id, finished, Date.now(), finished === 'failed' ? { code: 'SMOKE_TEST_FAILED', message: 'smoke test /healthz got 503' } : null);
    return run.id;
  }

  const rolledBack = (environment: string, reason = 'verify: smoke test /healthz got 503') => ({ environment, service: 'api', revision: 7, restored: 6, release: SHA, reason });
  const succeeded = (environment: string) => ({ environment, service: 'api', revision: 8, release: SHA, digest: 'sha256:00' });

  const settled = (s: Store, runId: number, count: number): Promise<Delivery[]> =>
    until(`${count} settled deliveries of run #${runId}`, async () => {
      const all = await s.notifications.forRun(runId);
      return all.length === count && all.every((d) => d.status !== 'pending') && all;
    }, 15_000);

  it('posts a Block Kit message to Slack, green for a success, yellow for a rollback, red for a failure and for a production emergency', async () => {
    const slack = await receiver();
    const s = await start(
      { channels: { team: { kind: 'slack', webhook: { secret: 'SLACK_URL' } } }, routes: [{ events: ['deployment.succeeded', 'deployment.rolled-back', 'run.failed'], channels: ['team'] }] },
      { SLACK_URL: `${slack.url}/services/T000/B000/XXXX` },
    );
    const staging = await seedRun(s, 'staging');
    const production = await seedRun(s, 'production');
    await s.events.append('deployment.succeeded', 'alice', staging, succeeded('staging'), Date.now());
    await s.events.append('deployment.rolled-back', 'gantry', staging, rolledBack('staging'), Date.now());
    await s.events.append('deployment.rolled-back', 'gantry', production, rolledBack('production'), Date.now());
    const failed = await seedRun(s, 'staging', 'failed');

    await until('four Slack messages', () => slack.requests.length === 4);
    const messages = slack.requests.map((r) => SlackMessage.parse(r.json));
    expect(slack.requests.every((r) => r.method === 'POST' && r.path === '/services/T000/B000/XXXX')).toBe(true);
    // Slack's named colours: good is green, warning yellow, danger red.
    const colourOf = (title: string): string | undefined => messages.find((m) => JSON.stringify(m.attachments[0]?.blocks[0]).includes(title))?.attachments[0]?.color;
    expect(colourOf('✅ api deployed to staging')).toBe('good');
    expect(colourOf('⚠️ Rolled back: api in staging')).toBe('warning');
    expect(colourOf(`❌ Run #${failed} failed`)).toBe('danger');
    expect(colourOf('🚨 Emergency rollback: api in production')).toBe('danger');

    const find = (title: string): SlackMessage => messages.find((m) => JSON.stringify(m.attachments[0]?.blocks[0]).includes(title)) as SlackMessage;
    const [success, emergency] = [find('✅ api deployed to staging'), find('🚨 Emergency rollback')];
    const blocks = success.attachments[0]?.blocks ?? [];
    expect(blocks[0]).toMatchObject({ type: 'header', text: { type: 'plain_text', text: '✅ api deployed to staging' } });
    const fields = blocks.flatMap((b) => (b.type === 'section' ? (b.fields ?? []) : [])).map((f) => f.text);
    expect(fields).toEqual(expect.arrayContaining(['*Environment*\nstaging', '*Services*\napi', '*Release*\n`abcdef0`', '*Who*\nalice (author bob)']));
    expect(fields.some((f) => /^\*Duration\*\n1 m 2\d s$/.test(f))).toBe(true);
    const texts = JSON.stringify(blocks);
    expect(texts).toContain('*Tests:* 117/120 passed, 1 failed, 2 skipped');
    expect(texts).toContain('*Coverage:* api 84.2 %');
    expect(texts).toContain('*Load (api):* 300 req/s, p99 55 ms, errors 0.10 %');
    expect(blocks).toContainEqual({ type: 'actions', elements: [expect.objectContaining({ type: 'button', url: `https://gantry.example.com/#/runs/${staging}` })] });
    expect(blocks.at(-1)?.type).toBe('context');
    expect(success.text).toBe('api r8 (abcdef0) is live in staging');

    expect(emergency.attachments[0]?.blocks[0]).toMatchObject({ type: 'header', text: { text: '🚨 Emergency rollback: api in production' } });
    expect(emergency.text).toContain('rolled back to r6: verify: smoke test /healthz got 503');
    expect(JSON.stringify(emergency)).toContain('gantry-production-api');
  });

  it('signs webhook bodies so that the signature verifies with the channel secret and not with another', async () => {
    const hook = await receiver();
    const s = await start(
      { channels: { ops: { kind: 'webhook', url: `${hook.url}/gantry`, signingSecret: { secret: 'SIGNING' } } }, routes: [{ events: ['deployment.succeeded'], channels: ['ops'] }] },
      { SIGNING: SIGNING_KEY },
    );
    const runId = await seedRun(s, 'staging');
    await s.events.append('deployment.succeeded', 'alice', runId, succeeded('staging'), Date.now());

    const [request] = await until('the webhook', () => hook.requests.length === 1 && hook.requests);
    const signature = request?.headers['x-gantry-signature-256'] as string | undefined;
    expect(signature).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(verifySignature(request?.body ?? '', SIGNING_KEY, signature)).toBe(true);
    expect(verifySignature(request?.body ?? '', 'another-secret', signature)).toBe(false);
    expect(verifySignature(`${request?.body ?? ''} `, SIGNING_KEY, signature)).toBe(false);
    expect(request?.headers['x-gantry-event']).toBe('deployment.succeeded');
    expect(request?.headers['x-gantry-delivery']).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(request?.json).toMatchObject({ event: 'deployment.succeeded', outcome: 'success', environment: 'staging', services: ['api'], release: SHA, run: { id: runId, url: `https://gantry.example.com/#/runs/${runId}` } });
    const [delivery] = await settled(s, runId, 1);
    expect(delivery).toMatchObject({ channel: 'ops', status: 'delivered', attempts: 1, deliveryId: request?.headers['x-gantry-delivery'] });
  });

  it('retries a receiver that answers 500 twice with backoff, then delivers with the same delivery id', async () => {
    const hook = await receiver((_r, i) => (i < 2 ? { status: 500, body: 'try later' } : { status: 200, body: 'ok' }));
    const s = await start({ channels: { ops: { kind: 'webhook', url: hook.url } }, routes: [{ events: ['approval.requested'], channels: ['ops'] }] }, {}, { policy: undefined });
    const runId = await seedRun(s, 'production');
    await s.events.append('approval.requested', 'gantry', runId, { environment: 'production', required: 2 }, Date.now());

    const [delivery] = await settled(s, runId, 1);
    expect(delivery).toMatchObject({ status: 'delivered', attempts: 3, lastError: expect.stringContaining('answered 500: try later') });
    expect(hook.requests).toHaveLength(3);
    expect(new Set(hook.requests.map((r) => r.headers['x-gantry-delivery']))).toEqual(new Set([delivery?.deliveryId]));
    // The default policy: 0.5 s, then 1 s between tries (a little timer slack allowed).
    const [a, b, c] = hook.requests.map((r) => r.at) as [number, number, number];
    expect(b - a).toBeGreaterThanOrEqual(450);
    expect(c - b).toBeGreaterThanOrEqual(950);
  });

  it('retries on the dispatcher\'s clock: on a fake clock the tries come exactly 0.5 s, 1 s and 2 s of fake time apart, then it gives up', async () => {
    const hook = await receiver(() => ({ status: 503, body: 'down for maintenance' }));
    const clock = new FakeClock(Date.now());
    const HOUR = 3_600_000;
    // No bus and an hour between polls: the only timers that fall due are the retry waits.
    const s = await start({ channels: { ops: { kind: 'webhook', url: hook.url } }, routes: [{ events: ['approval.requested'], channels: ['ops'] }] }, {}, { policy: undefined, clock, pollMs: HOUR });
    const runId = await seedRun(s, 'production');
    await s.events.append('approval.requested', 'gantry', runId, { environment: 'production', required: 2 }, Date.now());
    dispatcher?.wake();

    const triedAt = [clock.now()];
    await until('the first try', () => hook.requests.length === 1);
    for (const expected of [500, 1_000, 2_000]) {
      // The poll wait is always about an hour away; a retry wait is seconds away.
      const retryAt = await until('the retry wait', () => clock.pending().find((at) => at - clock.now() < HOUR / 2));
      expect(retryAt - clock.now()).toBe(expected);
      // One millisecond short of it nothing is sent: the wait is still set.
      await clock.advance(expected - 1);
      expect(clock.pending()).toContain(retryAt);
      await clock.advance(1);
      triedAt.push(clock.now());
      await until(`try ${triedAt.length}`, () => hook.requests.length === triedAt.length);
    }
    const [delivery] = await settled(s, runId, 1);
    expect(delivery).toMatchObject({ status: 'failed', attempts: 4, lastError: expect.stringContaining('answered 503: down for maintenance') });
    expect(hook.requests).toHaveLength(4);
    expect(triedAt.slice(1).map((t, i) => t - (triedAt[i] ?? 0))).toEqual([500, 1_000, 2_000]);
  });

  it('does not retry a 4xx answer other than 429, and records it', async () => {
    const hook = await receiver(() => ({ status: 400, body: { message: 'invalid payload' } }));
    const s = await start({ channels: { ops: { kind: 'webhook', url: hook.url } }, routes: [{ events: ['approval.requested'], channels: ['ops'] }] }, {});
    const runId = await seedRun(s, 'production');
    await s.events.append('approval.requested', 'gantry', runId, { environment: 'production', required: 2 }, Date.now());

    const [delivery] = await settled(s, runId, 1);
    expect(delivery).toMatchObject({ status: 'failed', attempts: 1, lastError: expect.stringContaining('answered 400') });
    expect(hook.requests).toHaveLength(1);
  });

  it('records a delivery to a receiver that is down as failed with its error, and keeps delivering to the others', async () => {
    const slack = await receiver();
    const s = await start(
      {
        channels: { down: { kind: 'webhook', url: await deadUrl() }, team: { kind: 'slack', webhook: { secret: 'SLACK_URL' } } },
        routes: [{ events: ['deployment.rolled-back'], environments: ['staging'], channels: ['down', 'team'] }],
      },
      { SLACK_URL: slack.url },
    );
    const runId = await seedRun(s, 'staging');
    await s.events.append('deployment.rolled-back', 'gantry', runId, rolledBack('staging'), Date.now());

    const deliveries = await settled(s, runId, 2);
    expect(deliveries.find((d) => d.channel === 'down')).toMatchObject({ status: 'failed', attempts: FAST.maxAttempts, lastError: expect.stringMatching(/ECONNREFUSED/) });
    expect(deliveries.find((d) => d.channel === 'team')).toMatchObject({ status: 'delivered', attempts: 1 });
    expect(slack.requests).toHaveLength(1);
    await expect(dispatcher?.stop()).resolves.toBeUndefined();
  });

  it('routes each event to the channels of the routes that name it and, when they filter, its environment', async () => {
    const prodOnly = await receiver();
    const approvals = await receiver();
    const runs = await receiver();
    const s = await start(
      {
        channels: {
          prod: { kind: 'webhook', url: prodOnly.url },
          approvals: { kind: 'webhook', url: approvals.url },
          runs: { kind: 'webhook', url: runs.url },
        },
        routes: [
          { events: ['deployment.succeeded', 'deployment.failed'], environments: ['production'], channels: ['prod'] },
          { events: ['approval.requested'], channels: ['approvals'] },
          { events: ['run.failed'], channels: ['runs'] },
        ],
      },
      {},
    );
    const staging = await seedRun(s, 'staging');
    const production = await seedRun(s, 'production');
    await s.events.append('deployment.succeeded', 'alice', staging, succeeded('staging'), Date.now());
    await s.events.append('deployment.succeeded', 'alice', production, succeeded('production'), Date.now());
    await s.events.append('deployment.rolled-back', 'gantry', production, rolledBack('production'), Date.now());
    await s.events.append('approval.requested', 'gantry', staging, { environment: 'staging', required: 1 }, Date.now());
    await s.events.append('approval.approved', 'carol', staging, { environment: 'staging', kind: 'deploy', comment: null }, Date.now());
    await s.runs.finish(staging, 'failed', Date.now(), { code: 'SMOKE_TEST_FAILED', message: 'smoke test /healthz got 503' });
    await s.runs.finish(production, 'succeeded', Date.now(), null);

    await until('the run.failed webhook', () => runs.requests.length === 1);
    await until('every delivery settled', async () => (await s.notifications.pending(10)).length === 0);
    expect(prodOnly.requests.map((r) => [r.headers['x-gantry-event'], r.json.environment])).toEqual([
      ['deployment.succeeded', 'production'],
      // a rollback is a failed deployment too: a deployment.failed route gets it, under that name
      ['deployment.failed', 'production'],
    ]);
    expect(approvals.requests.map((r) => [r.headers['x-gantry-event'], r.json.environment])).toEqual([['approval.requested', 'staging']]);
    expect(runs.requests.map((r) => [r.headers['x-gantry-event'], r.json.run])).toEqual([['run.failed', { id: staging, url: `https://gantry.example.com/#/runs/${staging}` }]]);
    expect(runs.requests[0]?.json.reason).toBe('smoke test /healthz got 503');
  });

  it('never lets a secret value reach a receiver or the store, plain or base64', async () => {
    const slack = await receiver();
    const hook = await receiver();
    const pagerduty = await receiver(() => ({ status: 202, body: { status: 'success', message: 'Event processed', dedup_key: 'gantry-production-api' } }), [PD_KEY]);
    const github = await receiver(() => ({ status: 201, body: { number: 42, html_url: 'https://github.example/issues/42' } }));
    const s = await start(
      {
        channels: {
          team: { kind: 'slack', webhook: { secret: 'SLACK_URL' } },
          ops: { kind: 'webhook', url: hook.url, signingSecret: { secret: 'SIGNING' } },
          pager: { kind: 'pagerduty', routingKey: { secret: 'PD_KEY' }, url: pagerduty.url },
          issues: { kind: 'github-issue', repo: 'volteryde/platform', token: { secret: 'GH_TOKEN' }, apiUrl: github.url },
        },
        routes: [{ events: ['deployment.rolled-back', 'incident.opened'], channels: ['team', 'ops', 'pager', 'issues'] }],
      },
      { SLACK_URL: slack.url, SIGNING: SIGNING_KEY, PD_KEY, GH_TOKEN },
      {},
      // The event below carries the secret on purpose (what Gantry must keep out of every delivery): this store is not swept.
      { sweep: false },
    );
    const runId = await seedRun(s, 'production');
    const base64 = Buffer.from(SECRET).toString('base64');
    const reason = `smoke failed: DATABASE_URL=postgres://app:${SECRET}@db/app, header Basic ${base64}`;
    await s.events.append('deployment.rolled-back', 'gantry', runId, { ...rolledBack('production', reason), [`note ${SECRET}`]: SECRET }, Date.now());

    const deliveries = await settled(s, runId, 5);
    expect(deliveries.map((d) => [d.channel, d.kind, d.status])).toEqual([
      ['team', 'notification', 'delivered'],
      ['ops', 'notification', 'delivered'],
      ['pager', 'incident.open', 'delivered'],
      ['issues', 'incident.open', 'delivered'],
      ['ops', 'incident.open', 'delivered'],
    ]);
    const bodies = [slack, hook, pagerduty, github].flatMap((r) => r.requests.map((q) => q.body));
    expect(bodies).toHaveLength(5);
    for (const body of bodies) {
      expect(body).not.toContain(SECRET);
      expect(body).not.toContain(base64);
      expect(body).not.toContain(base64.replace(/=+$/, ''));
    }
    expect(bodies.join('\n')).toContain('postgres://app:***@db/app');
    const rows = await s.db.selectFrom('notifications').select(['payload_json', 'last_error']).execute();
    for (const row of rows) expect(`${row.payload_json} ${row.last_error ?? ''}`).not.toContain(SECRET);
  });

  it('triggers a PagerDuty incident on a production rollback and resolves it with the same dedup_key on the next success', async () => {
    const pagerduty = await receiver(() => ({ status: 202, body: { status: 'success', message: 'Event processed', dedup_key: 'gantry-production-api' } }), [PD_KEY]);
    const s = await start(
      { channels: { pager: { kind: 'pagerduty', routingKey: { secret: 'PD_KEY' }, url: `${pagerduty.url}/v2/enqueue` } }, routes: [{ events: ['deployment.rolled-back'], environments: ['production'], channels: ['pager'] }] },
      { PD_KEY },
    );
    const failed = await seedRun(s, 'production');
    const staging = await seedRun(s, 'staging');
    await s.events.append('deployment.rolled-back', 'gantry', staging, rolledBack('staging'), Date.now());
    await s.events.append('deployment.rolled-back', 'gantry', failed, rolledBack('production'), Date.now());
    await settled(s, failed, 1);
    const fixed = await seedRun(s, 'production');
    await s.events.append('deployment.succeeded', 'alice', fixed, succeeded('production'), Date.now());

    await until('the resolve', () => pagerduty.requests.length === 2);
    const [trigger, resolve] = pagerduty.requests as [Received, Received];
    expect(trigger.path).toBe('/v2/enqueue');
    expect(trigger.headers['content-type']).toBe('application/json');
    expect(PagerDutyTrigger.parse(trigger.json)).toMatchObject({
      routing_key: PD_KEY,
      dedup_key: 'gantry-production-api',
      payload: { severity: 'critical', component: 'api', group: 'production', class: 'deployment.rolled-back', summary: expect.stringContaining('api r7 in production was rolled back to r6') },
      links: [{ href: `https://gantry.example.com/#/runs/${failed}`, text: `Gantry run #${failed}` }],
    });
    expect(PagerDutyResolve.parse(resolve.json)).toEqual({ routing_key: PD_KEY, event_action: 'resolve', dedup_key: 'gantry-production-api' });
    expect(await settled(s, fixed, 1)).toMatchObject([{ channel: 'pager', kind: 'incident.resolve', status: 'delivered' }]);
    // the staging rollback is not an emergency: no incident for it
    expect(await s.notifications.forRun(staging)).toEqual([]);
  });

  it('opens a GitHub issue on a production rollback and closes it with a comment on the next success', async () => {
    const github = await receiver((r) => (r.method === 'POST' && r.path.endsWith('/issues') ? { status: 201, body: { number: 42, html_url: 'https://github.example/issues/42' } } : { status: 200, body: {} }));
    const s = await start(
      { channels: { issues: { kind: 'github-issue', repo: 'volteryde/platform', token: { secret: 'GH_TOKEN' }, apiUrl: `${github.url}/api/v3/` } }, routes: [{ events: ['incident.opened'], channels: ['issues'] }] },
      { GH_TOKEN },
    );
    const failed = await seedRun(s, 'production');
    await s.events.append('deployment.rolled-back', 'gantry', failed, rolledBack('production'), Date.now());
    const [opened] = await settled(s, failed, 1);
    expect(opened).toMatchObject({ kind: 'incident.open', status: 'delivered', dedupKey: 'gantry-production-api', externalRef: '42' });
    const fixed = await seedRun(s, 'production');
    await s.events.append('deployment.succeeded', 'alice', fixed, succeeded('production'), Date.now());
    await settled(s, fixed, 1);

    expect(github.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'POST /api/v3/repos/volteryde/platform/issues',
      'PATCH /api/v3/repos/volteryde/platform/issues/42',
      'POST /api/v3/repos/volteryde/platform/issues/42/comments',
    ]);
    for (const r of github.requests) {
      expect(r.headers).toMatchObject({ authorization: `Bearer ${GH_TOKEN}`, accept: 'application/vnd.github+json', 'x-github-api-version': '2022-11-28' });
    }
    const [create, close, comment] = github.requests as [Received, Received, Received];
    expect(create.json).toMatchObject({ title: expect.stringMatching(/^\[gantry-production-api\] api r7 in production was rolled back/), labels: ['gantry', 'incident', 'critical'] });
    expect(create.json.body).toContain(`https://gantry.example.com/#/runs/${failed}`);
    expect(close.json).toEqual({ state: 'closed', state_reason: 'completed' });
    expect(comment.json.body).toContain('Resolved');
  });

  it('fails a delivery whose channel secret is missing, naming the secret and not retrying', async () => {
    const s = await start({ channels: { team: { kind: 'slack', webhook: { secret: 'SLACK_URL' } } }, routes: [{ events: ['approval.requested'], channels: ['team'] }] }, {});
    const runId = await seedRun(s, 'staging');
    await s.events.append('approval.requested', 'gantry', runId, { environment: 'staging', required: 1 }, Date.now());
    expect(await settled(s, runId, 1)).toMatchObject([{ status: 'failed', attempts: 1, lastError: 'channel team needs secret SLACK_URL, which the server does not have' }]);
    const error = new DeliveryError('NOTIFY_SECRET_MISSING', 'x');
    expect(error).toBeInstanceOf(DeliveryError);
    expect(error.code).toBe('NOTIFY_SECRET_MISSING');
  });

  it('serves a run\'s deliveries on GET /api/v1/runs/:id/notifications over a real socket', async () => {
    const s = await start({ channels: { down: { kind: 'webhook', url: await deadUrl() } }, routes: [{ events: ['approval.requested'], channels: ['down'] }] }, {});
    const runId = await seedRun(s, 'staging');
    await s.events.append('approval.requested', 'gantry', runId, { environment: 'staging', required: 1 }, Date.now());
    await settled(s, runId, 1);

    const app = Fastify();
    app.setErrorHandler(errorHandler(pino({ level: 'silent' })));
    // The route reads only the store; the rest of the context is not needed here.
    notificationRoutes(app, { store: s } as unknown as ServerContext);
    const base = await app.listen({ host: '127.0.0.1', port: 0 });
    try {
      const body = (await (await fetch(`${base}/api/v1/runs/${runId}/notifications`)).json()) as { notifications: Array<Record<string, unknown>> };
      expect(body.notifications).toEqual([
        expect.objectContaining({ channel: 'down', kind: 'notification', event: 'approval.requested', status: 'failed', attempts: FAST.maxAttempts, lastError: expect.stringMatching(/ECONNREFUSED/), deliveredAt: null }),
      ]);
      const missing = await fetch(`${base}/api/v1/runs/9999/notifications`);
      expect(missing.status).toBe(404);
      expect(await missing.json()).toMatchObject({ code: 'RUN_NOT_FOUND' });
    } finally {
      await app.close();
    }
  });

  it('resumes a delivery interrupted by a stop after a restart, with the same delivery id', async () => {
    let up = false;
    const hook = await receiver(() => (up ? { status: 200, body: 'ok' } : { status: 503, body: 'maintenance' }));
    const slow = { maxAttempts: 10, backoff: { initialIntervalMs: 200, backoffCoefficient: 1, maximumIntervalMs: 200 } };
    const s = await start({ channels: { ops: { kind: 'webhook', url: hook.url } }, routes: [{ events: ['approval.requested'], channels: ['ops'] }] }, {}, { policy: slow });
    const runId = await seedRun(s, 'staging');
    await s.events.append('approval.requested', 'gantry', runId, { environment: 'staging', required: 1 }, Date.now());
    await until('a first failed try', () => hook.requests.length >= 1);
    await dispatcher?.stop();
    const [pending] = await s.notifications.forRun(runId);
    expect(pending?.status).toBe('pending');

    up = true;
    const options = { store: s, config: configWith({ channels: { ops: { kind: 'webhook', url: hook.url } }, routes: [{ events: ['approval.requested'], channels: ['ops'] }] }) };
    dispatcher = new NotificationDispatcher({ ...options, secrets: new EnvSecretSource({}), redactor: () => new Redactor([]), logger: pino({ level: 'silent' }), clock: systemClock, publicUrl: 'https://gantry.example.com', pollMs: 20, policy: slow });
    dispatcher.start();
    const [delivered] = await settled(s, runId, 1);
    expect(delivered).toMatchObject({ status: 'delivered', deliveryId: pending?.deliveryId });
    expect(new Set(hook.requests.map((r) => r.headers['x-gantry-delivery']))).toEqual(new Set([pending?.deliveryId]));
  });
});
