import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildImageWithDocker, ImageError, OCI_LABEL, type DockerBuildInput } from '../../src/artifacts/images/index.js';
import { RegistryClient } from '../../src/artifacts/registry/index.js';
import { dockerAvailable, pushBaseImage, startDockerd, type TestDockerd } from '../support/dockerd.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';
import { secretValue } from '../support/sweep.js';
import { TempDirs, until } from '../support/temp.js';
import { freePort } from '../support/free-port.js';

const temp = new TempDirs();
let registry: TestRegistry;
let engine: TestDockerd;
let client: RegistryClient;
let base: { ref: string; tagRef: string; digest: string };
let context: string;

const SERVER = `import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
const greeting = readFileSync('/app/greeting.txt', 'utf8').trim();
createServer((req, res) => res.end(greeting)).listen(Number(process.env.PORT), '127.0.0.1');
`;

function dockerfile(from: string): string {
  return [
    `FROM ${from} AS app`,
    'ARG GREETING=hello',
    'WORKDIR /app',
    'COPY . /ctx/',
    // .dockerignore keeps these out of what the engine is sent.
    'RUN test ! -e /ctx/secret.txt && test ! -e /ctx/node_modules && test -e /ctx/server.mjs',
    'RUN echo "$GREETING" > greeting.txt',
    // Host networking where the engine has no bridge: a RUN step reaches a loopback service (the registry).
    'ARG REGISTRY_URL',
    `RUN node -e "fetch(process.env.REGISTRY_URL + '/v2/').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(2))"`,
    'COPY server.mjs ./',
    'CMD ["node", "server.mjs"]',
    `FROM ${from} AS other`,
    'RUN echo not this stage',
    '',
  ].join('\n');
}


function input(overrides: Partial<DockerBuildInput> = {}): DockerBuildInput {
  return {
    docker: engine.docker,
    context,
    target: 'app',
    buildArgs: { GREETING: 'bonjour', REGISTRY_URL: registry.url },
    registry: client,
    repository: 'volteryde/web',
    provenance: { revision: 'b'.repeat(40), source: 'https://git.example/volteryde.git', created: new Date('2026-11-30T08:00:00Z'), title: 'web', version: '3.1.0' },
    labels: { team: 'front' },
    lockfile: join(context, 'package-lock.json'),
    ...overrides,
  };
}

// CI runs these as root with docker.io installed; a developer machine without Docker skips them.
describe.skipIf(!dockerAvailable())('building an image from a Dockerfile through the Docker engine', () => {
  beforeAll(async () => {
    registry = await startRegistry();
    engine = await startDockerd(temp);
    base = await pushBaseImage(engine, new URL(registry.url).host);
    client = new RegistryClient({ url: registry.url });
    context = await temp.make('gantry-docker-ctx-');
    await writeFile(join(context, 'Dockerfile'), dockerfile(base.tagRef));
    await writeFile(join(context, '.dockerignore'), 'secret.txt\nnode_modules\n');
    await writeFile(join(context, 'secret.txt'), 'not for the image');
    await mkdir(join(context, 'node_modules', 'x'), { recursive: true });
    await writeFile(join(context, 'node_modules', 'x', 'index.js'), '');
    await writeFile(join(context, 'server.mjs'), SERVER);
    await writeFile(join(context, 'package-lock.json'), JSON.stringify({ lockfileVersion: 3, packages: { '': { name: 'web' }, 'node_modules/x': { version: '0.1.0' } } }));
  }, 180_000);

  afterAll(async () => {
    await engine?.stop();
    await registry?.stop();
    await temp.cleanup();
  }, 60_000);

  it('builds, pushes under the commit sha, and the registry holds the digest the engine reported, with labels and an SBOM', async () => {
    const lines: string[] = [];
    const image = await buildImageWithDocker(input({ onProgress: (line) => lines.push(line) }));
    expect(lines.some((l) => /^Step 1\/\d+ : FROM /.test(l))).toBe(true);
    expect(lines.join('\n')).not.toContain('not this stage');
    expect((await client.headManifest('volteryde/web', image.digest))?.digest).toBe(image.digest);
    expect((await client.headManifest('volteryde/web', 'b'.repeat(40)))?.digest).toBe(image.digest);
    expect(image.ref).toBe(`${client.registry}/volteryde/web@${image.digest}`);
    expect(image.baseDigest).toBe(base.digest);
    const inspected = await engine.docker.getImage(image.imageId).inspect();
    expect(inspected.Config.Labels).toMatchObject({ [OCI_LABEL.revision]: 'b'.repeat(40), [OCI_LABEL.created]: '2026-11-30T08:00:00Z', [OCI_LABEL.title]: 'web', [OCI_LABEL.version]: '3.1.0', [OCI_LABEL.source]: 'https://git.example/volteryde.git', team: 'front' });
    const sbom = JSON.parse((await client.getManifest('volteryde/web', image.sbom.tag)).bytes.toString()) as { subject: { digest: string } };
    expect(sbom.subject.digest).toBe(image.digest);
    const bom = JSON.parse(image.sbom.json) as { components: Array<{ name: string; version: string }> };
    expect(bom.components).toEqual(expect.arrayContaining([expect.objectContaining({ version: base.digest }), expect.objectContaining({ name: 'x', version: '0.1.0' })]));
    const port = await freePort();
    const container = await engine.docker.createContainer({ Image: image.imageId, Env: [`PORT=${port}`], HostConfig: { NetworkMode: 'host' } });
    try {
      await container.start();
      const body = await until('the container to answer', async () => {
        const state = await container.inspect();
        if (!state.State.Running) throw new Error(`the container stopped: exit ${state.State.ExitCode}`);
        const answer = await fetch(`http://127.0.0.1:${port}/`).catch(() => undefined);
        return answer?.ok ? answer.text() : undefined;
      }, 30_000, 100);
      expect(body).toBe('bonjour');
    } finally {
      await container.remove({ force: true });
    }
  });

  it('rebuilds an unchanged service from the engine cache to the same image and digest', async () => {
    const first = await buildImageWithDocker(input());
    const lines: string[] = [];
    const again = await buildImageWithDocker(input({ onProgress: (line) => lines.push(line) }));
    expect(again.imageId).toBe(first.imageId);
    expect(again.digest).toBe(first.digest);
    expect(again.cachedSteps).toBeGreaterThanOrEqual(5);
    expect(lines.filter((l) => l.includes('Using cache'))).toHaveLength(again.cachedSteps);
  });

  it('fails a broken Dockerfile with IMAGE_BUILD_FAILED and the last lines of its output, pushing nothing', async () => {
    const broken = await temp.make('gantry-docker-broken-');
    await writeFile(join(broken, 'Dockerfile'), `FROM ${base.tagRef}\nRUN echo "compiling the thing" && echo "fatal: the thing is broken" && exit 3\n`);
    const error = await buildImageWithDocker(input({ context: broken, target: undefined, repository: 'volteryde/broken', lockfile: undefined })).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(ImageError);
    expect((error as ImageError).code).toBe('IMAGE_BUILD_FAILED');
    expect((error as ImageError).message).toContain('fatal: the thing is broken');
    expect((error as ImageError).message).toMatch(/returned a non-zero code: 3/);
    expect(await client.headManifest('volteryde/broken', 'b'.repeat(40))).toBeUndefined();
  });

  it('fails a push the registry refuses with IMAGE_PUSH_FAILED, without the password in the message', async () => {
    const password = secretValue('registry password');
    const guarded = await startRegistry({ users: { builder: password } });
    try {
      const wrong = new RegistryClient({ url: guarded.url, credentials: { username: 'builder', password: `${password}-wrong` } });
      const error = await buildImageWithDocker(input({ registry: wrong, repository: 'volteryde/guarded' })).then(() => undefined, (e: unknown) => e);
      expect(error).toBeInstanceOf(ImageError);
      expect((error as ImageError).code).toBe('IMAGE_PUSH_FAILED');
      expect((error as ImageError).message).toMatch(/unauthorized|authentication required/i);
      expect(JSON.stringify((error as ImageError).toJSON())).not.toContain(password);
      const right = new RegistryClient({ url: guarded.url, credentials: { username: 'builder', password } });
      const image = await buildImageWithDocker(input({ registry: right, repository: 'volteryde/guarded' }));
      expect((await right.headManifest('volteryde/guarded', image.digest))?.digest).toBe(image.digest);
    } finally {
      await guarded.stop();
    }
  });

  it('refuses a missing Dockerfile or context before asking the engine', async () => {
    const error = await buildImageWithDocker(input({ dockerfile: 'docker/Nope.Dockerfile' })).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(ImageError);
    expect((error as ImageError).code).toBe('IMAGE_INPUT_INVALID');
    expect((error as ImageError).message).toContain('Nope.Dockerfile');
    const outside = await buildImageWithDocker(input({ dockerfile: '../Dockerfile' })).then(() => undefined, (e: unknown) => e);
    expect((outside as ImageError).code).toBe('IMAGE_INPUT_INVALID');
  });
});
