/**
 * Router throughput and cost: the same small backend (node:http answering a fixed ~100-byte body)
 * measured directly, through the Gantry router, and through HAProxy, with the same load generator.
 * Reproduce with: npx tsx bench/router.ts
 *
 * One more row, a bare node:http + undici proxy with none of the router's work, shows the floor of
 * the stack the router is built on. The backend and every proxy run in their own process, so the
 * CPU time each proxy spends is read from /proc/<pid>/stat (utime + stime) around the measured run.
 * The load generator is `wrk` when installed (`apt-get install -y wrk haproxy nginx`), else autocannon.
 * Each path is measured BENCH_ROUNDS times (default 3), interleaved, and reported by its median run,
 * because the machine is shared and a burst of other work would otherwise land on one path only.
 * Knobs: BENCH_DURATION (default 10s), BENCH_CONNECTIONS (default 50), BENCH_WARMUP (default 3s).
 *
 * This file also exports the helpers bench/switch.ts uses (child roles, load runs, HAProxy);
 * the measurement only runs when the file is the entry point.
 */
import { execFileSync, fork, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import autocannon from 'autocannon';
import { Pool, type Dispatcher } from 'undici';
import { Router, type Backend } from '../src/agent/router/index.js';

export const DURATION = process.env.BENCH_DURATION ?? '10s';
export const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const WARMUP = process.env.BENCH_WARMUP ?? '3s';
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const GANTRY = 'Gantry router';
const THIS_FILE = fileURLToPath(import.meta.url);

// ---------------------------------------------------------------- child roles

/** ~100 bytes, like a small JSON API answer. */
export function bodyFor(name: string): Buffer {
  const head = `{"service":"bench","backend":"${name}","ok":true,"pad":"`;
  return Buffer.from(`${head}${'x'.repeat(Math.max(0, 97 - head.length))}"}\n`);
}

/** Backend process: one node:http listener per name; tells the parent its ports, counts what it served. */
async function backendRole(names: string[]): Promise<void> {
  const served = new Map<string, number>(names.map((n) => [n, 0]));
  const ports: number[] = [];
  for (const name of names) {
    const body = bodyFor(name);
    const server = createServer((_req: IncomingMessage, res: ServerResponse) => {
      served.set(name, (served.get(name) ?? 0) + 1);
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
      res.end(body);
    });
    server.keepAliveTimeout = 60_000;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    ports.push((server.address() as AddressInfo).port);
  }
  process.on('message', (message: { served?: 'read' | 'reset' }) => {
    if (message.served === undefined) return;
    process.send?.({ served: Object.fromEntries(served) });
    if (message.served === 'reset') for (const n of names) served.set(n, 0);
  });
  process.send?.({ ports });
}

/** Gantry router process: one route on a free port; backends set by message (an in-process call). */
async function routerRole(): Promise<void> {
  const router = new Router();
  const port = await router.listen('bench', 0);
  process.on('message', (message: { backends?: Backend[] }) => {
    if (message.backends === undefined) return;
    router.setBackends('bench', message.backends);
    process.send?.({ switched: true });
  });
  process.send?.({ port });
}

/**
 * The floor of the stack the router is built on: node:http in front, one undici Pool behind, the
 * response copied through with no header rewriting, no counters, no switching. What the router
 * costs above this row is its own work; what this row costs above HAProxy is the stack's.
 */
async function bareRole(backendPort: number): Promise<void> {
  const pool = new Pool(`http://127.0.0.1:${backendPort}`, { connections: 256 });
  class Relay implements Dispatcher.DispatchHandler {
    constructor(private readonly res: ServerResponse) {}
    onConnect(): void {}
    onHeaders(status: number, raw: Buffer[]): boolean {
      const headers: string[] = [];
      for (let i = 0; i < raw.length; i += 2) {
        const name = raw[i]!.toString('latin1');
        if (name.length !== 10) headers.push(name, raw[i + 1]!.toString('latin1')); // connection, keep-alive
      }
      this.res.writeHead(status, headers);
      return true;
    }
    onData(chunk: Buffer): boolean {
      return this.res.write(chunk);
    }
    onComplete(): void {
      this.res.end();
    }
    onError(): void {
      if (!this.res.headersSent) this.res.writeHead(502);
      this.res.end();
    }
  }
  const server = createServer((req, res) => {
    pool.dispatch({ path: req.url ?? '/', method: 'GET', headers: req.rawHeaders, body: null }, new Relay(res));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  process.send?.({ port: (server.address() as AddressInfo).port });
}

// ---------------------------------------------------------------- orchestration helpers

export interface Child {
  readonly proc: ChildProcess;
  /** Sends a message and resolves with the next message that has `key`. */
  ask<T>(message: object, key: string): Promise<T>;
  stop(): Promise<void>;
}

/** Forks this file in a role (with the same tsx loader) and waits for its first message. */
export async function startChild<T>(role: string, args: string[] = []): Promise<{ child: Child; hello: T }> {
  const proc = fork(THIS_FILE, [role, ...args], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const next = <R>(key: string): Promise<R> =>
    new Promise<R>((resolve, reject) => {
      const onMessage = (m: Record<string, unknown>): void => {
        if (!(key in m)) return;
        proc.off('message', onMessage);
        proc.off('exit', onExit);
        resolve(m as R);
      };
      const onExit = (code: number | null): void => reject(new Error(`${role} child exited (${code}) before answering`));
      proc.on('message', onMessage);
      proc.once('exit', onExit);
    });
  const helloKey = role === 'backend' ? 'ports' : 'port';
  const hello = await next<T>(helloKey);
  const child: Child = {
    proc,
    ask: <R>(message: object, key: string) => {
      const answer = next<R>(key);
      proc.send(message);
      return answer;
    },
    stop: () => stopProcess(proc),
  };
  return { child, hello };
}

export async function stopProcess(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  proc.kill('SIGTERM');
  const timer = setTimeout(() => proc.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;

/** CPU time (user + system) a process has used so far, in microseconds. */
export function cpuMicros(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  // Fields after the command name, which sits in parentheses and may contain spaces.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return ((utime + stime) / CLOCK_TICKS) * 1e6;
}

export function hasCommand(name: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export async function freePort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export async function waitForPort(port: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/`);
      await res.arrayBuffer();
      return;
    } catch (error: unknown) {
      if (Date.now() > deadline) throw new Error(`nothing answered on 127.0.0.1:${port}`, { cause: error });
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

export interface LoadResult {
  readonly tool: 'wrk' | 'autocannon';
  readonly command: string;
  readonly requests: number;
  readonly reqPerSec: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly non2xx: number;
  readonly socketErrors: number;
  /** wrk's split of the socket errors (connect, read, write, timeout), or autocannon's (errors, timeouts). */
  readonly socketErrorKinds: string;
}

const WRK = hasCommand('wrk');

function seconds(duration: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(duration);
  if (!m) throw new Error(`bad duration ${duration}`);
  const n = Number(m[1]);
  return m[2] === 'ms' ? n / 1000 : m[2] === 'm' ? n * 60 : n;
}

function wrkMillis(text: string | undefined): number {
  const m = /^([\d.]+)(us|ms|s)$/.exec(text ?? '');
  if (!m) return Number.NaN;
  const n = Number(m[1]);
  return m[2] === 'us' ? n / 1000 : m[2] === 's' ? n * 1000 : n;
}

/**
 * One bounded load run against a loopback URL; wrk when installed, autocannon otherwise. `headers`
 * ("Name: value") go with every request (`Connection: close` makes each request a new connection).
 */
export async function load(url: string, duration: string = DURATION, connections: number = CONNECTIONS, headers: readonly string[] = []): Promise<LoadResult> {
  if (!url.startsWith('http://127.0.0.1:')) throw new Error(`refusing to load anything but loopback: ${url}`);
  if (WRK) {
    const args = [`-c${connections}`, `-d${duration}`, '--latency', ...headers.flatMap((h) => ['-H', h]), url];
    const out = await new Promise<string>((resolve, reject) => {
      const proc = spawn('wrk', args, { stdio: ['ignore', 'pipe', 'inherit'] });
      let text = '';
      proc.stdout.on('data', (chunk: Buffer) => (text += chunk.toString()));
      proc.on('error', reject);
      proc.on('exit', (code) => (code === 0 ? resolve(text) : reject(new Error(`wrk exited ${code}: ${text}`))));
    });
    const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
    return {
      tool: 'wrk',
      command: `wrk ${args.join(' ')}`,
      requests: Number(/(\d+) requests in/.exec(out)?.[1] ?? 0),
      reqPerSec: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? 0),
      p50Ms: wrkMillis(/\s50%\s+(\S+)/.exec(out)?.[1]),
      p99Ms: wrkMillis(/\s99%\s+(\S+)/.exec(out)?.[1]),
      non2xx: Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0),
      socketErrors: socket ? socket.slice(1).reduce((a, b) => a + Number(b), 0) : 0,
      socketErrorKinds: socket ? `connect ${socket[1]}, read ${socket[2]}, write ${socket[3]}, timeout ${socket[4]}` : 'none',
    };
  }
  const headerMap = Object.fromEntries(headers.map((h) => [h.slice(0, h.indexOf(':')).trim(), h.slice(h.indexOf(':') + 1).trim()]));
  const result = await autocannon({ url, connections, duration: seconds(duration), headers: headerMap });
  return {
    tool: 'autocannon',
    command: `npx autocannon -c ${connections} -d ${seconds(duration)} ${url}`,
    requests: result.requests.total,
    reqPerSec: result.requests.average,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    non2xx: result.non2xx,
    socketErrors: result.errors + result.timeouts,
    socketErrorKinds: `errors ${result.errors}, timeouts ${result.timeouts}`,
  };
}

export interface Haproxy {
  readonly proc: ChildProcess;
  readonly port: number;
  /** The runtime API (stats socket, admin level). */
  readonly socket: string;
  stop(): Promise<void>;
}

/**
 * HAProxy in the foreground with a throw-away config on loopback. `servers` are name → port;
 * a weight of 0 declares a server that gets no traffic until the runtime API raises it.
 */
export async function startHaproxy(servers: ReadonlyArray<{ name: string; port: number; weight: number }>, threads: number): Promise<Haproxy> {
  const dir = await mkdtemp(join(tmpdir(), 'gantry-bench-haproxy-'));
  const port = await freePort();
  const socket = join(dir, 'admin.sock');
  const config = [
    'global',
    '  maxconn 4000',
    `  nbthread ${threads}`,
    `  stats socket ${socket} mode 600 level admin`,
    'defaults',
    '  mode http',
    '  timeout connect 5s',
    '  timeout client 60s',
    '  timeout server 60s',
    '  option http-keep-alive',
    // The Gantry router adds X-Forwarded-For too: same work on both sides.
    '  option forwardfor',
    'frontend fe',
    `  bind 127.0.0.1:${port}`,
    '  default_backend be',
    'backend be',
    '  balance roundrobin',
    ...servers.map((s) => `  server ${s.name} 127.0.0.1:${s.port} weight ${s.weight}`),
    '',
  ].join('\n');
  const file = join(dir, 'haproxy.cfg');
  await writeFile(file, config);
  const proc = spawn('haproxy', ['-db', '-f', file], { stdio: ['ignore', 'ignore', 'inherit'] });
  await waitForPort(port);
  return {
    proc,
    port,
    socket,
    stop: async () => {
      await stopProcess(proc);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export function machine(): string {
  const model = cpus()[0]?.model.trim() ?? 'unknown CPU';
  return `Node ${process.version}, ${cpus().length} × ${model} (nproc ${execFileSync('nproc').toString().trim()}), Linux`;
}

// ---------------------------------------------------------------- the measurement

interface Sample {
  readonly result: LoadResult;
  readonly proxyCpuMicrosPerRequest: number | undefined;
  readonly backendCpuMicrosPerRequest: number;
}

/** A path to measure: its URL and the process whose CPU counts as the proxy's (none for direct). */
interface Path {
  readonly name: string;
  readonly url: string;
  readonly proxyPid: number | undefined;
}

async function sample(path: Path, backendPid: number): Promise<Sample> {
  await load(path.url, WARMUP); // JIT, connection pools, caches
  const proxyBefore = path.proxyPid === undefined ? 0 : cpuMicros(path.proxyPid);
  const backendBefore = cpuMicros(backendPid);
  const result = await load(path.url);
  const perRequest = (before: number, pid: number): number => (cpuMicros(pid) - before) / Math.max(1, result.requests);
  console.log(`  ${path.name}: ${result.reqPerSec.toFixed(0)} req/s  (${result.command})`);
  return {
    result,
    proxyCpuMicrosPerRequest: path.proxyPid === undefined ? undefined : perRequest(proxyBefore, path.proxyPid),
    backendCpuMicrosPerRequest: perRequest(backendBefore, backendPid),
  };
}

/** The sample with the median req/s: one real run, not a blend of several. */
function median(samples: Sample[]): Sample {
  return [...samples].sort((a, b) => a.result.reqPerSec - b.result.reqPerSec)[Math.floor(samples.length / 2)]!;
}

async function main(): Promise<void> {
  console.log(`router bench: ${machine()}; ${WRK ? 'wrk' : 'autocannon (install wrk for the reference figures)'}, ${CONNECTIONS} connections, ${DURATION}, ${ROUNDS} rounds`);
  const stops: Array<() => Promise<void>> = [];
  const samples = new Map<string, Sample[]>();
  try {
    const { child: backend, hello } = await startChild<{ ports: number[] }>('backend', ['A']);
    stops.push(() => backend.stop());
    const backendPort = hello.ports[0]!;
    const backendPid = backend.proc.pid!;
    const paths: Path[] = [{ name: 'direct (no proxy)', url: `http://127.0.0.1:${backendPort}/`, proxyPid: undefined }];

    const { child: router, hello: routerHello } = await startChild<{ port: number }>('router');
    stops.push(() => router.stop());
    await router.ask({ backends: [{ id: 'A', url: `http://127.0.0.1:${backendPort}`, weight: 100 }] }, 'switched');
    paths.push({ name: GANTRY, url: `http://127.0.0.1:${routerHello.port}/`, proxyPid: router.proc.pid });

    const { child: bare, hello: bareHello } = await startChild<{ port: number }>('bare', [String(backendPort)]);
    stops.push(() => bare.stop());
    paths.push({ name: 'bare node:http + undici Pool (floor)', url: `http://127.0.0.1:${bareHello.port}/`, proxyPid: bare.proc.pid });

    if (hasCommand('haproxy')) {
      for (const threads of [1, cpus().length]) {
        const haproxy = await startHaproxy([{ name: 'a', port: backendPort, weight: 100 }], threads);
        stops.push(() => haproxy.stop());
        paths.push({ name: `HAProxy (nbthread ${threads})`, url: `http://127.0.0.1:${haproxy.port}/`, proxyPid: haproxy.proc.pid });
      }
    } else {
      console.log('  HAProxy: not installed (apt-get install -y haproxy); skipped');
    }

    // Rounds interleave the paths, so a burst of other work on the machine hits all of them alike.
    for (let round = 1; round <= ROUNDS; round++) {
      console.log(`round ${round}/${ROUNDS}`);
      for (const path of paths) {
        const list = samples.get(path.name) ?? [];
        list.push(await sample(path, backendPid));
        samples.set(path.name, list);
      }
    }
  } finally {
    for (const stop of stops.reverse()) await stop();
  }

  const fmt = (n: number | undefined, digits = 1): string => (n === undefined || Number.isNaN(n) ? '-' : n.toFixed(digits));
  const rows = [...samples.entries()].map(([name, list]) => ({ name, ...median(list) }));
  const gantry = rows.find((r) => r.name === GANTRY);
  console.log(`\n${new Date().toISOString().slice(0, 10)}, ${machine()}`);
  console.log(`each row: the median of ${ROUNDS} interleaved runs of ${rows[0]?.result.command.replace(/http:\S+/, '<url>') ?? ''}\n`);
  console.log('| path | req/s | p50 | p99 | proxy CPU per request | backend CPU per request | non-2xx / socket errors |');
  console.log('| --- | --- | --- | --- | --- | --- | --- |');
  for (const r of rows) {
    const share = gantry && r !== gantry && r.proxyCpuMicrosPerRequest !== undefined ? ` (Gantry at ${((gantry.result.reqPerSec / r.result.reqPerSec) * 100).toFixed(0)} %)` : '';
    console.log(
      `| ${r.name} | ${r.result.reqPerSec.toFixed(0)}${share} | ${fmt(r.result.p50Ms, 2)} ms | ${fmt(r.result.p99Ms, 2)} ms | ${r.proxyCpuMicrosPerRequest === undefined ? '-' : `${fmt(r.proxyCpuMicrosPerRequest)} µs`} | ${fmt(r.backendCpuMicrosPerRequest)} µs | ${r.result.non2xx} / ${r.result.socketErrors} |`,
    );
  }
  console.log('\nreproduce: npx tsx bench/router.ts');
}

const role = process.argv[2];
if (role === 'backend') await backendRole(process.argv.slice(3));
else if (role === 'router') await routerRole();
else if (role === 'bare') await bareRole(Number(process.argv[3]));
else if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
