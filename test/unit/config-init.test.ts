import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { detectServices, serviceName } from '../../src/config/init/detect.js';
import { starterConfig } from '../../src/config/init/starter.js';
import { parseConfigText } from '../../src/config/loader.js';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'gantry-init-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

async function put(path: string, content = ''): Promise<void> {
  await mkdir(dirname(join(root, path)), { recursive: true });
  await writeFile(join(root, path), content);
}

const pkg = (scripts: Record<string, string>, extra: Record<string, unknown> = {}): string => JSON.stringify({ name: 'x', scripts, ...extra });

describe('detecting services for gantry init', () => {
  it('finds Node, Maven, Gradle and Docker services with their gates', async () => {
    await put('services/api/package.json', pkg({ lint: 'eslint .', test: 'vitest run', build: 'tsc', start: 'node dist/main.js', dev: 'tsx watch' }));
    await put('services/billing/pom.xml', '<project></project>');
    await put('services/ledger/build.gradle.kts', '');
    await put('tools/proxy/Dockerfile', 'FROM nginx');
    expect(await detectServices(root)).toEqual([
      { name: 'api', path: 'services/api', kind: 'node', gates: [{ name: 'lint', run: 'npm run lint' }, { name: 'test', run: 'npm test' }, { name: 'build', run: 'npm run build' }], run: 'npm start' },
      { name: 'billing', path: 'services/billing', kind: 'maven', gates: [{ name: 'verify', run: 'mvn -B verify' }], run: undefined },
      { name: 'ledger', path: 'services/ledger', kind: 'gradle', gates: [{ name: 'check', run: './gradlew check' }], run: undefined },
      { name: 'proxy', path: 'tools/proxy', kind: 'docker', gates: [], run: undefined },
    ]);
  });

  it('skips node_modules, .git and dist, and stops below depth 3', async () => {
    await put('node_modules/left-pad/package.json', pkg({}));
    await put('.git/hooks/package.json', pkg({}));
    await put('dist/package.json', pkg({}));
    await put('a/b/c/d/package.json', pkg({ test: 'x' }));
    await put('a/b/c/package.json', pkg({ test: 'x' }));
    expect((await detectServices(root)).map((s) => s.path)).toEqual(['a/b/c']);
  });

  it('treats a workspace root as a group of services, not as one', async () => {
    await put('package.json', pkg({ test: 'turbo test' }, { workspaces: ['apps/*'] }));
    await put('apps/web/package.json', pkg({ start: 'next start' }));
    await put('apps/web/Dockerfile', 'FROM node');
    expect(await detectServices(root)).toMatchObject([{ name: 'web', path: 'apps/web', kind: 'node', run: 'npm start' }]);
  });

  it('uses the package manager whose lock file is present', async () => {
    await put('web/package.json', pkg({ test: 'vitest', start: 'node .' }));
    await put('web/pnpm-lock.yaml');
    expect(await detectServices(root)).toMatchObject([{ gates: [{ name: 'test', run: 'pnpm run test' }], run: 'pnpm run start' }]);
  });

  it('survives an unreadable package.json and gives folders valid, distinct names', async () => {
    await put('one/My_API/package.json', '{ not json');
    await put('two/my-api/Dockerfile');
    const found = await detectServices(root);
    expect(found.map((s) => s.name)).toEqual(['my-api', 'my-api-2']);
    expect(serviceName('42things')).toBe('svc-42things');
  });

  it('finds nothing in an empty folder', async () => {
    expect(await detectServices(root)).toEqual([]);
  });
});

describe('the starter gantry.yaml', () => {
  it('passes validation with no errors or warnings for what was detected', async () => {
    await put('services/api/package.json', pkg({ test: 'vitest', start: 'node .' }));
    await put('services/web/package.json', pkg({ lint: 'eslint .', start: 'next start' }));
    await put('services/billing/pom.xml', '<project/>');
    const text = starterConfig({ projectName: 'Volteryde App', services: await detectServices(root) });
    const result = parseConfigText(text, 'gantry.yaml');
    if (!result.ok) throw new Error(result.errors.map((e) => `${e.line}:${e.col} ${e.message}`).join('\n'));
    expect(result.warnings).toEqual([]);
    expect(result.config.project.name).toBe('volteryde-app');
    expect(Object.values(result.config.environments).map((e) => [e.name, e.branch])).toEqual([
      ['dev', 'develop'],
      ['staging', 'staging'],
      ['production', 'main'],
    ]);
    expect(result.config.environments.dev?.services).toEqual(['api', 'web']);
    expect([result.config.services.api?.run?.port, result.config.services.web?.run?.port]).toEqual([3000, 3001]);
  });

  it('is valid even when nothing was detected', () => {
    const result = parseConfigText(starterConfig({ projectName: '???', services: [] }), 'gantry.yaml');
    expect(result).toMatchObject({ ok: true, warnings: [] });
  });

  it('keeps environment ports apart however many services there are', () => {
    const services = Array.from({ length: 150 }, (_, i) => ({ name: `s${i}`, path: `s${i}`, kind: 'node' as const, gates: [], run: 'npm start' }));
    expect(parseConfigText(starterConfig({ projectName: 'big', services }), 'gantry.yaml')).toMatchObject({ ok: true });
  });

  it('explains itself in comments', () => {
    const text = starterConfig({ projectName: 'demo', services: [] });
    expect(text.split('\n').filter((line) => line.includes('#')).length).toBeGreaterThan(15);
  });
});
