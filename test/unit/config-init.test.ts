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
      {
        name: 'api',
        path: 'services/api',
        kind: 'node',
        gates: [{ name: 'install', run: 'npm install' }, { name: 'lint', run: 'npm run lint' }, { name: 'test', run: 'npm test' }, { name: 'build', run: 'npm run build' }],
        build: { run: 'npm install && npm run build', output: '.' },
        run: 'npm start',
      },
      { name: 'billing', path: 'services/billing', kind: 'maven', gates: [{ name: 'verify', run: 'mvn -B verify' }], run: undefined },
      { name: 'ledger', path: 'services/ledger', kind: 'gradle', gates: [{ name: 'check', run: 'gradle check' }], run: undefined },
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
    await put('berry/package.json', pkg({ start: 'node .' }));
    await put('berry/yarn.lock');
    await put('berry/.yarnrc.yml');
    await put('classic/package.json', pkg({ start: 'node .' }));
    await put('classic/yarn.lock');
    await put('bun/package.json', pkg({ start: 'bun run index.ts' }));
    await put('bun/bun.lock');
    const found = Object.fromEntries((await detectServices(root)).map((s) => [s.name, s]));
    expect(found.web).toMatchObject({ gates: [{ name: 'install', run: 'pnpm install --frozen-lockfile' }, { name: 'test', run: 'pnpm run test' }], build: { run: 'pnpm install --frozen-lockfile' }, run: 'pnpm run start' });
    expect(found.berry).toMatchObject({ gates: [{ run: 'yarn install --immutable' }], run: 'yarn start' });
    expect(found.classic).toMatchObject({ gates: [{ run: 'yarn install --frozen-lockfile' }] });
    expect(found.bun).toMatchObject({ gates: [{ run: 'bun install --frozen-lockfile' }], run: 'bun run start' });
  });

  it('installs a workspace package with the workspace root lock file and says what the artifact lacks', async () => {
    await put('package.json', pkg({}, { workspaces: ['apps/*'] }));
    await put('package-lock.json', '{}');
    await put('apps/api/package.json', pkg({ start: 'node server.js' }));
    const [api] = await detectServices(root);
    expect(api).toMatchObject({ gates: [{ name: 'install', run: 'npm ci' }], build: { run: 'npm ci', output: '.' }, run: 'npm start' });
    expect(api?.notes?.join(' ')).toMatch(/workspace root/);
  });

  it('does not take a lock file of a tooling-only root for the packages below it, nor the root for a service', async () => {
    await put('package.json', pkg({ format: 'prettier --write .' }));
    await put('package-lock.json', '{}');
    await put('apps/api/package.json', pkg({ start: 'node server.js' }));
    expect(await detectServices(root)).toMatchObject([{ name: 'api', gates: [{ name: 'install', run: 'npm install' }], run: 'npm start' }]);
  });

  it('keeps a root without a start command as the service when nothing below it is one', async () => {
    await put('package.json', pkg({ test: 'node --test' }));
    await put('docs/readme.md', '# docs');
    expect(await detectServices(root)).toMatchObject([{ path: '.', kind: 'node', run: undefined }]);
  });

  it('deploys neither a dev-server start script nor a package that says nothing of starting', async () => {
    await put('next/package.json', pkg({ start: 'next dev', build: 'next build' }));
    await put('lib/package.json', pkg({ build: 'tsc' }));
    const found = await detectServices(root);
    expect(found.map((s) => [s.name, s.run, s.build])).toEqual([
      ['lib', undefined, undefined],
      ['next', undefined, undefined],
    ]);
  });

  it('prefers start:prod and names NestJS; a Vite app with a server of its own is not a static site', async () => {
    await put('api/package.json', pkg({ start: 'nest start', 'start:prod': 'node dist/main', build: 'nest build' }, { dependencies: { '@nestjs/core': '10' } }));
    await put('ssr/package.json', pkg({ start: 'node server.js', build: 'vite build' }, { devDependencies: { vite: '5' } }));
    await put('spa/package.json', pkg({ dev: 'vite', build: 'vite build' }, { devDependencies: { vite: '5' } }));
    const found = Object.fromEntries((await detectServices(root)).map((s) => [s.name, s]));
    expect(found.api).toMatchObject({ framework: 'NestJS', run: 'npm run start:prod', build: { run: 'npm install && npm run build', output: '.' } });
    expect(found.ssr).toMatchObject({ run: 'npm start' });
    expect(found.ssr?.framework).toBeUndefined();
    expect(found.spa).toMatchObject({ framework: 'Vite static site', run: 'npx vite preview --host 127.0.0.1 --port $PORT --strictPort', health: '/' });
  });

  it('deploys Spring Boot with the wrapper of the project or of its multi-module root, by Maven or Gradle', async () => {
    await put('mvnw', '#!/bin/sh');
    await put('pom.xml', '<project><modules><module>billing</module></modules></project>');
    await put('billing/pom.xml', '<project><parent><artifactId>spring-boot-starter-parent</artifactId></parent><build><plugins><plugin><artifactId>spring-boot-maven-plugin</artifactId></plugin></plugins></build></project>');
    await put('starter/pom.xml', '<project><dependencies><dependency><artifactId>spring-boot-autoconfigure</artifactId></dependency></dependencies></project>');
    await put('ledger/settings.gradle', "rootProject.name = 'ledger'\n");
    await put('ledger/build.gradle', "plugins { id 'org.springframework.boot' version '3.3.4' }\n");
    await put('ledger/gradlew', '#!/bin/sh');
    const found = Object.fromEntries((await detectServices(root)).map((s) => [s.name, s]));
    expect(found.billing).toMatchObject({ framework: 'Spring Boot', gates: [{ run: '../mvnw -B verify' }], build: { run: '../mvnw -B -DskipTests package', output: 'target' }, health: '/' });
    expect(found.ledger).toMatchObject({ framework: 'Spring Boot', gates: [{ run: './gradlew check' }], build: { run: './gradlew bootJar', output: 'build/libs' } });
    // A library that uses Spring Boot but has no plugin to make a runnable jar is checked, not deployed.
    expect(found.starter).toMatchObject({ kind: 'maven', run: undefined });
    expect(found.starter?.framework).toBeUndefined();
    expect(found.ledger?.run).toMatch(/^java -jar .*-plain\.jar.* --server\.port=\$PORT/);
  });

  it('treats a Gradle settings file that includes projects as an aggregate', async () => {
    await put('settings.gradle.kts', 'include(":app", ":lib")\n');
    await put('build.gradle.kts', '');
    await put('app/build.gradle.kts', '');
    expect((await detectServices(root)).map((s) => s.path)).toEqual(['app']);
  });

  it('checks Python projects with uv, poetry or a virtualenv, in CI only', async () => {
    await put('uvsvc/pyproject.toml', '[project]\nname = "a"\ndependencies = ["ruff", "pytest"]\n');
    await put('uvsvc/uv.lock');
    await put('poet/pyproject.toml', '[tool.poetry]\nname = "b"\n[tool.poetry.group.dev.dependencies]\npytest = "^8"\n');
    await put('plain/pyproject.toml', '[project]\nname = "c"\n[project.optional-dependencies]\ndev = ["pytest"]\n');
    await put('plain/requirements.txt', 'flask\n');
    const found = Object.fromEntries((await detectServices(root)).map((s) => [s.name, s]));
    expect(found.uvsvc).toMatchObject({ kind: 'python', gates: [{ name: 'install', run: 'uv sync --frozen' }, { name: 'lint', run: 'uv run ruff check .' }, { name: 'test', run: 'uv run pytest' }], run: undefined });
    expect(found.poet?.gates).toEqual([{ name: 'install', run: 'poetry install --no-interaction' }, { name: 'test', run: 'poetry run pytest' }]);
    expect(found.plain?.gates).toEqual([
      { name: 'install', run: "python3 -m venv .venv && .venv/bin/pip install -e '.[dev]' && .venv/bin/pip install -r requirements.txt" },
      { name: 'test', run: '.venv/bin/pytest' },
    ]);
  });

  it('deploys a Go module whose one main package serves HTTP, and only checks one that does not', async () => {
    await put('api/go.mod', 'module example.com/api\n');
    await put('api/cmd/api/main.go', 'package main\n\nimport "github.com/gin-gonic/gin"\n\nfunc main() { gin.Default().Run() }\n');
    await put('tool/go.mod', 'module example.com/tool\n');
    await put('tool/main.go', 'package main\n\nimport "net/http"\n\nfunc main() { http.Get("https://example.com") }\n');
    const found = Object.fromEntries((await detectServices(root)).map((s) => [s.name, s]));
    expect(found.api).toMatchObject({ kind: 'go', build: { run: 'CGO_ENABLED=0 go build -o bin/server ./cmd/api', output: 'bin' }, run: './server' });
    expect(found.tool).toMatchObject({ kind: 'go', gates: [{ name: 'vet' }, { name: 'test' }], run: undefined });
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
