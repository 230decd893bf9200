/**
 * What a restart of the data plane costs the traffic going through it (issue 17), in one run:
 * - a real `gantry agent` whose worker is killed with `kill -9` N times, then stopped with SIGTERM
 *   N times (the parent keeps the route and starts the next worker);
 * - HAProxy in master-worker mode (`haproxy -W -db`, seamless reload) reloaded with `kill -USR2`, with
 *   its default soft-stop and with `option idle-close-on-response`;
 * - the backend reached directly, with no restart: the floor.
 * All three serve the same revision process. Load: BENCH_CONNECTIONS (20) keep-alive connections
 * sending back to back (bench/restart-load.ts records every request); restarts spaced by
 * BENCH_SPACING_MS (1000) after the new process answers. Windows: from the signal to
 * BENCH_WINDOW_AFTER_MS (500) past the answer. Aim: 0 failed requests, p99 in windows ≤ 250 ms.
 * Reproduce with: npm run bench:agent-restart (builds dist/ first; needs haproxy for its row).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { figuresOf, type Figures, type Restart } from './restart-figures.js';
import { startGantryAgent, startHaproxyMasterWorker, type GantryAgent, type HaproxyMasterWorker } from './restart-contenders.js';
import { nowMs, startLoad, type RunningLoad } from './restart-load.js';
import { hasCommand, machine } from './router.js';

const RESTARTS = Number(process.env.BENCH_RESTARTS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 20);
const SPACING_MS = Number(process.env.BENCH_SPACING_MS ?? 1_000);
const AFTER_MS = Number(process.env.BENCH_WINDOW_AFTER_MS ?? 500);
const WARMUP_MS = 2_000;
/** The agent parent restarts a worker at once up to 20 times a minute, then with a pause: the bench stays within it. */
const IMMEDIATE_PER_MINUTE = 20;

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const signalsSent: number[] = [];

/** Waits until one more signal keeps the last minute within the parent's immediate restarts. */
async function withinRestartBudget(): Promise<void> {
  const recent = signalsSent.filter((at) => at > Date.now() - 60_000);
  if (recent.length >= IMMEDIATE_PER_MINUTE) await pause(recent[0]! + 60_500 - Date.now());
  signalsSent.push(Date.now());
}

interface Row {
  readonly name: string;
  /** The machine's 1-minute load average when the row started: it is shared. */
  readonly load: number;
  readonly restarts: number;
  readonly figures: Figures;
}

let load: RunningLoad | undefined;

/** Load on `url` for a warm-up, then `restart` N times (or `floorMs` with none), then the figures. */
async function measure(name: string, url: string, root: string, restart: (() => Promise<Restart>) | undefined, floorMs = 0): Promise<Row> {
  const machineLoad = loadavg()[0]!;
  console.log(`  ${name} …`);
  load = await startLoad(`${url}/`, CONNECTIONS, join(root, 'records.json'));
  await pause(WARMUP_MS);
  const from = nowMs();
  const restarts: Restart[] = [];
  if (restart) {
    for (let i = 0; i < RESTARTS; i++) {
      restarts.push(await restart());
      await pause(SPACING_MS);
    }
  } else {
    await pause(floorMs);
  }
  const to = nowMs();
  const records = await load.stop();
  load = undefined;
  return { name, load: machineLoad, restarts: restarts.length, figures: figuresOf(records, from, to, restarts, AFTER_MS) };
}

const ms = (n: number): string => (Number.isNaN(n) ? '-' : n >= 100 ? n.toFixed(0) : n.toFixed(1));

function table(rows: readonly Row[]): string {
  const lines = [
    '| path | load avg | restarts | requests | req/s | failed (non-2xx + errors) | errors | whole run p50 / p99 / max (ms) | in restart windows: requests, failed, p50 / p99 / max (ms) | worst window p99 (ms) | signal → answering, median / max (ms) |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const { name, load, restarts, figures: f } of rows) {
    const windows = restarts ? `${f.windows.count}, ${f.windows.failed}, ${ms(f.windows.p50)} / ${ms(f.windows.p99)} / ${ms(f.windows.max)}` : '-';
    const took = f.restartMs ? `${ms(f.restartMs.median)} / ${ms(f.restartMs.max)}` : '-';
    lines.push(`| ${name} | ${load.toFixed(1)} | ${restarts} | ${f.requests} | ${f.reqPerSec.toFixed(0)} | ${f.non2xx + f.errors} (${f.non2xx} + ${f.errors}) | ${f.errorKinds} | ${ms(f.whole.p50)} / ${ms(f.whole.p99)} / ${ms(f.whole.max)} | ${windows} | ${restarts ? ms(f.worstWindowP99) : '-'} | ${took} |`);
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'gantry-bench-agent-restart-'));
  const load1 = loadavg()[0]!.toFixed(1);
  console.log(`agent-restart bench: ${machine()}; ${CONNECTIONS} connections, ${RESTARTS} restarts each, spaced ${SPACING_MS} ms; load average ${load1}`);
  let agent: GantryAgent | undefined;
  let haproxy: HaproxyMasterWorker | undefined;
  let stopping: Promise<void> | undefined;
  // Once, whoever asks first (the end of the run or a signal); the other waits for the same.
  const stopAll = (): Promise<void> =>
    (stopping ??= (async () => {
      load?.kill();
      await haproxy?.stop();
      await agent?.stop();
      await rm(root, { recursive: true, force: true });
    })());
  // Ctrl-C stops everything the bench started before it exits. `on`, not `once`: under tsx the
  // signal arrives twice (from the terminal's process group and relayed by tsx), and a second one
  // with no handler would end the bench before it stopped the agent and its revision.
  const interrupted = (): void => void stopAll().finally(() => process.exit(130));
  process.on('SIGINT', interrupted).on('SIGTERM', interrupted);
  try {
    agent = await startGantryAgent(join(root, 'agent'));
    const gantry = agent;
    const rows: Row[] = [];
    const kill = (signal: 'SIGKILL' | 'SIGTERM') => async (): Promise<Restart> => {
      await withinRestartBudget();
      return gantry.restart(signal);
    };
    const restMs = RESTARTS * SPACING_MS;
    rows.push(await measure('Gantry agent route, no restart (its own floor)', gantry.routeUrl, root, undefined, restMs));
    rows.push(await measure('Gantry agent, kill -9 of the worker', gantry.routeUrl, root, kill('SIGKILL')));
    rows.push(await measure('Gantry agent, SIGTERM to the worker (graceful)', gantry.routeUrl, root, kill('SIGTERM')));
    if (hasCommand('haproxy')) {
      for (const idleCloseOnResponse of [false, true]) {
        haproxy = await startHaproxyMasterWorker(join(root, 'agent'), gantry.backendPort, idleCloseOnResponse);
        const variant = idleCloseOnResponse ? 'option idle-close-on-response' : 'default soft-stop';
        if (!idleCloseOnResponse) rows.push(await measure(`HAProxy ${haproxy.version} master-worker, no reload (its own floor)`, haproxy.url, root, undefined, restMs));
        rows.push(await measure(`HAProxy ${haproxy.version} master-worker, kill -USR2 (${variant})`, haproxy.url, root, haproxy.restart));
        await haproxy.stop();
        haproxy = undefined;
      }
    } else {
      console.log('  HAProxy is not installed (apt-get install -y haproxy): its rows are skipped');
    }
    rows.push(await measure('direct to the backend (floor, no restart)', `http://127.0.0.1:${gantry.backendPort}`, root, undefined, restMs));
    console.log(`\n${new Date().toISOString().slice(0, 10)}, ${machine()}; load average ${load1} → ${loadavg()[0]!.toFixed(1)}\n`);
    console.log(table(rows));
    for (const row of rows.filter((r) => r.name.startsWith('Gantry') && r.restarts > 0)) {
      const f = row.figures;
      const met = f.non2xx + f.errors === 0 && f.windows.p99 <= 250;
      console.log(`aim (0 failed, p99 in restart windows ≤ 250 ms), ${row.name}: ${met ? 'met' : 'NOT met'} (${f.non2xx + f.errors} failed, p99 ${ms(f.windows.p99)} ms, worst window ${ms(f.worstWindowP99)} ms)`);
    }
  } finally {
    process.off('SIGINT', interrupted).off('SIGTERM', interrupted);
    await stopAll();
  }
}

await main();
