/**
 * `npx tsx bench/containment.ts`: what finding a revision's descendants costs the agent, per look,
 * with each way of holding them (src/agent/supervisor/containment.ts). A stop looks every 50 ms
 * during its grace period, and every spawn looks once first.
 *
 * - cgroup: one read of the process's cgroup.procs (plus a /proc stat read per member).
 * - marker: a scan of /proc/<pid>/environ of every process on the machine; it grows with them.
 *
 * Knob: BENCH_LOOKS (default 50). The cgroup figure is skipped where no writable cgroup v2 exists.
 */
import { spawn } from 'node:child_process';
import { CgroupContainment, cgroupBase } from '../src/agent/supervisor/cgroup-containment.js';
import type { Containment } from '../src/agent/supervisor/containment.js';
import { MarkerContainment } from '../src/agent/supervisor/marker-containment.js';
import { allPids } from '../src/agent/supervisor/proc-scan.js';

const LOOKS = Number(process.env.BENCH_LOOKS ?? 50);

/** Starts `sleep` with one escaped grandchild inside the containment, times `members()`, then kills them. */
async function measure(containment: Containment): Promise<{ ms: number; found: number }> {
  const wrapped = containment.wrap('setsid sleep 30 & sleep 30');
  spawn(wrapped.file, [...wrapped.args], { env: { ...process.env, ...wrapped.env }, detached: true, stdio: 'ignore' }).unref();
  let found = 0;
  for (let i = 0; i < 100 && found < 2; i++) {
    found = (await containment.members()).length;
    if (found < 2) await new Promise((r) => setTimeout(r, 20));
  }
  const started = performance.now();
  for (let i = 0; i < LOOKS; i++) await containment.members();
  const ms = (performance.now() - started) / LOOKS;
  await containment.kill(5_000);
  await containment.release();
  return { ms, found };
}

const processes = (await allPids()).length;
const rows: string[] = [];
const base = await cgroupBase(`bench-${process.pid}`);
if (base) {
  const r = await measure(new CgroupContainment(base, 'bench'));
  rows.push(`| cgroup | ${r.ms.toFixed(3)} ms | ${r.found} |`);
} else rows.push('| cgroup | (no writable cgroup v2 here) | - |');
const m = await measure(new MarkerContainment(`bench-${process.pid}:x`));
rows.push(`| marker (/proc scan) | ${m.ms.toFixed(3)} ms | ${m.found} |`);
process.stdout.write(`npx tsx bench/containment.ts — ${processes} processes on the machine, ${LOOKS} looks each\n\n| containment | per look | members found |\n| --- | --- | --- |\n${rows.join('\n')}\n`);
