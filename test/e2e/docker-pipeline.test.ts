import { chmod, copyFile, readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { basePort, SERVICE_JS } from '../support/deploy-fixture.js';
import { dockerAvailable, pushBaseImage, startDockerd, type TestDockerd } from '../support/dockerd.js';
import { fixtureRepo, pushChange } from '../support/fixture-repo.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';
import { registerSecret, secretValue } from '../support/sweep.js';
import { failedSteps, pipelineDriver } from '../support/pipeline-driver.js';
import { TempDirs, until } from '../support/temp.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

/**
 * Issue 12, done when: a change goes dev → staging → production on the docker target, with images
 * built once into a real registry (with htpasswd auth), copied by digest to production's own registry,
 * scanned before staging, and two approvals for production; then a release that only breaks in
 * production is caught by the smoke test on the green preview, and production stays on the good
 * digest. The engine's containers are exactly the expected ones, and no secret is in `docker inspect`,
 * either registry's storage or any image layer (the secret sweep searches the engine's data root and
 * the registries' storage, which live in this file's temporary folders).
 */

// Answers its smoke test everywhere but in production, once `version` says so: a bug only production's settings show.
const SERVICE = SERVICE_JS.replace(
  "if (mode === 'bad-json')",
  "if (mode === 'bad-in-production' && process.env.GANTRY_ENVIRONMENT === 'production') { res.writeHead(200, { 'content-type': 'application/json' }); res.end(JSON.stringify({ service: 'who-knows' })); return; }\n  if (mode === 'bad-json')",
)
  .replace("  if (req.url === '/healthz') {", "  if (req.url === '/key-length') { res.end(String((process.env.API_KEY ?? '').length)); return; }\n  if (req.url === '/healthz') {")
  // Says it started (never its key: the engine keeps a container's output unmasked in its own log files, see docs/agent.md).
  .replace("server.listen(Number(process.env.PORT), '127.0.0.1');", "server.listen(Number(process.env.PORT), '127.0.0.1', () => console.log(`api ${readFileSync('./version', 'utf8').trim()} listening, key of ${(process.env.API_KEY ?? '').length} characters`));")
  // Takes memory until the engine kills it (the service's limit is 256m).
  .replace("const mode = existsSync('./mode')", "if (existsSync('./mode') && readFileSync('./mode', 'utf8').trim() === 'oom') { const hog = []; for (;;) hog.push(Buffer.alloc(16 * 1024 * 1024, 1)); }\nconst mode = existsSync('./mode')");

const config = (o: { port: number; main: string; prod: string; engine: string; scanner: string }): string => `version: 1
project:
  name: shop
repository:
  url: .
  defaultBranch: develop
registries:
  main: { url: '${o.main}', username: gantry, passwordSecret: REGISTRY_PASSWORD }
  prod: { url: '${o.prod}', username: gantry, passwordSecret: REGISTRY_PASSWORD }
images:
  registry: main
  scanner: { command: 'cat ${o.scanner}', timeout: 30s }
targets:
  boxes: { kind: docker, engine: 'unix://${o.engine}' }
services:
  api:
    path: api
    build:
      run: mkdir -p out && cp server.mjs version out/ && (cp mode out/ 2>/dev/null || true)
      output: out
    run:
      command: node server.mjs
      port: ${o.port}
      limits: { cpus: 1, memory: 256m }
    image: { base: '${o.main}/base/node:1' }
    health: { path: /healthz, interval: 100ms, deadline: 30s }
    smoke:
      - name: answers with its service name
        path: /
        expectJson: { field: service, equals: api }
    secrets: [API_KEY]
environments:
  dev:
    branch: develop
    target: boxes
    strategy: rolling
    secrets: [API_KEY]
  staging:
    branch: staging
    target: boxes
    portOffset: 10
    strategy: rolling
    secrets: [API_KEY]
    imageScan: { failOn: critical }
  production:
    branch: main
    target: boxes
    registry: prod
    portOffset: 20
    strategy: { kind: blue-green, scaleDownDelay: 200ms, previewPortOffset: 5 }
    requires: staging
    approvals: { required: 2 }
    confirmation: DEPLOY TO PRODUCTION
    secrets: [API_KEY]
    verify:
      - kind: health
      - kind: smoke
`;

interface Deployment {
  readonly revision: number;
  readonly state: string;
  readonly digest: string;
}

describe.runIf(dockerAvailable())('a release through dev, staging and production on the docker target', () => {
  const temp = new TempDirs();
  const port = basePort();
  const apiKey = secretValue('docker-api-key');
  const mainPassword = secretValue('main-registry');
  const prodPassword = secretValue('prod-registry');
  let main: TestRegistry;
  let prod: TestRegistry;
  let engine: TestDockerd;
  let t: TestServer;
  let repo: Awaited<ReturnType<typeof fixtureRepo>>;
  const host = (r: TestRegistry): string => r.url.replace('http://', '');

  const driver = pipelineDriver(() => t);
  const api = driver.api;
  const dispatch = driver.dispatch;
  const approveTwice = (runId: number): Promise<void> => driver.approve(runId, approvers);
  const history = async (env: string): Promise<Deployment[]> => (await api<{ deployments: Deployment[] }>('GET', `/api/v1/environments/${env}/history?service=api`)).body.deployments;
  const imageOf = async (env: string, revision: number): Promise<string | undefined> => {
    return (await t.server.store.deployments.byRevision(env, 'api', revision))?.spec?.image?.digest;
  };
  const containers = async (): Promise<string[]> => (await engine.docker.listContainers({ all: true })).flatMap((c) => c.Names.map((n) => n.replace(/^\//, ''))).sort();
  const failedStep = failedSteps;
  const approvers: string[] = [];

  beforeAll(async () => {
    main = await startRegistry({ users: { gantry: mainPassword } });
    prod = await startRegistry({ users: { gantry: prodPassword } });
    engine = await startDockerd(temp);
    await pushBaseImage(engine, host(main), { username: 'gantry', password: mainPassword }, 'base/node');
    const root = await temp.make();
    // The scanner runs as the gates' user: its report must be readable by it.
    await chmod(root, 0o755);
    const report = join(root, 'clean.json');
    await copyFile('test/fixtures/trivy/clean.json', report);
    await chmod(report, 0o644);
    const text = config({ port, main: host(main), prod: host(prod), engine: engine.socket, scanner: report });
    repo = await fixtureRepo(root, { 'gantry.yaml': text, 'api/server.mjs': SERVICE, 'api/version': 'v1\n' });
    t = await startTestServer(root, repo, text);
    for (const [scope, name, value] of [['dev', 'API_KEY', apiKey], ['staging', 'API_KEY', apiKey], ['production', 'API_KEY', apiKey], ['shared', 'REGISTRY_PASSWORD', mainPassword], ['production', 'REGISTRY_PASSWORD', prodPassword]] as const) {
      const set = await api('PUT', `/api/v1/secrets/${scope}/${name}`, { value });
      expect(set.status, JSON.stringify(set.body)).toBe(200);
    }
    for (const user of ['ana', 'ben']) {
      const made = await api<{ token: string }>('POST', '/api/v1/tokens', { user, roles: ['approver:production'] });
      approvers.push(registerSecret(made.body.token));
    }
  }, 180_000);

  afterAll(async () => {
    await t?.server.close({ stopAgents: true });
    await engine?.stop();
    await Promise.all([main?.stop(), prod?.stop()]);
    await temp.cleanup();
  }, 120_000);

  it('builds the image once, promotes the same digest to production through two approvals, and keeps it when a production-only bug is caught', async () => {
    await pushChange(repo, 'develop', { 'api/version': 'v2\n' }, 'v2', 'develop');
    const dev = await t.runFor('develop');
    const devDone = await t.finished(dev.id, 240_000);
    expect(devDone.run.state, failedStep(devDone.steps)).toBe('succeeded');
    const image = devDone.steps.find((s) => s.key === 'image:api');
    expect(image?.state).toBe('succeeded');
    const served = (await (await fetch(`http://127.0.0.1:${port}/`)).json()) as { version: string; revision: string };
    expect(served).toMatchObject({ version: 'v2', revision: '1' });
    // The service reads its secret from a file the engine never sees: it has it.
    expect(await (await fetch(`http://127.0.0.1:${port}/key-length`)).text()).toBe(String(apiKey.length));

    const staging = await t.finished(await dispatch('staging', 'develop'), 240_000);
    expect(staging.run.state, failedStep(staging.steps)).toBe('succeeded');
    // Built once: staging reuses the image dev's run made, and scanned it before deploying.
    expect(staging.steps.find((s) => s.key === 'image:api')?.message).toMatch(/image [0-9a-f]{12}/);
    expect(staging.steps.find((s) => s.key === 'image-scan:staging:api')?.state).toBe('succeeded');

    const prodRun = await dispatch('production', 'develop');
    await approveTwice(prodRun);
    const production = await t.finished(prodRun, 240_000);
    expect(production.run.state, failedStep(production.steps)).toBe('succeeded');
    const devDigest = await imageOf('dev', 1);
    expect(devDigest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(await imageOf('staging', 1)).toBe(devDigest);
    expect(await imageOf('production', 1)).toBe(devDigest);
    // Production pulled from its own registry, where the deploy copied the image by digest.
    const copied = await fetch(`${prod.url}/v2/shop/api/manifests/${devDigest ?? ''}`, { method: 'HEAD', headers: { authorization: `Basic ${Buffer.from(`gantry:${prodPassword}`).toString('base64')}`, accept: 'application/vnd.oci.image.manifest.v1+json' } });
    expect(copied.status).toBe(200);
    expect(copied.headers.get('docker-content-digest')).toBe(devDigest);
    const tags = (await (await fetch(`${prod.url}/v2/shop/api/tags/list`, { headers: { authorization: `Basic ${Buffer.from(`gantry:${prodPassword}`).toString('base64')}` } })).json()) as { tags: string[] };
    expect(tags.tags).toEqual(expect.arrayContaining(['production-latest', 'production-r1']));

    // A release that breaks only with production's settings: dev and staging pass it, production's smoke test on green catches it.
    await pushChange(repo, 'develop', { 'api/version': 'v3\n', 'api/mode': 'bad-in-production\n' }, 'v3', 'develop');
    const dev2 = await t.runFor('develop', dev.id);
    expect((await t.finished(dev2.id, 240_000)).run.state).toBe('succeeded');
    expect((await t.finished(await dispatch('staging', 'develop'), 240_000)).run.state).toBe('succeeded');
    const badRun = await dispatch('production', 'develop');
    await approveTwice(badRun);
    const bad = await t.finished(badRun, 240_000);
    expect(bad.run.state).toBe('failed');
    expect(failedStep(bad.steps)).toMatch(/PRE_SWITCH_CHECK_FAILED|smoke/i);
    expect((await history('production'))[0]).toMatchObject({ revision: 2, state: 'rolled-back' });
    const live = (await (await fetch(`http://127.0.0.1:${port + 20}/`)).json()) as { version: string; revision: string };
    expect(live).toMatchObject({ version: 'v2', revision: '1' });

    // What the live container wrote, through the CLI.
    const logs = await runCli(['logs', 'production/api', '--lines', '20'], { GANTRY_SERVER: t.server.url, GANTRY_TOKEN: t.token });
    expect(logs.code, logs.stderr).toBe(0);
    expect(logs.stderr).toContain('production/api r1');
    expect(logs.stdout).toContain(`api v2 listening, key of ${apiKey.length} characters`);

    // Exactly one container per environment: the live revision; production's green one is gone.
    await until('the retired containers to be removed', async () => (await containers()).length === 3, 60_000, 200);
    expect(await containers()).toEqual(['gantry-dev-api-r2', 'gantry-production-api-r1', 'gantry-staging-api-r2']);
  }, 900_000);

  it('rolls back by itself, with the reason, when a container exits at once or is killed for memory', async () => {
    let after = (await t.server.store.runs.list({ branch: 'develop', limit: 1 }))[0]?.id ?? 0;
    for (const [mode, reason] of [['crash', /exited with code 3[\s\S]*boom: cannot start/], ['oom', /OOMKilled/]] as const) {
      await pushChange(repo, 'develop', { 'api/mode': `${mode}\n` }, mode, 'develop');
      const run = await t.runFor('develop', after);
      after = run.id;
      const done = await t.finished(run.id, 240_000);
      expect(done.run.state).toBe('failed');
      expect(failedStep(done.steps)).toMatch(reason);
      expect(done.steps.find((s) => s.key === 'rollback:dev')?.state).toBe('succeeded');
      // dev still serves the release it had: v3, which only production's settings break.
      const served = (await (await fetch(`http://127.0.0.1:${port}/`)).json()) as { version: string };
      expect(served.version).toBe('v3');
    }
  }, 600_000);

  it('keeps every secret out of docker inspect, the registries and the image layers', async () => {
    const secrets = [apiKey, mainPassword, prodPassword];
    for (const summary of await engine.docker.listContainers({ all: true })) {
      const inspected = JSON.stringify(await engine.docker.getContainer(summary.Id).inspect());
      for (const s of secrets) expect(inspected).not.toContain(s);
    }
    // Every file of both registries' storage: manifests, configs, the SBOMs, and the layers unpacked (gzip).
    let layers = 0;
    for (const storage of [main.storage, prod.storage]) {
      for (const file of await walk(storage)) {
        const raw = await readFile(file);
        const bytes = raw[0] === 0x1f && raw[1] === 0x8b ? gunzipSync(raw) : raw;
        if (bytes !== raw) layers++;
        for (const s of secrets) expect(bytes.includes(Buffer.from(s)), `${file} holds a secret`).toBe(false);
      }
    }
    expect(layers).toBeGreaterThan(2);
  }, 120_000);
});

async function walk(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await walk(path)));
    else if ((await stat(path)).isFile()) out.push(path);
  }
  return out;
}
