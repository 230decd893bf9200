import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { OciLayout, packBundle } from '../../src/artifacts/index.js';
import { loadConfigOrThrow } from '../../src/config/loader.js';
import { GantryError } from '../../src/errors/index.js';
import { EnvSecretSource } from '../../src/secrets/source.js';
import { ociLayoutRef } from '../../src/targets/artifact-ref.js';
import type { DockerTarget } from '../../src/targets/docker/docker-target.js';
import { DockerTargets } from '../../src/targets/docker/docker-targets.js';
import { issueHost } from '../../src/targets/remote/issue-host.js';
import type { RevisionSpec } from '../../src/targets/target.js';
import { freePorts } from '../support/agent-process.js';
import { startRemoteAgent, type RemoteAgent } from '../support/remote-agent.js';
import { TempDirs } from '../support/temp.js';

/**
 * The `boot` limit with three hosts, two at a time: three real agents over TLS on loopback
 * addresses of their own (127.0.0.2–4; the process runtime, so no engine is needed), each with a
 * certificate issued for its address. Run the server build first.
 */
const temp = new TempDirs();
const HOSTS = ['127.0.0.2', '127.0.0.3', '127.0.0.4'];
// Refuses to start in the folder of the agent FAIL_IN names: a failure of one host only.
const SERVICE_JS = `import { createServer } from 'node:http';
if (process.env.FAIL_IN && process.cwd().includes(process.env.FAIL_IN)) { console.error('disk full on this host'); process.exit(4); }
const server = createServer((req, res) => res.end(req.url === '/healthz' ? 'ok' : String(process.env.GANTRY_REVISION)));
server.listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => server.close(() => process.exit(0)));
`;

const agents: RemoteAgent[] = [];
let target: DockerTarget;
let artifact: { digest: string; ref: string };

const spec = (revision: number, env: Record<string, string> = {}): RevisionSpec => ({
  environment: 'production',
  service: 'api',
  revision,
  release: `release-${revision}`,
  artifact,
  command: 'node server.mjs',
  env,
  secretKeys: [],
  replicas: 1,
  health: { path: '/healthz', expectStatus: 200, intervalMs: 100, timeoutMs: 1_000 },
});

/** Each host's own phase of a revision ('absent' when it never got it). */
async function phases(revision: number): Promise<string[]> {
  return (await target.describeHosts('production')).map(({ value }) => value.find((s) => s.service === 'api')?.revisions.find((r) => r.revision === revision)?.phase ?? 'absent');
}

describe('the docker target boots hosts `boot` at a time', () => {
  beforeAll(async () => {
    const root = await temp.make('gantry-boot-');
    const [route, ...control] = [await freePorts(31_000, 4_000, 1), ...(await Promise.all(HOSTS.map((_, i) => freePorts(35_000 + i * 1_000, 1_000, 1))))];
    const hosts = HOSTS.map((address, i) => `      - { name: host-${i + 1}, address: '${address}:${control[i] ?? 0}', tokenSecret: AGENT_TOKEN_${i + 1} }\n`).join('');
    const configPath = join(root, 'gantry.yaml');
    await writeFile(configPath, `version: 1\nproject:\n  name: boot\nrepository:\n  url: .\nregistries:\n  main: { url: '127.0.0.1:5999' }\nservices:\n  api:\n    path: svc\n    build: { run: "true", output: . }\n    image: { base: '127.0.0.1:5999/base/node:1' }\n    run:\n      command: node server.mjs\n      port: ${route}\nenvironments:\n  production:\n    branch: main\n    target: web\ntargets:\n  web:\n    kind: docker\n    boot: 2\n    bootTimeout: 5s\n    hosts:\n${hosts}`);
    const config = await loadConfigOrThrow(configPath);
    const dataDir = join(root, 'data');
    const tokens: Record<string, string> = {};
    for (const [i, address] of HOSTS.entries()) {
      const files = join(root, `host-${i + 1}`);
      await issueHost({ config, dataDir, target: 'web', host: `host-${i + 1}`, out: files, storeToken: async (name, token) => void (tokens[`GANTRY_SECRET_${name}`] = token) });
      agents.push(await startRemoteAgent({ target: 'web', listen: `${address}:${control[i] ?? 0}`, routeHost: address, files, dataDir: join(root, `agent-host-${i + 1}`) }));
    }
    const layout = new OciLayout(join(root, 'layout'));
    await layout.init();
    await mkdir(join(root, 'service'));
    await writeFile(join(root, 'service', 'server.mjs'), SERVICE_JS);
    const digest = (await layout.put('svc', await packBundle(join(root, 'service')))).manifestDigest;
    artifact = { digest, ref: ociLayoutRef(layout.root, digest) };
    target = await new DockerTargets({ config, configPath, dataDir, secrets: new EnvSecretSource(tokens), logger: pino({ level: 'silent' }) }).get('web');
  }, 120_000);

  afterAll(async () => {
    await Promise.all(agents.map((a) => a.stop()));
    await temp.cleanup();
  }, 60_000);

  it('starts the third host only once the first two are ready', async () => {
    const seen: string[][] = [];
    let done = false;
    const watch = (async () => {
      while (!done) seen.push(await phases(1));
    })();
    await target.startRevision(spec(1));
    done = true;
    await watch;
    expect(await phases(1)).toEqual(['ready', 'ready', 'ready']);
    expect(seen.some(([, , third]) => third === 'absent')).toBe(true);
    for (const [first, second, third] of seen) if (third !== 'absent') expect([first, second]).toEqual(['ready', 'ready']);
  }, 60_000);

  it('stops at a failed group: the host after it is never asked, and the error names the host and its reason', async () => {
    const error = await target.startRevision(spec(2, { FAIL_IN: 'agent-host-2/' })).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(GantryError);
    expect((error as GantryError).code).toBe('TARGET_HOST_FAILED');
    expect((error as GantryError).message).toContain('on host host-2 of target web');
    expect((error as GantryError).message).toContain('disk full on this host');
    const [first, second, third] = await phases(2);
    expect(first).toBe('ready');
    expect(second).not.toBe('ready');
    expect(third).toBe('absent');
    const merged = (await target.describe('production'))[0]?.revisions.find((r) => r.revision === 2);
    expect(merged?.lastError).toContain('host-2: ');
    await target.stopRevision('production', 'api', 2);
    expect((await phases(2)).every((p) => p === 'stopped' || p === 'absent')).toBe(true);
  }, 60_000);
});
