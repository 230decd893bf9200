/**
 * Registry push and pull throughput: one 50 MB blob (random, so incompressible and new each time)
 * pushed to a real docker-registry (distribution 2.8) on 127.0.0.1 by Gantry's registry client, in
 * 8 MiB PATCH chunks (the default) and in one PUT, and pulled back (with the sha256 check); peer in
 * the same run: curl doing the same monolithic POST + PUT (`-T`, streamed from a file) and GET, two
 * processes started per push, one per pull. Rounds alternate the contenders.
 * Reproduce with: npx tsx bench/registry-push.ts   (knobs: BENCH_REGISTRY_MB, BENCH_REGISTRY_ROUNDS)
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { bufferSource, RegistryClient } from '../src/artifacts/registry/index.js';
import { startRegistry } from '../test/support/registry.js';
import { TempDirs } from '../test/support/temp.js';

const MB = Number(process.env.BENCH_REGISTRY_MB ?? 50);
const ROUNDS = Number(process.env.BENCH_REGISTRY_ROUNDS ?? 3);
const run = promisify(execFile);

async function curlPush(url: string, repo: string, file: string, digest: string): Promise<void> {
  const { stdout } = await run('curl', ['-sS', '-X', 'POST', '-D', '-', '-o', '/dev/null', `${url}/v2/${repo}/blobs/uploads/`]);
  const location = /^location:\s*(\S+)/im.exec(stdout)?.[1];
  if (!location) throw new Error(`no Location from the registry: ${stdout}`);
  const target = new URL(location, url);
  target.searchParams.set('digest', digest);
  const put = await run('curl', ['-sS', '-o', '/dev/null', '-w', '%{http_code}', '-H', 'content-type: application/octet-stream', '-H', 'Expect:', '-T', file, target.toString()]);
  if (put.stdout !== '201') throw new Error(`curl PUT answered ${put.stdout}`);
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;

const temp = new TempDirs();
const registry = await startRegistry();
const results: Record<string, number[]> = { 'client, 8 MiB chunks': [], 'client, one PUT': [], 'curl, one PUT': [], 'client pull (sha256 checked)': [], 'curl pull': [] };
try {
  const dir = await temp.make('gantry-bench-registry-');
  const chunked = new RegistryClient({ url: registry.url });
  const whole = new RegistryClient({ url: registry.url, chunkSize: Number.MAX_SAFE_INTEGER });
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, push] of [
      ['client, 8 MiB chunks', (s: ReturnType<typeof bufferSource>, repo: string) => chunked.pushBlob(repo, s)],
      ['client, one PUT', (s: ReturnType<typeof bufferSource>, repo: string) => whole.pushBlob(repo, s)],
      ['curl, one PUT', async (s: ReturnType<typeof bufferSource>, repo: string, file: string) => curlPush(registry.url, repo, file, s.digest)],
    ] as const) {
      const data = randomBytes(MB * 1024 * 1024);
      const source = bufferSource(data);
      const file = join(dir, 'blob');
      await writeFile(file, data);
      const repo = `bench/r${round}-${name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/-+$/, '')}`;
      results[name]?.push(await timed(() => push(source, repo, file)));
      if (name === 'client, one PUT') {
        results['client pull (sha256 checked)']?.push(await timed(() => chunked.pullBlob(repo, source.digest)));
        results['curl pull']?.push(await timed(() => run('curl', ['-sSfL', '-o', join(dir, 'pulled'), `${registry.url}/v2/${repo}/blobs/${source.digest}`], { maxBuffer: 1024 })));
      }
    }
  }
} finally {
  await registry.stop();
  await temp.cleanup();
}
console.log(`${MB} MB blob, ${ROUNDS} rounds, median (MB/s):`);
for (const [name, times] of Object.entries(results)) {
  const ms = median(times);
  console.log(`  ${name.padEnd(30)} ${ms.toFixed(0).padStart(6)} ms  ${((MB * 1000) / ms).toFixed(0).padStart(5)} MB/s   [${times.map((t) => t.toFixed(0)).join(', ')}]`);
}
