/**
 * One "server" of bench/scale.ts, in a process of its own: its own store (its own pool), its own
 * executor at the server's default concurrency and lease, and on Postgres the change feed that wakes
 * it when another server changes something — the parts of `gantry server` that claim and run steps,
 * wired as src/server/gantry-server.ts wires them, without the HTTP API, git and targets.
 *
 * Started with fork(): argv[2] is the database (a SQLite file or a postgres:// URL), argv[3] its index.
 * Messages from the coordinator: 'wake' (runs were created), 'stats' (answers { executed, ticks, lostClaims, rssMb }),
 * 'stop'. It stops when the coordinator goes away too, so no worker outlives a failed bench.
 */
import { tmpdir } from 'node:os';
import { DEFAULT_CI_CONCURRENCY } from '../src/config/normalize.js';
import { EngineBus, type EngineEvent } from '../src/engine/events.js';
import { DEFAULT_LEASE_MS, DEFAULT_POLL_MS, Executor } from '../src/engine/executor.js';
import type { StepHandler } from '../src/engine/step-handler.js';
import { systemClock } from '../src/kernel/clock.js';
import { createLogger } from '../src/kernel/logger.js';
import { Redactor } from '../src/secrets/redactor.js';
import { ChangeFeed } from '../src/server/change-feed.js';
import { runCommand } from '../src/steps/command.js';
import { isPostgresUrl, postgresDialect } from '../src/store/postgres/postgres-dialect.js';
import { sqliteDialect } from '../src/store/sqlite/sqlite-dialect.js';
import { Store } from '../src/store/store.js';
import { WORK_COMMAND, WORK_KIND } from './scale-workload.js';

const database = process.argv[2];
const index = Number(process.argv[3] ?? 0);
if (!database || !process.send) throw new Error('scale-worker is started by bench/scale.ts (fork with a database argument)');
const send = process.send.bind(process);

let executed = 0;
// Warnings and errors to stderr (the coordinator's): a lost lease or a failed tick should be seen.
const logger = createLogger('warn');

/** Shaped like the gate step (src/steps/gate.ts) without the checkout: log the command, record its process, run it. */
const work: StepHandler = {
  kind: WORK_KIND,
  async run(ctx) {
    ctx.log.info(`$ ${WORK_COMMAND}`);
    const start = performance.now();
    // spawn() forks this process: the event loop waits for it, and the wait grows with the process's memory.
    let spawnMs = Number.NaN;
    const { exitCode } = await runCommand(WORK_COMMAND, {
      cwd: tmpdir(),
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
      signal: ctx.signal,
      onOutput: (s, c) => ctx.log.write(s, c),
      onSpawn: (pid) => {
        spawnMs = performance.now() - start;
        void ctx.trackProcess(pid);
      },
    }).finally(() => ctx.trackProcess(null));
    const commandMs = performance.now() - start;
    executed++;
    if (exitCode !== 0) throw new Error(`${WORK_COMMAND} exited with ${exitCode}`);
    return { kind: 'done', summary: { commandMs, spawnMs, server: index } };
  },
};

const store = await Store.open(isPostgresUrl(database) ? postgresDialect(database) : sqliteDialect(database));
// Counts the executor's passes over the store (each begins by listing the active runs), to show how
// often a server looks when other servers' changes wake it, and its claims another server won first.
// Instrumentation only: the calls go through unchanged.
let ticks = 0;
let lostClaims = 0;
const listActive = store.runs.listActive.bind(store.runs);
store.runs.listActive = () => {
  ticks++;
  return listActive();
};
const claim = store.steps.claim.bind(store.steps);
store.steps.claim = async (...args) => {
  const step = await claim(...args);
  if (!step) lostClaims++;
  return step;
};
const bus = new EngineBus();
const executor = new Executor({
  store,
  handlers: new Map([[WORK_KIND, work]]),
  bus,
  clock: systemClock,
  logger,
  redactor: () => new Redactor([]),
  concurrency: DEFAULT_CI_CONCURRENCY,
  leaseMs: DEFAULT_LEASE_MS,
  pollMs: DEFAULT_POLL_MS,
  owner: `bench-server-${index}`,
});
// As the server does: a change another server made (a step finished, a run created) wakes this executor.
const wakeOnRemote = (e: EngineEvent): void => {
  if (e.type !== 'log') executor.wake();
};
const feed = isPostgresUrl(database) ? new ChangeFeed(database, bus, logger, wakeOnRemote) : undefined;
await feed?.start();
executor.start();

let stopping: Promise<void> | undefined;
const stop = (): Promise<void> =>
  (stopping ??= (async () => {
    await executor.stop({ abort: true });
    await feed?.stop();
    await store.close();
  })());

process.on('message', (message: unknown) => {
  if (message === 'wake') executor.wake();
  else if (message === 'stats') {
    send({ type: 'stats', executed, ticks, lostClaims, rssMb: process.memoryUsage().rss / 1e6 });
  } else if (message === 'stop') void stop().then(() => process.exit(0), () => process.exit(1));
});
// The coordinator died or closed the channel: leave nothing behind.
process.on('disconnect', () => void stop().finally(() => process.exit(0)));
process.on('SIGTERM', () => void stop().finally(() => process.exit(0)));
send({ type: 'ready' });
