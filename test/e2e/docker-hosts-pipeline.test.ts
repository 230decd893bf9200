import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfigOrThrow } from '../../src/config/loader.js';
import { issueHost } from '../../src/targets/remote/issue-host.js';
import type { StepView } from '../../src/server/views.js';
import { basePort, SERVICE_JS } from '../support/deploy-fixture.js';
import { dockerAvailable, pushBaseImage, startDockerd, type TestDockerd } from '../support/dockerd.js';
import { fixtureRepo, pushChange } from '../support/fixture-repo.js';
import { createHosts, netnsAvailable, type TestHosts } from '../support/netns.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';
import { startRemoteAgent, type RemoteAgent } from '../support/remote-agent.js';
import { TempDirs, until } from '../support/temp.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

/**
 * Issue 12's two-host promise through the pipeline: a push to develop builds the image, and the
 * deploy step rolls it over two hosts (network namespaces, each with its own dockerd and its own
 * `gantry agent --listen` with a certificate `gantry hosts issue` made, its token in the server's
 * secret store); then a release that cannot start on the second host fails the deploy naming that
 * host, and the rollback step leaves both hosts serving the previous release.
 */

// `crash-on <address>`: exits at once on the host that has this address, as a host missing a volume would.
const SERVICE = SERVICE_JS.replace("import { createServer } from 'node:http';", "import { createServer } from 'node:http';\nimport { networkInterfaces } from 'node:os';").replace(
  "if (mode === 'crash')",
  "if (mode.startsWith('crash-on ') && Object.values(networkInterfaces()).flat().some((i) => i.address === mode.slice(9))) { console.error('no data volume on ' + mode.slice(9)); process.exit(3); }\nif (mode === 'crash')",
);

const config = (o: { port: number; registry: string; net: TestHosts }): string => `version: 1
project:
  name: fleet
repository:
  url: .
  defaultBranch: develop
registries:
  main: { url: '${o.registry}', insecure: true }
targets:
  web:
    kind: docker
    boot: 1
    bootTimeout: 20s
    hosts:
${o.net.hosts.map((h, i) => `      - { name: host-${i + 1}, address: '${h.address}:7443', tokenSecret: AGENT_TOKEN_${i + 1} }\n`).join('')}services:
  api:
    path: api
    build:
      run: mkdir -p out && cp server.mjs version out/ && (cp mode out/ 2>/dev/null || true)
      output: out
    run:
      command: node server.mjs
      port: ${o.port}
    image: { base: '${o.registry}/base/node:1' }
    health: { path: /healthz, interval: 100ms, deadline: 30s }
environments:
  dev:
    branch: develop
    target: web
    strategy: rolling
`;

describe.runIf(dockerAvailable() && netnsAvailable())('a release rolled over two hosts by the pipeline', () => {
  const temp = new TempDirs();
  const port = basePort();
  const engines: TestDockerd[] = [];
  const agents: RemoteAgent[] = [];
  let net: TestHosts | undefined;
  let registry: TestRegistry | undefined;
  let t: TestServer;
  let repo: Awaited<ReturnType<typeof fixtureRepo>>;

  const failedStep = (steps: readonly StepView[]): string => steps.filter((s) => s.state === 'failed').map((s) => `${s.key}: ${s.message ?? ''}`).join('; ');
  const served = async (): Promise<Array<{ version: string; revision: string }>> =>
    Promise.all((net?.hosts ?? []).map(async (h) => (await (await fetch(`http://${h.address}:${port}/`)).json()) as { version: string; revision: string }));
  const running = async (): Promise<string[][]> => Promise.all(engines.map(async (e) => (await e.docker.listContainers()).flatMap((c) => c.Names.map((n) => n.replace(/^\//, ''))).sort()));

  beforeAll(async () => {
    net = await createHosts(2);
    registry = await startRegistry({ host: net.shared });
    const registryHost = new URL(registry.url).host;
    for (const h of net.hosts) engines.push(await startDockerd(new TempDirs(), { netns: h.ns, insecureRegistries: [registryHost] }));
    await pushBaseImage(engines[0] as TestDockerd, registryHost, undefined, 'base/node');
    const root = await temp.make();
    const text = config({ port, registry: registryHost, net });
    repo = await fixtureRepo(root, { 'gantry.yaml': text, 'api/server.mjs': SERVICE, 'api/version': 'v1\n' });
    t = await startTestServer(root, repo, text);
    // What an operator does per host: `gantry hosts issue` on the server (the token into its store), then the agent on the host.
    const configPath = join(root, 'issue.yaml');
    await writeFile(configPath, text);
    const parsed = await loadConfigOrThrow(configPath);
    for (const [i, h] of net.hosts.entries()) {
      const files = join(root, `host-${i + 1}`);
      await issueHost({
        config: parsed,
        dataDir: t.dataDir,
        target: 'web',
        host: `host-${i + 1}`,
        out: files,
        storeToken: async (name, value) => {
          const res = await t.server.app.inject({ method: 'PUT', url: `/api/v1/secrets/shared/${name}`, headers: { authorization: `Bearer ${t.token}` }, payload: { value } });
          expect(res.statusCode, res.body).toBe(200);
        },
      });
      agents.push(await startRemoteAgent({ netns: h.ns, target: 'web', listen: `${h.address}:7443`, routeHost: h.address, files, dataDir: join(root, `agent-${i + 1}`), dockerHost: engines[i]?.dockerHost ?? '' }));
    }
  }, 240_000);

  afterAll(async () => {
    await t?.close();
    await Promise.all(agents.map((a) => a.stop()));
    await Promise.all(engines.map((e) => e.stop()));
    await registry?.stop();
    await net?.remove();
    await temp.cleanup();
  }, 120_000);

  it('deploys a push to both hosts, and rolls every host back when the next release fails on the second', async () => {
    await pushChange(repo, 'develop', { 'api/version': 'v2\n' }, 'v2', 'develop');
    const good = await t.runFor('develop');
    const goodDone = await t.finished(good.id, 240_000);
    expect(goodDone.run.state, failedStep(goodDone.steps)).toBe('succeeded');
    expect(await served()).toEqual([expect.objectContaining({ version: 'v2', revision: '1' }), expect.objectContaining({ version: 'v2', revision: '1' })]);

    const second = net?.hosts[1]?.address ?? '';
    await pushChange(repo, 'develop', { 'api/version': 'v3\n', 'api/mode': `crash-on ${second}\n` }, 'v3', 'develop');
    const bad = await t.runFor('develop', good.id);
    const badDone = await t.finished(bad.id, 240_000);
    expect(badDone.run.state).toBe('failed');
    const failure = failedStep(badDone.steps);
    expect(failure).toContain('on host host-2 of target web');
    expect(failure).toContain(`no data volume on ${second}`);
    expect(badDone.steps.find((s) => s.kind === 'rollback')?.state).toBe('succeeded');
    expect(await served()).toEqual([expect.objectContaining({ version: 'v2', revision: '1' }), expect.objectContaining({ version: 'v2', revision: '1' })]);
    await until('only the previous release running on both hosts', async () => JSON.stringify(await running()) === JSON.stringify([['gantry-dev-api-r1'], ['gantry-dev-api-r1']]), 60_000, 200);
  }, 600_000);
});
