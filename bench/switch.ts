/**
 * Failed requests while traffic is switched 20 times between two backends under load:
 * the Gantry router (`setBackends` inside the router process, sent over IPC), HAProxy's runtime API
 * (server weights over the admin socket) and nginx (upstream file rewritten, `nginx -s reload`).
 * Reproduce with: npx tsx bench/switch.ts
 *
 * One backend process serves A and B on two ports and counts what each served, so the run also
 * shows that the switches took effect. Failures are what the load generator saw: non-2xx answers
 * and socket errors (connect, read, write, timeout). Needs wrk for socket errors per kind
 * (autocannon is the fallback); HAProxy and nginx rows are skipped when they are not installed.
 * Knobs: BENCH_SWITCH_DURATION (default 12s), BENCH_SWITCHES (default 20), BENCH_CONNECTIONS (50).
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  CONNECTIONS,
  freePort,
  hasCommand,
  load,
  machine,
  startChild,
  startHaproxy,
  stopProcess,
  waitForPort,
  type Child,
  type LoadResult,
} from './router.js';

const DURATION_S = Number((process.env.BENCH_SWITCH_DURATION ?? '12s').replace(/s$/, ''));
const SWITCHES = Number(process.env.BENCH_SWITCHES ?? 20);
const run = promisify(execFile);

/** A proxy under test: its listening port, how to move all traffic to A or B, and how to stop it. */
interface Contender {
  readonly name: string;
  readonly port: number;
  switchTo(to: 'A' | 'B'): Promise<void>;
  stop(): Promise<void>;
}

interface Row {
  readonly name: string;
  readonly result: LoadResult;
  readonly served: Record<string, number>;
  readonly switchMs: number;
}

async function gantry(ports: { A: number; B: number }): Promise<Contender> {
  const { child, hello } = await startChild<{ port: number }>('router');
  const switchTo = async (to: 'A' | 'B'): Promise<void> => {
    // The whole set is replaced: the other backend leaves the route and its pool drains.
    await child.ask({ backends: [{ id: to, url: `http://127.0.0.1:${ports[to]}`, weight: 100 }] }, 'switched');
  };
  await switchTo('A');
  return { name: 'Gantry router (setBackends)', port: hello.port, switchTo, stop: () => child.stop() };
}

/** One command line over HAProxy's admin socket; resolves with its answer. */
function haproxyCommand(socket: string, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const conn = connect(socket);
    let answer = '';
    conn.on('data', (data: Buffer) => (answer += data.toString()));
    conn.on('error', reject);
    conn.on('close', () => resolve(answer));
    conn.end(`${command}\n`);
  });
}

async function haproxy(ports: { A: number; B: number }): Promise<Contender> {
  const h = await startHaproxy(
    [
      { name: 'A', port: ports.A, weight: 100 },
      { name: 'B', port: ports.B, weight: 0 },
    ],
    1,
  );
  return {
    name: 'HAProxy 2.6 (runtime API: set weight)',
    port: h.port,
    switchTo: async (to) => {
      const from = to === 'A' ? 'B' : 'A';
      const answer = await haproxyCommand(h.socket, `set weight be/${to} 100; set weight be/${from} 0`);
      if (answer.trim() !== '') throw new Error(`haproxy refused the switch: ${answer}`);
    },
    stop: () => h.stop(),
  };
}

async function nginx(ports: { A: number; B: number }): Promise<Contender> {
  const dir = await mkdtemp(join(tmpdir(), 'gantry-bench-nginx-'));
  const port = await freePort();
  const upstream = join(dir, 'upstream.conf');
  const conf = join(dir, 'nginx.conf');
  const errorLog = join(dir, 'error.log');
  const writeUpstream = (to: 'A' | 'B'): Promise<void> => writeFile(upstream, `server 127.0.0.1:${ports[to]};\n`);
  await writeUpstream('A');
  await writeFile(
    conf,
    [
      'worker_processes 1;',
      'daemon off;',
      `pid ${join(dir, 'nginx.pid')};`,
      `error_log ${errorLog} warn;`,
      'events { worker_connections 4096; }',
      'http {',
      '  access_log off;',
      ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `  ${t}_temp_path ${join(dir, t)};`),
      `  upstream be { include ${upstream}; keepalive 64; }`,
      '  server {',
      `    listen 127.0.0.1:${port};`,
      '    location / { proxy_pass http://be; proxy_http_version 1.1; proxy_set_header Connection ""; }',
      '  }',
      '}',
      '',
    ].join('\n'),
  );
  const args = ['-p', dir, '-c', conf, '-e', errorLog];
  const proc = spawn('nginx', args, { stdio: ['ignore', 'ignore', 'inherit'] });
  await waitForPort(port);
  return {
    name: 'nginx 1.22 (rewrite upstream, nginx -s reload)',
    port,
    switchTo: async (to) => {
      await writeUpstream(to);
      await run('nginx', [...args, '-s', 'reload']);
    },
    stop: async () => {
      await stopProcess(proc);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function measure(contender: Contender, backend: Child): Promise<Row> {
  await load(`http://127.0.0.1:${contender.port}/`, '2s'); // warm up on A
  await backend.ask({ served: 'reset' }, 'served');
  const loadRun = load(`http://127.0.0.1:${contender.port}/`, `${DURATION_S}s`);
  // Pace: one second of steady load, the switches spread over the middle, a second of steady load after.
  const gapMs = ((DURATION_S - 2) * 1000) / SWITCHES;
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const switchTimes: number[] = [];
  for (let i = 1; i <= SWITCHES; i++) {
    const started = performance.now();
    await contender.switchTo(i % 2 === 1 ? 'B' : 'A');
    const took = performance.now() - started;
    switchTimes.push(took);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, gapMs - took)));
  }
  const result = await loadRun;
  const { served } = await backend.ask<{ served: Record<string, number> }>({ served: 'read' }, 'served');
  switchTimes.sort((a, b) => a - b);
  const row = { name: contender.name, result, served, switchMs: switchTimes[Math.floor(switchTimes.length / 2)]! };
  console.log(`  ${row.name}: ${result.non2xx} non-2xx, ${result.socketErrors} socket errors (${result.socketErrorKinds}) of ${result.requests} (${result.command})`);
  return row;
}

async function main(): Promise<void> {
  console.log(`switch bench: ${machine()}; ${SWITCHES} switches in ${DURATION_S}s, ${CONNECTIONS} connections`);
  const { child: backend, hello } = await startChild<{ ports: number[] }>('backend', ['A', 'B']);
  const ports = { A: hello.ports[0]!, B: hello.ports[1]! };
  const rows: Row[] = [];
  const contenders: Array<[string, (p: typeof ports) => Promise<Contender>]> = [
    ['node', gantry],
    ['haproxy', haproxy],
    ['nginx', nginx],
  ];
  try {
    for (const [command, start] of contenders) {
      if (!hasCommand(command)) {
        console.log(`  ${command}: not installed (apt-get install -y ${command}); skipped`);
        continue;
      }
      const contender = await start(ports);
      try {
        rows.push(await measure(contender, backend));
      } finally {
        await contender.stop();
      }
    }
  } finally {
    await backend.stop();
  }

  console.log(`\n${new Date().toISOString().slice(0, 10)}, ${machine()}`);
  console.log(`load per row: ${rows[0]?.result.command.replace(/http:\S+/, '<url>') ?? ''}; ${SWITCHES} switches A↔B\n`);
  console.log('| proxy | requests | non-2xx | socket errors | served by A / B | switch command (median) |');
  console.log('| --- | --- | --- | --- | --- | --- |');
  for (const r of rows) {
    const kinds = r.result.socketErrors > 0 ? ` (${r.result.socketErrorKinds})` : '';
    console.log(`| ${r.name} | ${r.result.requests} | ${r.result.non2xx} | ${r.result.socketErrors}${kinds} | ${r.served.A ?? 0} / ${r.served.B ?? 0} | ${r.switchMs.toFixed(1)} ms |`);
  }
  console.log('\nreproduce: npx tsx bench/switch.ts');
}

await main();
