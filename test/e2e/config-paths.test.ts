import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lintOnlyConfig } from '../support/ci-config.js';
import { runCli } from '../support/cli.js';
import { fixtureRepo, pushChange, writeTree } from '../support/fixture-repo.js';
import { TempDirs } from '../support/temp.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

const CONFIG = `version: 1
project:
  name: paths
repository:
  url: .
  sharedPaths: [libs/shared]
services:
  api:
    path: api
    gates:
      - name: lint
        run: echo linted
  web:
    path: web-app
    watch: [config/web.json]
    gates:
      - name: lint
        run: echo linted
`;

describe('service paths checked against the repository', () => {
  const temp = new TempDirs();
  afterAll(() => temp.cleanup());

  describe('gantry validate, against the working tree', () => {
    it('refuses a service path that does not exist, at its line and column, with a hint', async () => {
      const dir = await temp.make();
      await writeTree(dir, { 'gantry.yaml': CONFIG, 'api/index.js': '', 'libs/shared/x.js': '', 'config/web.json': '{}' });
      const result = await runCli(['validate', '--config', join(dir, 'gantry.yaml')]);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('gantry.yaml:14:11');
      expect(result.stderr).toContain('CONFIG_PATH_NOT_FOUND');
      expect(result.stderr).toContain('"web-app" does not exist');
      expect(result.stderr).toMatch(/hint: .*relative to the repository root/);
      expect(result.stderr).not.toMatch(/INTERNAL|\n\s+at /);
    });

    it('refuses a service path that is a file, and warns about watched and shared paths that do not exist', async () => {
      const dir = await temp.make();
      await writeTree(dir, { 'gantry.yaml': CONFIG, 'api/index.js': '', 'web-app': 'not a folder\n' });
      const result = await runCli(['validate', '--config', join(dir, 'gantry.yaml'), '--output', 'json']);
      expect(result.code).toBe(1);
      const report = JSON.parse(result.stdout) as { errors: Array<{ code: string; line: number; message: string }>; warnings: Array<{ code: string; line: number }> };
      expect(report.errors.map((e) => `${e.line} ${e.code}`)).toEqual(['14 CONFIG_PATH_NOT_FOUND']);
      expect(report.errors[0]?.message).toContain('is a file, not a folder');
      expect(report.warnings.map((w) => `${w.line} ${w.code}`)).toEqual(['6 CONFIG_PATH_NOT_FOUND', '15 CONFIG_PATH_NOT_FOUND']);
    });

    it('accepts the file once every folder exists', async () => {
      const dir = await temp.make();
      await writeTree(dir, { 'gantry.yaml': CONFIG, 'api/index.js': '', 'web-app/index.js': '', 'libs/shared/x.js': '', 'config/web.json': '{}' });
      const result = await runCli(['validate', '--config', join(dir, 'gantry.yaml')]);
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
    });

    it('checks the folder repository.url names, relative to the file', async () => {
      const dir = await temp.make();
      await mkdir(join(dir, 'ops'));
      await writeTree(dir, { 'checkout/api/index.js': '', 'checkout/libs/shared/x.js': '', 'checkout/config/web.json': '{}' });
      await writeFile(join(dir, 'ops', 'gantry.yaml'), CONFIG.replace('url: .', 'url: ../checkout'));
      const result = await runCli(['validate', '--config', join(dir, 'ops', 'gantry.yaml')]);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`"web-app" does not exist in ${join(dir, 'checkout')}`);
    });
  });

  describe('a push whose gantry.yaml names a missing folder', () => {
    let t: TestServer;
    let firstId = 0;
    beforeAll(async () => {
      const root = await temp.make();
      const repo = await fixtureRepo(root, { 'gantry.yaml': lintOnlyConfig('paths-push'), 'api/x.js': 'export {};\n' });
      t = await startTestServer(root, repo, lintOnlyConfig('paths-push'));
      // The first poll learns the branch heads; the push after it is what the watcher sees as new.
      await t.server.watcher.poll();
      const before = await t.api<{ runs: Array<{ id: number }> }>('GET', '/api/v1/runs?branch=develop&limit=1');
      firstId = before.body.runs[0]?.id ?? 0;
      const added = lintOnlyConfig('paths-push').replace('environments:', '  worker:\n    path: services/worker\n    gates:\n      - name: lint\n        run: echo linted\nenvironments:');
      await pushChange(repo, 'develop', { 'gantry.yaml': added }, 'add a worker, forget its folder');
    });
    afterAll(async () => {
      await t.close();
    });

    it('fails the run with a config error at the line of the path, before any step, not as an internal bug', async () => {
      const { run: done, steps } = await t.finished((await t.runFor('develop', firstId)).id);
      expect(done.state).toBe('failed');
      expect(done.error?.code).toBe('CONFIG_PATH_NOT_FOUND');
      expect(done.error?.logTail?.join('\n')).toMatch(/gantry\.yaml:14:11 CONFIG_PATH_NOT_FOUND services\.worker\.path: "services\/worker" does not exist in commit [0-9a-f]{7}/);
      expect(steps).toEqual([]);
    });
  });
});
