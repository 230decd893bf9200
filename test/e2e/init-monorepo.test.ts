import { chmod, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { runCli } from '../support/cli.js';
import { writeTree } from '../support/fixture-repo.js';
import { TempDirs } from '../support/temp.js';

/**
 * `gantry init` run as a process on a monorepo as teams have them: a tooling-only root package.json,
 * a NestJS API, a Spring Boot service with the Maven wrapper, a Vite web app, a Python package and
 * a Go HTTP service. The file it writes must pass `gantry validate` (also a process) as it is.
 */
const json = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`;

const MONOREPO: Record<string, string> = {
  'README.md': '# ride platform\n',
  'package.json': json({ private: true, scripts: { format: 'prettier --write .' }, devDependencies: { prettier: '^3.3.0' } }),
  'package-lock.json': json({ name: 'ride-platform', lockfileVersion: 3, packages: {} }),
  'services/nest-api/package.json': json({
    name: 'nest-api',
    scripts: { build: 'nest build', start: 'nest start', 'start:dev': 'nest start --watch', 'start:prod': 'node dist/main', lint: 'eslint "{src,test}/**/*.ts"', test: 'jest' },
    dependencies: { '@nestjs/common': '^10.4.0', '@nestjs/core': '^10.4.0' },
  }),
  'services/nest-api/package-lock.json': json({ name: 'nest-api', lockfileVersion: 3, packages: {} }),
  'services/nest-api/src/main.ts': "import { NestFactory } from '@nestjs/core';\n",
  'services/billing/pom.xml': `<project>
  <modelVersion>4.0.0</modelVersion>
  <parent><groupId>org.springframework.boot</groupId><artifactId>spring-boot-starter-parent</artifactId><version>3.3.4</version></parent>
  <artifactId>billing</artifactId>
  <dependencies>
    <dependency><groupId>org.springframework.boot</groupId><artifactId>spring-boot-starter-web</artifactId></dependency>
    <dependency><groupId>org.springframework.boot</groupId><artifactId>spring-boot-starter-actuator</artifactId></dependency>
  </dependencies>
  <build><plugins><plugin><groupId>org.springframework.boot</groupId><artifactId>spring-boot-maven-plugin</artifactId></plugin></plugins></build>
</project>
`,
  'services/billing/mvnw': '#!/bin/sh\n# Maven wrapper\n',
  'services/billing/.mvn/wrapper/maven-wrapper.properties': 'distributionUrl=https://repo.maven.apache.org/maven2/org/apache/maven/apache-maven/3.9.9/apache-maven-3.9.9-bin.zip\n',
  'services/billing/src/main/java/com/ride/billing/BillingApplication.java': 'package com.ride.billing;\n',
  'apps/web-admin/package.json': json({ name: 'web-admin', private: true, type: 'module', scripts: { dev: 'vite', build: 'tsc -b && vite build', lint: 'eslint .', preview: 'vite preview' }, devDependencies: { vite: '^5.4.0', typescript: '^5.6.0' } }),
  'apps/web-admin/pnpm-lock.yaml': "lockfileVersion: '9.0'\n",
  'apps/web-admin/index.html': '<!doctype html><div id="app"></div>\n',
  'services/pricing/pyproject.toml': `[project]
name = "pricing"
version = "0.1.0"
dependencies = ["fastapi>=0.110"]

[project.optional-dependencies]
test = ["pytest>=8", "httpx"]

[tool.ruff]
line-length = 100
`,
  'services/pricing/pricing/__init__.py': '',
  'services/fleet/go.mod': 'module example.com/ride/fleet\n\ngo 1.22\n',
  'services/fleet/main.go': 'package main\n\nimport (\n\t"net/http"\n\t"os"\n)\n\nfunc main() {\n\thttp.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(200) })\n\t_ = http.ListenAndServe("127.0.0.1:"+os.Getenv("PORT"), nil)\n}\n',
};

interface WrittenService {
  path: string;
  gates?: Array<{ name: string; run: string }>;
  build?: { run: string; output: string };
  run?: { command: string; port: number };
  health?: { path: string };
}

describe('gantry init on a monorepo', () => {
  const temp = new TempDirs();
  let root: string;
  let services: Record<string, WrittenService>;
  let stdout: string;

  beforeAll(async () => {
    root = await temp.make('gantry-init-monorepo-');
    await writeTree(root, MONOREPO);
    await chmod(join(root, 'services/billing/mvnw'), 0o755);
    const init = await runCli(['init', root]);
    expect(init.stderr).toBe('');
    expect(init.code).toBe(0);
    stdout = init.stdout;
    services = (parse(await readFile(join(root, 'gantry.yaml'), 'utf8')) as { services: Record<string, WrittenService> }).services;
  });
  afterAll(() => temp.cleanup());

  it('writes a gantry.yaml that gantry validate accepts as it is, without a warning', async () => {
    const validate = await runCli(['validate', '--config', join(root, 'gantry.yaml')]);
    expect(validate.stderr).toBe('');
    expect(validate.stdout).toMatch(/is valid: 5 services, 3 environments$/m);
    expect(validate.code).toBe(0);
  });

  it('finds the five services, not the tooling-only root, and says what each is', () => {
    expect(Object.keys(services).sort()).toEqual(['billing', 'fleet', 'nest-api', 'pricing', 'web-admin']);
    expect(Object.fromEntries(Object.entries(services).map(([name, s]) => [name, s.path]))).toEqual({
      'web-admin': 'apps/web-admin',
      billing: 'services/billing',
      fleet: 'services/fleet',
      'nest-api': 'services/nest-api',
      pricing: 'services/pricing',
    });
    expect(stdout).toMatch(/nest-api\s+NestJS/);
    expect(stdout).toMatch(/billing\s+Spring Boot/);
    expect(stdout).toMatch(/web-admin\s+Vite static site/);
  });

  it('installs a Node service before its gates and builds it with its build script, started by start:prod for NestJS', () => {
    expect(services['nest-api']).toMatchObject({
      gates: [
        { name: 'install', run: 'npm ci' },
        { name: 'lint', run: 'npm run lint' },
        { name: 'test', run: 'npm test' },
        { name: 'build', run: 'npm run build' },
      ],
      build: { run: 'npm ci && npm run build', output: '.' },
      run: { command: 'npm run start:prod' },
    });
  });

  it('deploys the Vite app as a static site served by vite preview on $PORT, installed with its pnpm lock file', () => {
    expect(services['web-admin']).toMatchObject({
      gates: [
        { name: 'install', run: 'pnpm install --frozen-lockfile' },
        { name: 'lint', run: 'pnpm run lint' },
        { name: 'build', run: 'pnpm run build' },
      ],
      build: { run: 'pnpm install --frozen-lockfile && pnpm run build', output: '.' },
      run: { command: 'pnpm exec vite preview --host 127.0.0.1 --port $PORT --strictPort' },
      health: { path: '/' },
    });
  });

  it('deploys the Spring Boot service from the jar ./mvnw packages, checked by its actuator', () => {
    expect(services.billing).toMatchObject({
      gates: [{ name: 'verify', run: './mvnw -B verify' }],
      build: { run: './mvnw -B -DskipTests package', output: 'target' },
      run: { command: 'java -jar *.jar --server.port=$PORT --server.address=127.0.0.1' },
      health: { path: '/actuator/health' },
    });
  });

  it('checks the Python package in a virtualenv with ruff and pytest, and runs it in CI only', () => {
    expect(services.pricing).toEqual({
      path: 'services/pricing',
      gates: [
        { name: 'install', run: "python3 -m venv .venv && .venv/bin/pip install -e '.[test]'" },
        { name: 'lint', run: '.venv/bin/ruff check .' },
        { name: 'test', run: '.venv/bin/pytest' },
      ],
    });
  });

  it('vets, tests, builds and deploys the Go HTTP service', () => {
    expect(services.fleet).toMatchObject({
      gates: [
        { name: 'vet', run: 'go vet ./...' },
        { name: 'test', run: 'go test ./...' },
      ],
      build: { run: 'CGO_ENABLED=0 go build -o bin/server .', output: 'bin' },
      run: { command: './server' },
    });
  });

  it('gives every deployed service its own port', () => {
    const ports = Object.values(services).flatMap((s) => (s.run ? [s.run.port] : []));
    expect(ports).toHaveLength(4);
    expect(new Set(ports).size).toBe(4);
  });
});
