/**
 * What people watching the dashboard cost a deployment: the engine's per-step overhead with 0, 50
 * and 200 clients following GET /api/v1/stream over real HTTP, side by side, and what each client
 * received. Reproduce with: npx tsx bench/stream.ts
 */
import { request, type IncomingMessage } from 'node:http';
import { cpus } from 'node:os';
import Fastify from 'fastify';
import { pino } from 'pino';
import type { PlannedStep } from '../src/domain/run.js';
import { systemClock } from '../src/kernel/clock.js';
import { EngineBus } from '../src/engine/events.js';
import { Executor } from '../src/engine/executor.js';
import type { StepHandler } from '../src/engine/step-handler.js';
import { Redactor } from '../src/secrets/redactor.js';
import type { ServerContext } from '../src/server/context.js';
import { streamRoutes } from '../src/server/routes/stream.js';
import { sqliteDialect } from '../src/store/sqlite/sqlite-dialect.js';
import { Store } from '../src/store/store.js';

const STEPS = Number(process.env.BENCH_CHAIN_STEPS ?? 300);
const CLIENTS = [0, 50, 200];
const noop: StepHandler = { kind: 'noop', run: async () => ({ kind: 'done' }) };
const step = (key: string, needs: string[]): PlannedStep => ({ key, kind: 'noop', name: key, needs, spec: {}, maxAttempts: 1 });

interface Client {
  bytes: number;
  changes: number;
  close(): void;
}

function follow(port: number): Promise<Client> {
  return new Promise((resolve, reject) => {
    const client: Client = { bytes: 0, changes: 0, close: () => req.destroy() };
    const req = request({ host: '127.0.0.1', port, path: '/api/v1/stream', headers: { accept: 'text/event-stream' } }, (res: IncomingMessage) => {
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        client.bytes += chunk.length;
        client.changes += chunk.split('"type":"step"').length - 1;
      });
      res.on('error', () => undefined);
      resolve(client);
    });
    req.on('error', (e) => (client.bytes === 0 ? reject(e) : undefined));
    req.end();
  });
}

async function measure(clients: number): Promise<{ msPerStep: number; changesPerClient: number; kbPerClient: number }> {
  const bus = new EngineBus();
  const store = await Store.open(sqliteDialect(':memory:'));
  // The stream route reads only the bus and the clock; the rest of the server is not needed to measure it.
  const app = Fastify({ logger: false });
  streamRoutes(app, { engine: { bus }, clock: systemClock } as unknown as ServerContext);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const port = (app.server.address() as { port: number }).port;
  const followers = await Promise.all(Array.from({ length: clients }, () => follow(port)));
  const executor = new Executor({ store, handlers: new Map([['noop', noop]]), bus, clock: systemClock, logger: pino({ level: 'silent' }), redactor: () => new Redactor([]), concurrency: 4, leaseMs: 15_000, pollMs: 250 });
  executor.start();
  try {
    const steps = Array.from({ length: STEPS }, (_, i) => step(`s${i}`, i === 0 ? [] : [`s${i - 1}`]));
    const start = performance.now();
    const run = await store.runs.create({ trigger: 'dispatch', branch: null, ref: 'bench', sha: '0'.repeat(40), baseSha: null, environment: null, author: null, triggeredBy: 'bench', commitMessage: null, configJson: null }, { steps, notes: [] }, Date.now());
    executor.wake();
    const done = await executor.waitForRun(run.id, 600_000);
    const msPerStep = (performance.now() - start) / STEPS;
    if (done.state !== 'succeeded') throw new Error(`run ${done.state}`);
    // Let the last batch (sent every 150 ms) arrive before counting.
    await new Promise((r) => setTimeout(r, 400));
    const changes = followers.reduce((n, f) => n + f.changes, 0) / Math.max(clients, 1);
    const kb = followers.reduce((n, f) => n + f.bytes, 0) / Math.max(clients, 1) / 1024;
    return { msPerStep, changesPerClient: changes, kbPerClient: kb };
  } finally {
    for (const f of followers) f.close();
    await executor.stop();
    await app.close();
    await store.close();
  }
}

console.log(`Gantry change-stream benchmark — ${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}`);
console.log(`command: npx tsx bench/stream.ts   (a chain of ${STEPS} no-op steps, SQLite in memory, clients on 127.0.0.1)\n`);
console.log('| clients following /api/v1/stream | engine overhead per step | step changes each client received | data per client |');
console.log('| --- | --- | --- | --- |');
const rows = [];
for (const clients of CLIENTS) rows.push({ clients, ...(await measure(clients)) });
for (const r of rows) console.log(`| ${r.clients} | ${r.msPerStep.toFixed(2)} ms | ${r.clients === 0 ? '-' : r.changesPerClient.toFixed(0)} | ${r.clients === 0 ? '-' : `${r.kbPerClient.toFixed(1)} KB`} |`);
const base = rows[0]?.msPerStep ?? 1;
const worst = rows.at(-1)?.msPerStep ?? base;
console.log(`\n200 watchers add ${(((worst - base) / base) * 100).toFixed(0)} % to the per-step overhead (${base.toFixed(2)} → ${worst.toFixed(2)} ms).`);
