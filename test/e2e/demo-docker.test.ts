import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Docker from 'dockerode';
import { afterAll, describe, expect, it } from 'vitest';
import { dockerAvailable } from '../support/dockerd.js';
import { DOCKER_REGISTRY } from '../support/registry.js';
import { until } from '../support/temp.js';

const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
const SERVICES = ['billing', 'nest-api', 'temporal-workers', 'web-admin', 'web-rider'];
const ENVIRONMENTS = ['dev', 'staging', 'production'];

interface Summary {
  ok: boolean;
  problems: string[];
  rollbacks: number;
  environments: Record<string, Record<string, { release: string | null; revision: number | null; servedRelease: string | null }>>;
  images: {
    digests: Record<string, Record<string, string | null>>;
    productionMatchesStaging: Record<string, { production: string | null; stagingVerified: string | null; same: boolean }>;
    containers: Array<{ id: string; name: string; image: string; state: string }>;
  };
}

interface Ended {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `gantry demo …` as a process to its end; the child is killed if the test gives up first. */
function runDemo(args: string[], env: NodeJS.ProcessEnv, extra: { uid?: number; gid?: number } = {}): { ended: Promise<Ended>; kill: () => void; child: ChildProcess } {
  const child = spawn(process.execPath, [CLI, 'demo', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'], ...extra });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const ended = new Promise<Ended>((resolve) => child.once('exit', (code) => resolve({ code, stdout, stderr })));
  return { ended, kill: () => child.kill('SIGINT'), child };
}

/** Every process whose command line or control groups mention one of `marks` (a folder, a container id). */
async function processesMentioning(marks: readonly string[]): Promise<string[]> {
  const found: string[] = [];
  for (const pid of (await readdir('/proc')).filter((p) => /^\d+$/.test(p))) {
    const read = (file: string): Promise<string> => readFile(join('/proc', pid, file), 'utf8').catch(() => '');
    const text = `${(await read('cmdline')).replace(/\0/g, ' ')}\n${await read('cgroup')}`;
    if (marks.some((m) => text.includes(m))) found.push(`${pid}: ${text.split('\n')[0] ?? ''}`);
  }
  return found;
}

const withoutDockerHost = (): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', CI: 'true' };
  delete env.DOCKER_HOST;
  return env;
};

describe.skipIf(!dockerAvailable() || !existsSync(DOCKER_REGISTRY))('npm run demo -- --target docker', () => {
  const stops: Array<() => void> = [];
  afterAll(() => {
    for (const stop of stops) stop();
  });

  it('runs the reference pipeline on containers: production runs the digests staging verified, the bad release rolls back, and nothing is left behind', async () => {
    const demo = runDemo(['--target', 'docker', '--output', 'json'], withoutDockerHost());
    stops.push(demo.kill);
    const { code, stdout, stderr } = await demo.ended;
    if (code !== 0) throw new Error(`the demo exited with ${String(code)}: ${stderr.slice(-4000)}`);
    const summary = JSON.parse(stdout) as Summary;
    expect(summary.problems).toEqual([]);
    expect(summary.ok).toBe(true);

    // Every environment runs images by digest, and production runs, per service, the digest staging verified.
    for (const env of ENVIRONMENTS) for (const s of SERVICES) expect(summary.images.digests[env]?.[s]).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(Object.keys(summary.images.productionMatchesStaging).sort()).toEqual(SERVICES);
    for (const m of Object.values(summary.images.productionMatchesStaging)) {
      expect(m.same).toBe(true);
      expect(m.production).toBe(m.stagingVerified);
    }
    // The bad release reached staging; production rolled back by itself and kept the good one.
    expect(summary.rollbacks).toBeGreaterThanOrEqual(1);
    expect(summary.environments.production?.['nest-api']?.release).not.toBe(summary.environments.staging?.['nest-api']?.release);
    expect(summary.images.digests.production?.['nest-api']).not.toBe(summary.images.digests.staging?.['nest-api']);
    expect(stderr).toMatch(/automatic rollback done; production still serves the previous release/);

    // At the end each environment's live revision of each service runs as a container named by Gantry's scheme, pulled by digest.
    const names = summary.images.containers.map((c) => c.name);
    for (const env of ENVIRONMENTS) {
      for (const s of SERVICES) {
        const revision = summary.environments[env]?.[s]?.revision;
        expect(names).toContain(`gantry-${env}-${s}-r${String(revision)}`);
      }
    }
    for (const c of summary.images.containers) expect(c.image).toMatch(/^127\.0\.0\.1:\d+\/volteryde\/[a-z-]+@sha256:[0-9a-f]{64}$/);

    // Nothing outlives the demo: no engine, containerd, shim, container, registry, server or agent, no mount, no scratch folder.
    const root = /server log: (\/\S+)\/server\.log/.exec(stderr)?.[1];
    expect(root).toBeDefined();
    const marks = [root ?? '/nonexistent', ...summary.images.containers.map((c) => c.id)];
    const left = await until('every process of the demo to be gone', async () => ((await processesMentioning(marks)).length === 0 ? true : undefined), 30_000, 200).catch(async () => processesMentioning(marks));
    expect(left).toBe(true);
    expect((await readFile('/proc/mounts', 'utf8')).includes(root ?? '/nonexistent')).toBe(false);
    expect(existsSync(root ?? '/nonexistent')).toBe(false);
  }, 480_000);

  it('stops everything it started when interrupted with Ctrl-C mid-deploy', async () => {
    const demo = runDemo(['--target', 'docker', '--output', 'json'], withoutDockerHost());
    stops.push(demo.kill);
    let stderr = '';
    const child = demo.child;
    child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
    const root = await until('the demo to start its private engine', () => /private Docker engine unix:\/\/(\/\S+)\/d\/docker\.sock/.exec(stderr)?.[1], 120_000, 100);
    // Dev's deploy has started a container on the private engine when the user presses Ctrl-C.
    const docker = new Docker({ socketPath: join(root, 'd', 'docker.sock') });
    // until() retries a probe that throws, so an exit is returned and reported below, at once.
    const state = await until('a container of the demo to run', async () => {
      if (child.exitCode !== null) return 'exited';
      return (await docker.listContainers({ filters: { label: ['gantry.environment'] } })).length > 0 ? 'running' : undefined;
    }, 300_000, 200);
    if (state === 'exited') throw new Error(`the demo ended before it ran a container: ${stderr.slice(-2000)}`);
    demo.kill();
    const { code } = await demo.ended;
    expect(code).toBe(130);
    const marks = [root];
    const left = await until('every process of the demo to be gone', async () => ((await processesMentioning(marks)).length === 0 ? true : undefined), 30_000, 200).catch(async () => processesMentioning(marks));
    expect(left).toBe(true);
    expect((await readFile('/proc/mounts', 'utf8')).includes(root)).toBe(false);
    expect(existsSync(root)).toBe(false);
  }, 360_000);
});

// These need no engine: they run everywhere (as root they run the demo as nobody, who may not start dockerd).
describe('npm run demo -- --target docker, when it cannot run', () => {
  const stops: Array<() => void> = [];
  afterAll(() => {
    for (const stop of stops) stop();
  });

  it('refuses with what to do when no engine can be used: DOCKER_HOST does not answer, none at the default socket, and not root', async () => {
    // A user who may not start dockerd (nobody), pointing DOCKER_HOST at a socket nothing listens on.
    const scratch = await mkdtemp(join(tmpdir(), 'gantry-demo-refusal-'));
    try {
      const env = { ...withoutDockerHost(), DOCKER_HOST: 'unix:///nonexistent/docker.sock', TMPDIR: scratch };
      const demo = runDemo(['--target', 'docker'], env, process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {});
      stops.push(demo.kill);
      const { code, stderr } = await demo.ended;
      expect(code).toBe(2);
      expect(stderr).toMatch(/no Docker engine: DOCKER_HOST \(unix:\/\/\/nonexistent\/docker\.sock\) does not answer, \/var\/run\/docker\.sock does not answer, and dockerd can only be started as root/);
      expect(stderr).toMatch(/hint: Run the demo as root with Debian's docker\.io installed .*or point DOCKER_HOST at a running engine/);
      expect(stderr).not.toMatch(/\n\s+at /);
      // Refused before anything was made: no scratch folder, no process.
      expect(await readdir(scratch)).toEqual([]);
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  }, 60_000);

  it('refuses --keep with --target docker as a usage error, starting nothing', async () => {
    const { code, stderr } = await runDemo(['--target', 'docker', '--keep'], withoutDockerHost()).ended;
    expect(code).toBe(2);
    expect(stderr).toMatch(/--keep works with --target local only/);
  }, 30_000);
});
