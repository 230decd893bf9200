import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { loadConfigOrThrow } from '../../src/config/loader.js';
import type { StrategyConfig } from '../../src/config/types.js';
import { GantryError } from '../../src/errors/index.js';
import { EnvSecretSource } from '../../src/secrets/source.js';
import { Goal, reconcileToEnd, RollingStrategy, type StrategyContext } from '../../src/strategies/index.js';
import type { DockerTarget } from '../../src/targets/docker/docker-target.js';
import { DockerTargets } from '../../src/targets/docker/docker-targets.js';
import { issueHost } from '../../src/targets/remote/issue-host.js';
import type { RevisionSpec } from '../../src/targets/target.js';
import { dockerAvailable, startDockerd, type TestDockerd } from '../support/dockerd.js';
import { createHosts, netnsAvailable, type TestHosts } from '../support/netns.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';
import { startRemoteAgent, type RemoteAgent } from '../support/remote-agent.js';
import { pushServiceImage, type PushedImage } from '../support/service-image.js';
import { TempDirs, until } from '../support/temp.js';

/**
 * The docker target over two real "hosts": network namespaces joined by veth pairs (10.x.y.0/30),
 * each with its own dockerd (own data root, exec root and socket) and its own `gantry agent
 * --runtime docker --listen <host>:7443` with a certificate Gantry's CA issued; one docker-registry
 * on an address both reach. Deploys go through the rolling strategy (what the deploy step runs)
 * with boot 1. Run the server build first: `npx tsc -p tsconfig.build.json`.
 */
const temp = new TempDirs();
const ROUTE_PORT = 18_080;
/** The service refuses to start on the host whose address FAIL_ON names, saying why: a host-specific failure (a missing volume, a bad disk). */
const SERVICE_JS = `import { createServer } from 'node:http';
import { networkInterfaces } from 'node:os';
const mine = Object.values(networkInterfaces()).flat().map((i) => i.address);
if (process.env.FAIL_ON && mine.includes(process.env.FAIL_ON)) { console.error('no data volume on ' + process.env.FAIL_ON + ', giving up'); process.exit(3); }
const server = createServer((req, res) => {
  if (req.url === '/healthz') { res.end('ok'); return; }
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ release: process.env.RELEASE_NAME, host: mine.find((a) => a.startsWith('10.')) }));
});
server.listen(Number(process.env.PORT));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
`;
const ROLLING: StrategyConfig = { kind: 'rolling', maxSurge: 1, maxUnavailable: 0 };

let net: TestHosts | undefined;
const engines: TestDockerd[] = [];
const agents: RemoteAgent[] = [];
let registry: TestRegistry | undefined;
let image: PushedImage;
let target: DockerTarget;

function gantryYaml(n: TestHosts, registryHost: string): string {
  const hosts = n.hosts.map((h, i) => `      - name: host-${i + 1}\n        address: ${h.address}:7443\n        tokenSecret: AGENT_TOKEN_${i + 1}\n`).join('');
  return `version: 1
project:
  name: hosts
repository:
  url: .
registries:
  main:
    url: ${registryHost}
    insecure: true
services:
  api:
    path: svc
    build:
      run: "true"
      output: .
    image:
      base: ${registryHost}/base/node:1
    run:
      command: node server.mjs
      port: ${ROUTE_PORT}
environments:
  production:
    branch: main
    target: web
targets:
  web:
    kind: docker
    boot: 1
    bootTimeout: 20s
    hosts:
${hosts}`;
}

function spec(revision: number, env: Record<string, string> = {}): RevisionSpec {
  return {
    environment: 'production',
    service: 'api',
    revision,
    release: `release-${revision}`,
    artifact: { digest: image.digest, ref: image.ref },
    command: 'node server.mjs',
    env: { RELEASE_NAME: `r${revision}`, ...env },
    secretKeys: [],
    replicas: 1,
    health: { path: '/healthz', expectStatus: 200, intervalMs: 200, timeoutMs: 1_000 },
  };
}

function context(revisionSpec: RevisionSpec, previous: number | undefined, log: string[]): StrategyContext {
  return {
    target,
    spec: revisionSpec,
    previous,
    config: ROLLING,
    readyDeadlineMs: 30_000,
    signal: new AbortController().signal,
    log: (line) => log.push(line),
    now: () => Date.now(),
    sleep: (ms, signal) => delay(ms, undefined, { signal }),
    preSwitchCheck: () => Promise.resolve(),
  };
}

/** What each host's own route answers, asked on the host's own address. */
async function servedBy(): Promise<Array<{ release: string; host: string }>> {
  return Promise.all((net?.hosts ?? []).map(async (h) => (await (await fetch(`http://${h.address}:${ROUTE_PORT}/`)).json()) as { release: string; host: string }));
}

/** The names of the containers running on each host's engine. */
async function running(): Promise<string[][]> {
  return Promise.all(engines.map(async (e) => (await e.docker.listContainers()).flatMap((c) => c.Names.map((n) => n.replace(/^\//, ''))).sort()));
}

describe.skipIf(!dockerAvailable() || !netnsAvailable())('the docker target on two hosts', () => {
  beforeAll(async () => {
    net = await createHosts(2);
    registry = await startRegistry({ host: net.shared });
    const registryHost = new URL(registry.url).host;
    for (const host of net.hosts) engines.push(await startDockerd(new TempDirs(), { netns: host.ns, insecureRegistries: [registryHost] }));
    const first = engines[0] as TestDockerd;
    image = await pushServiceImage(first, registryHost, 'hosts/api', { 'server.mjs': SERVICE_JS });

    const root = await temp.make('gantry-hosts-');
    const configPath = join(root, 'gantry.yaml');
    await writeFile(configPath, gantryYaml(net, registryHost));
    const config = await loadConfigOrThrow(configPath);
    const dataDir = join(root, 'data');
    const tokens: Record<string, string> = {};
    for (const [i, host] of net.hosts.entries()) {
      const files = join(root, `host-${i + 1}`);
      await issueHost({ config, dataDir, target: 'web', host: `host-${i + 1}`, out: files, storeToken: async (name, token) => void (tokens[`GANTRY_SECRET_${name}`] = token) });
      agents.push(await startRemoteAgent({ netns: host.ns, target: 'web', listen: `${host.address}:7443`, routeHost: host.address, files, dataDir: join(root, `agent-${i + 1}`), dockerHost: engines[i]?.dockerHost ?? '' }));
    }
    target = await new DockerTargets({ config, configPath, dataDir, secrets: new EnvSecretSource(tokens), logger: pino({ level: 'silent' }) }).get('web');
  }, 240_000);

  afterAll(async () => {
    await Promise.all(agents.map((a) => a.stop()));
    await Promise.all(engines.map((e) => e.stop()));
    await registry?.stop();
    await net?.remove();
    await temp.cleanup();
  }, 120_000);

  it('rolls a good release host by host: the second host starts only once the first is ready, then both serve it', async () => {
    const seen: Array<Array<string | undefined>> = [];
    let done = false;
    // Watches each host's own report while the rollout runs (the target merges them; here they are apart).
    const watch = (async () => {
      while (!done) {
        const perHost = (await target.describeHosts('production')).map(({ value }) => value.find((s) => s.service === 'api')?.revisions.find((r) => r.revision === 1)?.phase);
        seen.push(perHost);
        await delay(100);
      }
    })();
    const log: string[] = [];
    await reconcileToEnd(new RollingStrategy(), Goal.Rollout, context(spec(1), undefined, log));
    done = true;
    await watch;
    expect(seen.some(([, second]) => second === undefined)).toBe(true);
    // Whenever host 2 had the revision at all, host 1 had it ready.
    for (const [first, second] of seen) if (second !== undefined) expect(first).toBe('ready');
    expect((await servedBy()).map((s) => s.release)).toEqual(['r1', 'r1']);
    expect(new Set((await servedBy()).map((s) => s.host))).toEqual(new Set(net?.hosts.map((h) => h.address)));
    const merged = (await target.describe('production'))[0];
    expect(merged?.revisions.find((r) => r.revision === 1)).toMatchObject({ phase: 'ready', readyReplicas: 2 });
    expect(await running()).toEqual([['gantry-production-api-r1'], ['gantry-production-api-r1']]);
  }, 120_000);

  it('stops at the host that fails, naming it and its reason, and the rollback leaves every host on the previous release', async () => {
    const failing = net?.hosts[1]?.address ?? '';
    const log: string[] = [];
    const ctx = context(spec(2, { FAIL_ON: failing }), 1, log);
    const error = await reconcileToEnd(new RollingStrategy(), Goal.Rollout, ctx).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(GantryError);
    const failure = error as GantryError;
    expect(failure.code).toBe('TARGET_HOST_FAILED');
    expect(failure.message).toContain('on host host-2 of target web');
    expect(failure.message).toContain(`no data volume on ${failing}`);
    expect(failure.message).toContain('exited with code 3');
    // Host 1 got r2 (ready, no traffic); users on both hosts never left r1.
    expect((await servedBy()).map((s) => s.release)).toEqual(['r1', 'r1']);

    await reconcileToEnd(new RollingStrategy(), Goal.Rollback, ctx, { reason: failure.message });
    expect((await servedBy()).map((s) => s.release)).toEqual(['r1', 'r1']);
    const merged = (await target.describe('production'))[0];
    expect(merged?.weights.main).toEqual({ '1': 100 });
    expect(merged?.revisions.find((r) => r.revision === 2)?.phase ?? 'stopped').toBe('stopped');
    await until('only r1 containers running on both hosts', async () => JSON.stringify(await running()) === JSON.stringify([['gantry-production-api-r1'], ['gantry-production-api-r1']]), 30_000);
  }, 120_000);
});
