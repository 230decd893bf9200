import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withGuardRules } from '../../src/config/guard-overlay.js';
import { parseConfigText } from '../../src/config/loader.js';
import type { ConfigIssue } from '../../src/config/loader.js';
import { routeLayout } from '../../src/targets/local/route-layout.js';
import { yaml } from '../fixtures/config/yaml-text.js';
import { runCli } from '../support/cli.js';

/** A production environment with three regions; `extra` is added under it (indented for it). */
const config = (extra: string, regions = true): string => yaml`
  version: 1
  project:
    name: shop
  repository:
    url: .
  services:
    api:
      path: api
      run:
        command: node server.mjs
        port: 3000
  targets:
    us: { kind: local }
    eu: { kind: local }
    ap: { kind: local }
  environments:
    production:
      branch: main
      portOffset: 200
${regions ? `      regions:
        us-east-1: { target: us }
        eu-west-1: { target: eu, portOffset: 10 }
        ap-south-1: { target: ap, portOffset: 20 }
` : ''}${extra}`;

function errorsOf(text: string): ConfigIssue[] {
  const result = parseConfigText(text, 'gantry.yaml');
  if (result.ok) throw new Error('expected errors, the config loaded');
  return result.errors;
}

describe('regions, waves and onFailure in gantry.yaml', () => {
  it('defaults to one wave per region in declared order, rolling back every region on a failure', () => {
    const result = parseConfigText(config(''), 'gantry.yaml');
    if (!result.ok) throw new Error(result.errors.map((e) => e.message).join('; '));
    const env = result.config.environments.production;
    expect(env?.waves).toEqual([['us-east-1'], ['eu-west-1'], ['ap-south-1']]);
    expect(env?.onFailure).toBe('rollback-all');
    expect(env?.regions).toEqual([
      { name: 'us-east-1', target: 'us', portOffset: 0 },
      { name: 'eu-west-1', target: 'eu', portOffset: 10 },
      { name: 'ap-south-1', target: 'ap', portOffset: 20 },
    ]);
    // Each region's agent serves production at the environment's and the region's offsets together.
    expect(routeLayout(result.config, 'eu').map((r) => [r.environment, r.service, r.port])).toEqual([['production', 'api', 3210]]);
    expect(routeLayout(result.config, 'local')).toEqual([]);
  });

  it('refuses a wave naming an undeclared region, suggesting the nearest', () => {
    const errors = errorsOf(config('      waves: [[us-east-1], [eu-west-2, ap-south-1]]\n'));
    const issue = errors.find((e) => e.code === 'CONFIG_UNKNOWN_REGION');
    expect(issue?.message).toContain('environments.production.waves[1][0] names "eu-west-2", which is not a region of production');
    expect(issue?.hint).toBe('did you mean "eu-west-1"?');
    expect(issue?.line).toBe(24);
  });

  it('refuses a region in two waves and one left out of every wave', () => {
    const errors = errorsOf(config('      waves: [[us-east-1], [us-east-1, ap-south-1]]\n'));
    expect(errors.map((e) => [e.code, e.message])).toEqual([
      ['CONFIG_REGIONS_INVALID', 'waves of production leave out region(s) "eu-west-1"'],
      ['CONFIG_REGIONS_INVALID', 'region "us-east-1" is in wave 1 and again in wave 2'],
    ]);
  });

  it('refuses target beside regions, two regions on one target, and an undeclared region target', () => {
    const text = config('      target: us\n').replace('ap-south-1: { target: ap, portOffset: 20 }', 'ap-south-1: { target: eu, portOffset: 20 }\n      sa-east-1: { target: sa, portOffset: 30 }');
    const errors = errorsOf(text);
    expect(errors.map((e) => e.code).sort()).toEqual(['CONFIG_REGIONS_INVALID', 'CONFIG_REGIONS_INVALID', 'CONFIG_UNKNOWN_TARGET']);
    expect(errors.find((e) => e.message.includes('sets both target and regions'))?.hint).toContain("each region's target");
    expect(errors.find((e) => e.message.includes('two regions of production name the target "eu"'))).toBeDefined();
  });

  it('refuses waves and onFailure without regions, and a backup or a pausing watch with regions (not per region yet)', () => {
    const without = errorsOf(config('      waves: [[us-east-1]]\n      onFailure: stop\n', false));
    expect(without.map((e) => [e.code, e.message])).toEqual([
      ['CONFIG_REGIONS_INVALID', 'environments.production.waves is set but production has no regions'],
      ['CONFIG_REGIONS_INVALID', 'environments.production.onFailure is set but production has no regions'],
    ]);
    const backup = errorsOf(config('      backup: { retention: 30d }\n'));
    expect(backup.map((e) => e.code)).toEqual(['CONFIG_UNSUPPORTED']);
    const paused = errorsOf(config('      watch: { duration: 1m, onInconclusive: pause }\n'));
    expect(paused.map((e) => [e.code, e.message])).toEqual([['CONFIG_UNSUPPORTED', 'environments.production.watch.onInconclusive: pause is not supported with regions yet']]);
  });

  it('refuses two regions whose agents would bind one port, blaming the later region', () => {
    const errors = errorsOf(config('').replace('ap-south-1: { target: ap, portOffset: 20 }', 'ap-south-1: { target: ap, portOffset: 10 }'));
    expect(errors.map((e) => [e.code, e.message, e.line])).toEqual([['CONFIG_PORT_CONFLICT', 'port 3210 is used by both api in production@eu-west-1 (3000 + portOffset 210) and api in production@ap-south-1 (3000 + portOffset 210)', 23]]);
  });

  it('refuses an onFailure that is neither rollback-all nor stop', () => {
    expect(errorsOf(config('      onFailure: continue\n')).map((e) => e.code)).toEqual(['CONFIG_INVALID_VALUE']);
  });

  it('guards where each region deploys like target: a commit moving a region to another target is a change the running server cannot apply', () => {
    const load = (text: string) => {
      const r = parseConfigText(text, 'gantry.yaml');
      if (!r.ok) throw new Error(r.errors.map((e) => e.message).join('; '));
      return r.config;
    };
    const base = load(config(''));
    const moved = load(config('').replace('eu-west-1: { target: eu, portOffset: 10 }', 'eu-west-1: { target: ap, portOffset: 10 }').replace('ap-south-1: { target: ap, portOffset: 20 }', 'ap-south-1: { target: eu, portOffset: 20 }'));
    const overlay = withGuardRules(base, moved);
    expect(overlay.unapplied).toEqual(['environments.production.regions.ap-south-1: "ap" → "eu"', 'environments.production.regions.eu-west-1: "eu" → "ap"']);
    expect(overlay.config.environments.production?.regions.map((r) => r.target)).toEqual(['us', 'eu', 'ap']);
    expect(withGuardRules(base, base).unapplied).toEqual([]);
  });

  describe('through gantry validate', () => {
    let dir = '';
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'gantry-regions-'));
    });
    afterAll(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it('prints the unknown region with its line, the suggestion, and exits non-zero', async () => {
      const file = join(dir, 'gantry.yaml');
      await writeFile(file, config('      waves: [[us-east-1], [eu-west-2, ap-south-1]]\n'));
      const r = await runCli(['validate', '--config', file]);
      expect(r.code).not.toBe(0);
      expect(`${r.stdout}${r.stderr}`).toContain('CONFIG_UNKNOWN_REGION');
      expect(`${r.stdout}${r.stderr}`).toContain('gantry.yaml:24');
      expect(`${r.stdout}${r.stderr}`).toContain('did you mean "eu-west-1"?');
    });
  });
});
