import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { normalizeConfig } from '../../src/config/normalize.js';
import { GantryConfigSpec } from '../../src/config/schema.js';
import { systemClock } from '../../src/kernel/clock.js';
import type { DeliveryPolicy } from '../../src/notify/deliver.js';
import { NotificationDispatcher } from '../../src/notify/dispatcher.js';
import { Redactor } from '../../src/secrets/redactor.js';
import { EnvSecretSource } from '../../src/secrets/source.js';
import { Store } from '../../src/store/store.js';
import { storeBackends } from '../support/store-backends.js';
import { TempDirs, until } from '../support/temp.js';

/** Backends where two Store objects share one database (two servers on it): not SQLite in memory. */
const SHARED = storeBackends().filter(([name]) => name !== 'SQLite in memory');

/** A real receiver on 127.0.0.1 that counts what reaches it, answering by `answer`, after `delayMs`. */
class CountingReceiver {
  readonly deliveries: Array<{ id: string; at: number }> = [];
  url = '';
  private readonly server: Server;
  constructor(answer: (index: number) => number, delayMs = 0) {
    this.server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        const index = this.deliveries.push({ id: String(req.headers['x-gantry-delivery']), at: Date.now() }) - 1;
        setTimeout(() => res.writeHead(answer(index), { 'content-type': 'text/plain' }).end('ok'), delayMs);
      });
    });
  }
  async listen(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hook`;
    return this;
  }
  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

const config = (url: string) =>
  normalizeConfig(
    GantryConfigSpec.parse({
      version: 1,
      project: { name: 'claims' },
      repository: { url: '.' },
      services: { api: { path: 'api', run: { command: 'node server.js', port: 3000 } } },
      environments: { staging: { branch: 'staging' } },
      notifications: { channels: { ops: { kind: 'webhook', url } }, routes: [{ events: ['approval.requested'], channels: ['ops'] }] },
    }),
  );

const FAST: DeliveryPolicy = { maxAttempts: 4, backoff: { initialIntervalMs: 20, backoffCoefficient: 1, maximumIntervalMs: 20 } };

describe.each(SHARED)('notifications with two servers on one %s database', (_name, fresh) => {
  const temp = new TempDirs();
  const stores: Store[] = [];
  const dispatchers: NotificationDispatcher[] = [];
  const receivers: CountingReceiver[] = [];
  afterEach(async () => {
    await Promise.all(dispatchers.splice(0).map((d) => d.stop()));
    await Promise.all(stores.splice(0).map((s) => s.close()));
    await Promise.all(receivers.splice(0).map((r) => r.close()));
    await temp.cleanup();
  });

  const setUp = async (answer: (index: number) => number, delayMs = 0) => {
    const receiver = await new CountingReceiver(answer, delayMs).listen();
    receivers.push(receiver);
    const dialect = await fresh(await temp.make());
    const a = await Store.open(dialect);
    const b = await Store.open(dialect);
    stores.push(a, b);
    return { receiver, a, b };
  };
  const dispatcher = (store: Store, url: string, owner: string, policy: DeliveryPolicy = FAST): NotificationDispatcher => {
    const d = new NotificationDispatcher({ store, config: config(url), secrets: new EnvSecretSource({}), redactor: () => new Redactor([]), logger: pino({ level: 'silent' }), clock: systemClock, publicUrl: 'https://gantry.example.com', pollMs: 10, runSettleMs: 10_000, policy, owner });
    dispatchers.push(d);
    return d;
  };
  const approvalRequested = async (s: Store): Promise<number> => {
    const run = await s.runs.create({ trigger: 'push', branch: 'staging', ref: 'staging', sha: 'a'.repeat(40), baseSha: null, environment: 'staging', author: 'bob', triggeredBy: 'alice', commitMessage: 'm', configJson: null }, { notes: [], steps: [] }, Date.now());
    await s.events.append('approval.requested', 'gantry', run.id, { environment: 'staging', required: 1 }, Date.now());
    return run.id;
  };

  it('plans and sends each notification once while two dispatchers run side by side', async () => {
    const { receiver, a, b } = await setUp(() => 200, 5);
    dispatcher(a, receiver.url, 'server-a').start();
    dispatcher(b, receiver.url, 'server-b').start();
    const runs: number[] = [];
    for (let i = 0; i < 30; i++) runs.push(await approvalRequested(i % 2 === 0 ? a : b));
    await until('every delivery settled', async () => {
      const rows = (await Promise.all(runs.map((r) => a.notifications.forRun(r)))).flat();
      return rows.length >= 30 && rows.every((d) => d.status === 'delivered') && rows;
    }, 30_000);
    // Both dispatchers read every event; each was planned once (one row) and sent once.
    const rows = (await Promise.all(runs.map((r) => b.notifications.forRun(r)))).flat();
    expect(rows).toHaveLength(30);
    expect(rows.every((d) => d.attempts === 1)).toBe(true);
    expect(receiver.deliveries).toHaveLength(30);
    expect(new Set(receiver.deliveries.map((d) => d.id))).toEqual(new Set(rows.map((d) => d.deliveryId)));
  });

  it('carries a delivery on at another server after a hand-over, its attempts counted', async () => {
    // Two failures, then success: the first server makes the first try, the second the others.
    const { receiver, a, b } = await setUp((i) => (i < 2 ? 500 : 200));
    const patient: DeliveryPolicy = { maxAttempts: 4, backoff: { initialIntervalMs: 600_000, backoffCoefficient: 1, maximumIntervalMs: 600_000 } };
    const first = dispatcher(a, receiver.url, 'server-a', patient);
    first.start();
    const runId = await approvalRequested(a);
    const [tried] = await until('the first try recorded', async () => {
      const rows = await a.notifications.forRun(runId);
      return rows[0]?.attempts === 1 && rows;
    });
    expect(tried).toMatchObject({ status: 'pending', attempts: 1 });
    // The first server stops while it waits to retry (a clean hand-over: its claim is given up).
    await first.stop();
    dispatcher(b, receiver.url, 'server-b').start();
    const [delivered] = await until('delivered by the second server', async () => {
      const rows = await b.notifications.forRun(runId);
      return rows[0]?.status === 'delivered' && rows;
    });
    expect(delivered).toMatchObject({ attempts: 3, deliveryId: tried?.deliveryId });
    expect(receiver.deliveries.map((d) => d.id)).toEqual([tried?.deliveryId, tried?.deliveryId, tried?.deliveryId]);
  });

  it('leaves a delivery claimed by a server that died alone until the claim runs out, then sends it once', async () => {
    const { receiver, a, b } = await setUp(() => 200);
    const runId = await approvalRequested(a);
    // Planned by one server, which claimed the row and died before sending: no dispatcher runs on it now.
    const planner = dispatcher(a, receiver.url, 'server-a');
    planner.start();
    await until('planned', async () => (await a.notifications.forRun(runId)).length === 1);
    await planner.stop();
    const [row] = await a.notifications.forRun(runId);
    const claimedUntil = Date.now() + 1_500;
    await a.db.updateTable('notifications').set({ status: 'pending', claimed_by: 'dead-server', claimed_until: claimedUntil, delivered_at: null, attempts: 0 }).where('id', '=', row?.id ?? 0).execute();
    const sentBefore = receiver.deliveries.length;
    dispatcher(b, receiver.url, 'server-b').start();
    await until('sent after the claim ran out', () => receiver.deliveries.length > sentBefore);
    expect(receiver.deliveries[sentBefore]?.at).toBeGreaterThanOrEqual(claimedUntil);
    await until('delivered', async () => (await b.notifications.get(row?.id ?? 0))?.status === 'delivered');
    expect(await b.notifications.get(row?.id ?? 0)).toMatchObject({ status: 'delivered', attempts: 1 });
    expect(receiver.deliveries.length).toBe(sentBefore + 1);
  });
});
