/**
 * What the router's passive health costs on the hot path. A route with one backend tracks nothing
 * (no other backend to eject to or retry on); a route with two weighted backends registers every
 * request as waiting for its first byte, notes each answer's time and runs a sweep timer. The same
 * router process serves both routes; the backends are the same two node:http listeners (one
 * process), so the difference between the rows is the tracking alone.
 * Reproduce with: npx tsx bench/passive-health.ts (wrk when installed, else autocannon;
 * BENCH_DURATION, BENCH_CONNECTIONS, BENCH_ROUNDS as in bench/router.ts).
 */
import { CONNECTIONS, DURATION, cpuMicros, load, machine, startChild, type LoadResult } from './router.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const WARMUP = process.env.BENCH_WARMUP ?? '3s';

interface Row {
  readonly name: string;
  readonly url: string;
}

interface Sample {
  readonly result: LoadResult;
  readonly cpuMicrosPerRequest: number;
}

async function main(): Promise<void> {
  console.log(`passive-health bench: ${machine()}; ${CONNECTIONS} connections, ${DURATION}, ${ROUNDS} rounds`);
  const { child: backend, hello } = await startChild<{ ports: number[] }>('backend', ['A', 'B']);
  const [portA, portB] = hello.ports;
  // Two router processes, so each row's CPU is read from its own process.
  const one = await startChild<{ port: number }>('router');
  const two = await startChild<{ port: number }>('router');
  try {
    await one.child.ask({ backends: [{ id: 'A', url: `http://127.0.0.1:${portA}`, weight: 100 }] }, 'switched');
    await two.child.ask({ backends: [{ id: 'A', url: `http://127.0.0.1:${portA}`, weight: 50 }, { id: 'B', url: `http://127.0.0.1:${portB}`, weight: 50 }] }, 'switched');
    const rows: Array<Row & { pid: number }> = [
      { name: 'one backend (nothing tracked)', url: `http://127.0.0.1:${one.hello.port}/`, pid: one.child.proc.pid! },
      { name: 'two backends (passive health on)', url: `http://127.0.0.1:${two.hello.port}/`, pid: two.child.proc.pid! },
    ];
    const samples = new Map<string, Sample[]>();
    for (let round = 1; round <= ROUNDS; round++) {
      for (const row of rows) {
        await load(row.url, WARMUP);
        const before = cpuMicros(row.pid);
        const result = await load(row.url);
        const sample = { result, cpuMicrosPerRequest: (cpuMicros(row.pid) - before) / Math.max(1, result.requests) };
        console.log(`  round ${round}, ${row.name}: ${result.reqPerSec.toFixed(0)} req/s, ${sample.cpuMicrosPerRequest.toFixed(1)} µs CPU per request`);
        samples.set(row.name, [...(samples.get(row.name) ?? []), sample]);
      }
    }
    console.log(`\n${new Date().toISOString().slice(0, 10)}, ${machine()}; median of ${ROUNDS} interleaved runs\n`);
    console.log('| route | req/s | p99 | router CPU per request | non-2xx / socket errors |');
    console.log('| --- | --- | --- | --- | --- |');
    for (const [name, list] of samples) {
      const m = [...list].sort((a, b) => a.result.reqPerSec - b.result.reqPerSec)[Math.floor(list.length / 2)]!;
      console.log(`| ${name} | ${m.result.reqPerSec.toFixed(0)} | ${m.result.p99Ms.toFixed(2)} ms | ${m.cpuMicrosPerRequest.toFixed(1)} µs | ${m.result.non2xx} / ${m.result.socketErrors} |`);
    }
  } finally {
    await Promise.all([one.child.stop(), two.child.stop(), backend.stop()]);
  }
}

await main();
