/**
 * A flood on a neighbouring route (issue 18, item 1): one proxy process with two routes, A and B,
 * under a file limit of BENCH_FLOOD_FILES (default 4096); BENCH_FLOOD_CONNECTIONS (default 5000,
 * more than the limit) idle connections are opened on A and held while wrk loads B with
 * `Connection: close` (every request a new connection, as clients that come and go). What counts:
 * B's requests that fail, and what A's flood connections got (held idle, refused with an answer,
 * reset, or left waiting in the kernel's backlog).
 * Rows: the Gantry router with its default limit, the same router with the limit out of the way
 * (the agent before the limit), HAProxy with its defaults, and HAProxy with `maxconn` on A's
 * frontend set to the Gantry default.
 * Reproduce with: npx tsx bench/route-flood.ts (haproxy rows skipped when it is not installed).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Router } from '../src/agent/router/index.js';
import { defaultConnectionLimit } from '../src/agent/router/open-file-budget.js';
import { DURATION, freePort, hasCommand, load, machine, startChild, stopProcess, waitForPort, type LoadResult } from './router.js';

const FILES = Number(process.env.BENCH_FLOOD_FILES ?? 4096);
const FLOOD = Number(process.env.BENCH_FLOOD_CONNECTIONS ?? 5000);
const LIMIT = defaultConnectionLimit(FILES, 2);
const SETTLE_MS = 5_000;
const THIS_FILE = fileURLToPath(import.meta.url);
const UNDER_LIMIT = (command: string, args: string[]): [string, string[]] => ['/bin/sh', ['-c', `ulimit -n ${FILES} && exec "$0" "$@"`, command, ...args]];

/** Router role: routes a and b in front of the two backends; `none` puts the limit out of reach. */
async function routerRole(limit: string, backendA: string, backendB: string): Promise<void> {
  const router = new Router(limit === 'none' ? { maxConnections: { a: 1e9, b: 1e9 } } : {});
  const ports = [await router.listen('a', 0), await router.listen('b', 0)];
  router.setBackends('a', [{ id: 'a', url: `http://127.0.0.1:${backendA}`, weight: 100 }]);
  router.setBackends('b', [{ id: 'b', url: `http://127.0.0.1:${backendB}`, weight: 100 }]);
  process.send?.({ ports });
}

interface FloodCounts {
  /** Connected, nothing heard within a second: held idle by the proxy, or parked in the kernel's backlog. */
  silent: number;
  /** Got an answer (the router's 503 ROUTE_BUSY). */
  answered: number;
  reset: number;
  /** Not even connected within a second (the backlog full). */
  unconnected: number;
}

/**
 * Opens `count` idle connections to `port`, 500 at a time (each batch given a second to connect),
 * holds them, and counts what became of each once things settled (SETTLE_MS after the last batch):
 * a loaded machine accepts late, so states are read at the end, not as each socket connects.
 */
async function flood(port: number, count: number): Promise<{ counts: FloodCounts; sockets: Socket[] }> {
  const states: Array<keyof FloodCounts> = [];
  const sockets: Socket[] = [];
  const one = (): Promise<void> =>
    new Promise((resolve) => {
      const i = states.push('unconnected') - 1;
      const socket = connect(port, '127.0.0.1');
      sockets.push(socket);
      setTimeout(resolve, 1_000);
      socket.once('connect', () => {
        if (states[i] === 'unconnected') states[i] = 'silent';
        resolve();
      });
      socket.once('data', () => (states[i] = 'answered'));
      socket.once('close', () => (states[i] = states[i] === 'answered' ? 'answered' : 'reset'));
      socket.on('error', () => undefined);
    });
  for (let sent = 0; sent < count; sent += 500) await Promise.all(Array.from({ length: Math.min(500, count - sent) }, one));
  await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
  const counts: FloodCounts = { silent: 0, answered: 0, reset: 0, unconnected: 0 };
  for (const state of states) counts[state]++;
  return { counts, sockets };
}

interface Proxy {
  readonly ports: [number, number];
  readonly proc: ChildProcess;
  stop(): Promise<void>;
}

async function gantry(limit: 'default' | 'none', backends: number[]): Promise<Proxy> {
  const [command, args] = UNDER_LIMIT(process.execPath, [...process.execArgv, THIS_FILE, 'router', limit, ...backends.map(String)]);
  const proc = spawn(command, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const { ports } = await new Promise<{ ports: [number, number] }>((resolve, reject) => {
    // tsx may use the IPC channel too: wait for the message with the ports.
    proc.on('message', (m: { ports?: [number, number] }) => m.ports && resolve({ ports: m.ports }));
    proc.once('exit', (code) => reject(new Error(`router exited ${code}`)));
  });
  return { ports, proc, stop: () => stopProcess(proc) };
}

async function haproxy(maxconnA: number | undefined, backends: number[]): Promise<Proxy> {
  const dir = await mkdtemp(join(tmpdir(), 'gantry-bench-flood-'));
  const ports: [number, number] = [await freePort(), await freePort()];
  const frontend = (name: string, port: number, backend: number, maxconn?: number): string[] => [
    `frontend f${name}`,
    `  bind 127.0.0.1:${port}`,
    ...(maxconn === undefined ? [] : [`  maxconn ${maxconn}`]),
    `  default_backend b${name}`,
    `backend b${name}`,
    `  server s${name} 127.0.0.1:${backend}`,
  ];
  const config = ['global', '  nbthread 1', 'defaults', '  mode http', '  timeout connect 5s', '  timeout client 60s', '  timeout server 60s', '  option http-keep-alive', ...frontend('a', ports[0], backends[0]!, maxconnA), ...frontend('b', ports[1], backends[1]!), ''].join('\n');
  await writeFile(join(dir, 'haproxy.cfg'), config);
  const [command, args] = UNDER_LIMIT('haproxy', ['-db', '-f', join(dir, 'haproxy.cfg')]);
  const proc = spawn(command, args, { stdio: ['ignore', 'ignore', 'inherit'] });
  await waitForPort(ports[1]);
  return { ports, proc, stop: async () => (await stopProcess(proc), await rm(dir, { recursive: true, force: true })) };
}

interface Row {
  readonly name: string;
  readonly flood: FloodCounts | undefined;
  readonly b: LoadResult;
}

async function measure(name: string, proxy: Proxy, withFlood: boolean): Promise<Row> {
  try {
    await load(`http://127.0.0.1:${proxy.ports[1]}/`, '2s', 20, ['Connection: close']); // warm-up
    const flooded = withFlood ? await flood(proxy.ports[0], FLOOD) : undefined;
    const b = await load(`http://127.0.0.1:${proxy.ports[1]}/`, DURATION, 20, ['Connection: close']);
    for (const socket of flooded?.sockets ?? []) socket.destroy();
    console.log(`  ${name}: B ${b.reqPerSec.toFixed(0)} req/s, ${b.non2xx} non-2xx, ${b.socketErrors} socket errors; flood ${JSON.stringify(flooded?.counts ?? null)}`);
    return { name, flood: flooded?.counts, b };
  } finally {
    await proxy.stop();
  }
}

async function main(): Promise<void> {
  console.log(`route flood bench: ${machine()}; proxy file limit ${FILES}, ${FLOOD} idle connections on A, wrk -c20 -H 'Connection: close' on B for ${DURATION}`);
  const { child: backend, hello } = await startChild<{ ports: number[] }>('backend', ['A', 'B']);
  const rows: Row[] = [];
  try {
    rows.push(await measure('Gantry router, no flood', await gantry('default', hello.ports), false));
    rows.push(await measure(`Gantry router, default limit (${LIMIT} per route)`, await gantry('default', hello.ports), true));
    rows.push(await measure('Gantry router, no limit (before)', await gantry('none', hello.ports), true));
    if (hasCommand('haproxy')) {
      rows.push(await measure('HAProxy, defaults', await haproxy(undefined, hello.ports), true));
      rows.push(await measure(`HAProxy, maxconn ${LIMIT} on A's frontend`, await haproxy(LIMIT, hello.ports), true));
    } else console.log('  HAProxy: not installed (apt-get install -y haproxy); skipped');
  } finally {
    await backend.stop();
  }
  console.log(`\n${new Date().toISOString().slice(0, 10)}, ${machine()}\n`);
  console.log('| proxy (file limit ' + FILES + ') | B: requests | B: failed (non-2xx + socket errors) | B: req/s | A flood: silent (held or in backlog) / answered 503 / reset / not connected |');
  console.log('| --- | --- | --- | --- | --- |');
  for (const r of rows) {
    const f = r.flood;
    console.log(`| ${r.name} | ${r.b.requests} | ${r.b.non2xx + r.b.socketErrors} (${r.b.socketErrorKinds}) | ${r.b.reqPerSec.toFixed(0)} | ${f ? `${f.silent} / ${f.answered} / ${f.reset} / ${f.unconnected}` : '-'} |`);
  }
  console.log('\nreproduce: npx tsx bench/route-flood.ts');
}

const role = process.argv[2];
if (role === 'router') await routerRole(process.argv[3] ?? 'default', process.argv[4] ?? '', process.argv[5] ?? '');
else if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
