import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lintOnlyConfig } from '../support/ci-config.js';
import { DOCKER_API_VERSION, dockerAvailable, startDockerd, type TestDockerd } from '../support/dockerd.js';
import { fixtureRepo } from '../support/fixture-repo.js';
import { importNodeStandins } from '../support/node-standin-images.js';
import { TempDirs, until } from '../support/temp.js';

/**
 * Issue 14, item 3: the repository's Dockerfile builds an image of Gantry that runs the server. It
 * is built as a person builds it, `docker build` with the docker CLI against a private engine, from
 * stand-in base images made of this machine's files (nothing can be pulled here; see
 * test/support/node-standin-images.ts). The build stage's `npm ci` prefers this machine's npm cache
 * and reaches the npm registry for the rest.
 */

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const TAG = `gantry-test/gantry:${VERSION}`;
const DOCKER_CLI = ['/usr/bin/docker', '/usr/local/bin/docker'].find((p) => existsSync(p));

const temp = new TempDirs();
let d: TestDockerd;

async function dockerOutput(args: readonly string[]): Promise<{ stdout: string; stderr: string }> {
  const env = { ...process.env, DOCKER_HOST: d.dockerHost, DOCKER_API_VERSION: DOCKER_API_VERSION.slice(1), DOCKER_BUILDKIT: '0', DOCKER_CONFIG: join(d.dataRoot, '..', 'cli') };
  return run(DOCKER_CLI as string, args, { env, cwd: ROOT, maxBuffer: 64 * 1024 * 1024 });
}

/** A container's output, stdout then stderr (`docker logs` keeps them apart). */
async function logsOf(id: string): Promise<string> {
  const { stdout, stderr } = await dockerOutput(['logs', id]);
  return `${stdout}${stderr}`;
}

async function docker(...args: string[]): Promise<string> {
  try {
    return (await dockerOutput(args)).stdout.trim();
  } catch (error: unknown) {
    // A failed build says why on stdout (the step's own output), the CLI on stderr.
    const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
    throw new Error(`docker ${args.slice(0, 2).join(' ')} failed: ${stderr.slice(-1500)}\n${stdout.slice(-4000)}`, { cause: error });
  }
}

describe.skipIf(!dockerAvailable() || DOCKER_CLI === undefined)('the Gantry container image (needs root, dockerd and the docker CLI: docker.io)', () => {
  beforeAll(async () => {
    d = await startDockerd(temp);
    const bases = await importNodeStandins(d);
    // The build's RUN steps share the host's network: `npm ci` reaches the npm registry for what the cache lacks.
    await docker('build', '--network', 'host', '--build-arg', `BUILD_IMAGE=${bases.build}`, '--build-arg', `NODE_IMAGE=${bases.runtime}`, '-t', TAG, '.');
  }, 600_000);

  afterAll(async () => {
    await d?.stop();
    await temp.cleanup();
  }, 60_000);

  it('prints the package version from its entrypoint', async () => {
    expect(await docker('run', '--rm', '--network', 'none', TAG, '--version')).toBe(VERSION);
  });

  it('runs the server by default on 0.0.0.0:7400 as a non-root user, healthy on /healthz, with its data in the volume', async () => {
    const fixture = await temp.make('gantry-image-repo-');
    const repo = await fixtureRepo(fixture, { 'gantry.yaml': lintOnlyConfig('in-a-container'), 'api/README': 'api\n' });
    // The image's user (uid 1000) owns the checkout, as git wants of a repository it reads.
    await run('chown', ['-R', '1000:1000', fixture]);
    // No network: the container's own loopback is enough for its health check and for `docker exec`.
    const id = await docker('run', '-d', '--network', 'none', '-v', `${repo.workDir}:/etc/gantry:ro`, TAG);
    const health = await until('the container to be healthy or to stop', async () => {
      const status = await docker('inspect', '-f', '{{.State.Status}} {{.State.Health.Status}}', id);
      return status === 'running healthy' || status.startsWith('exited') ? status : undefined;
    }, 90_000, 500);
    expect(health, await logsOf(id)).toBe('running healthy');
    // Inside the container, with the admin token the server wrote to its volume.
    const fetchJson = (path: string): Promise<string> =>
      docker('exec', id, 'node', '-e', `const token = require('fs').readFileSync('/var/lib/gantry/admin.token', 'utf8').trim(); fetch('http://127.0.0.1:7400${path}', { headers: { authorization: 'Bearer ' + token } }).then(async (r) => console.log(r.status, await r.text()))`);
    expect(await fetchJson('/healthz')).toBe('200 {"status":"ok"}');
    expect(await fetchJson('/api/v1/version')).toMatch(new RegExp(`^200 \\{"version":"${VERSION.replace(/\./g, '\\.')}"`));
    expect(await docker('exec', id, 'id', '-u')).toBe('1000');
    expect(await docker('inspect', '-f', '{{range .Mounts}}{{.Type}}:{{.Destination}} {{end}}', id)).toContain('volume:/var/lib/gantry');
    expect((await docker('exec', id, 'ls', '/var/lib/gantry')).split('\n')).toEqual(expect.arrayContaining(['admin.token', 'server.json']));
    expect(await docker('exec', id, 'gantry', '--version')).toBe(VERSION);
    // GANTRY_DATA_DIR points the CLI inside at the server's address and admin token.
    expect(JSON.parse(await docker('exec', id, 'gantry', 'runs', '--output', 'json'))).toEqual({ runs: expect.any(Array) });
    // Bound to every address, not only loopback (the default outside the image): 0.0.0.0:7400 (0x1CE8) listening (0A).
    expect(await docker('exec', id, 'cat', '/proc/net/tcp')).toMatch(/^\s*\d+: 00000000:1CE8 00000000:0000 0A /m);
    expect(await logsOf(id)).toContain('Gantry server listening on');
    await docker('stop', '-t', '30', id);
    expect(await docker('inspect', '-f', '{{.State.ExitCode}}', id)).toBe('0');
  }, 180_000);
});
