import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { TempDirs } from '../support/temp.js';

/**
 * Issue 15, item 4: faults are only ever injected where gantry.yaml allows them. `gantry validate`
 * (the built CLI, as a user runs it) refuses a chaos check on an environment that does not say
 * `chaos: { allowed: true }`, production included, and says where and why.
 */

const CHAOS = `      - kind: chaos
        duration: 5s
        faults: { abort: { status: 503, share: 0.1 } }
        load: { service: api }
        maxErrorRate: 0.2
`;

function config(staging: string, production: string): string {
  return `version: 1
project:
  name: chaos-validate
repository:
  url: .
services:
  api:
    path: api
    run:
      command: node server.mjs
      port: 4100
environments:
  staging:
    branch: staging
${staging}  production:
    branch: main
    portOffset: 10
${production}`;
}

const temp = new TempDirs();
afterAll(() => temp.cleanup());

async function validate(text: string): Promise<{ code: number; errors: Array<{ code: string; path: Array<string | number>; line: number; message: string; hint?: string }>; stderr: string }> {
  const dir = await temp.make();
  await mkdir(join(dir, 'api'));
  await writeFile(join(dir, 'gantry.yaml'), text);
  const json = await runCli(['validate', '--config', join(dir, 'gantry.yaml'), '--output', 'json']);
  const plain = await runCli(['validate', '--config', join(dir, 'gantry.yaml')]);
  const report = JSON.parse(json.stdout || '{"errors":[]}') as { errors: Array<{ code: string; path: Array<string | number>; line: number; message: string; hint?: string }> };
  return { code: json.code, errors: report.errors, stderr: plain.stderr };
}

describe('gantry validate and chaos checks', () => {
  it('refuses a chaos check on production without chaos.allowed, saying production needs it explicitly', async () => {
    const result = await validate(config('', `    verify:\n${CHAOS}`));
    expect(result.code).toBe(1);
    expect(result.errors.map((e) => `${e.line} ${e.code}`)).toEqual(['19 CONFIG_CHAOS_NOT_ALLOWED']);
    expect(result.errors[0]?.message).toContain('environments.production.verify[0] is a chaos check, but production is a production environment');
    expect(result.errors[0]?.hint).toContain('production needs it explicitly: add `chaos: { allowed: true }` to environments.production');
    expect(result.stderr).toContain('gantry.yaml:19');
    expect(result.stderr).not.toMatch(/INTERNAL|\n\s+at /);
  });

  it('treats an environment guarded by approvals like production', async () => {
    const result = await validate(config(`    approvals: { required: 1 }\n    verify:\n${CHAOS}`, ''));
    expect(result.errors.map((e) => e.code)).toEqual(['CONFIG_CHAOS_NOT_ALLOWED']);
    expect(result.errors[0]?.message).toContain('staging is a production environment');
    expect(result.errors[0]?.hint).toContain('production needs it explicitly');
  });

  it('refuses a chaos check on a staging environment that does not allow it', async () => {
    const result = await validate(config(`    verify:\n${CHAOS}`, ''));
    expect(result.code).toBe(1);
    expect(result.errors.map((e) => e.code)).toEqual(['CONFIG_CHAOS_NOT_ALLOWED']);
    expect(result.errors[0]?.message).toContain('staging does not allow faults');
  });

  it('accepts it where the environment allows it, production included when it says so itself', async () => {
    const allowed = `    chaos: { allowed: true }\n    verify:\n${CHAOS}`;
    const result = await validate(config(allowed, allowed));
    expect(result.errors).toEqual([]);
    expect(result.code).toBe(0);
  });

  it('refuses a chaos check in an environment whose traffic goes through HAProxy, where the faults would touch none of it', async () => {
    const haproxy = `    chaos: { allowed: true }\n    router: { kind: haproxy, runtimeApi: '127.0.0.1:9999', url: 'http://127.0.0.1:8080' }\n    verify:\n${CHAOS}`;
    const result = await validate(config(haproxy, ''));
    expect(result.code).toBe(1);
    expect(result.errors.map((e) => e.code)).toEqual(['CONFIG_UNSUPPORTED']);
    expect(result.errors[0]?.message).toContain("staging's traffic goes through HAProxy");
  });

  it('refuses chaos.allowed written as a string, and a fault share above 1, naming the key', async () => {
    const result = await validate(config(`    chaos: { allowed: "yes" }\n    verify:\n${CHAOS.replace('share: 0.1', 'share: 1.5')}`, ''));
    expect(result.code).toBe(1);
    const paths = result.errors.map((e) => e.path.join('.'));
    expect(paths).toEqual(expect.arrayContaining(['environments.staging.chaos.allowed', 'environments.staging.verify.0.faults.abort.share']));
  });
});
