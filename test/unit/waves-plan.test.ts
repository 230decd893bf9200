import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/config/loader.js';
import type { GantryConfig } from '../../src/config/types.js';
import { rolloutSteps } from '../../src/engine/deploy-plan.js';
import { deployKey, parseStepKey, verifyKey, watchKey } from '../../src/engine/step-keys.js';
import { failedWave } from '../../src/steps/support/failed-wave.js';
import { yaml } from '../fixtures/config/yaml-text.js';

const load = (regions: boolean): GantryConfig => {
  const text = yaml`
    version: 1
    project:
      name: shop
    repository:
      url: .
    services:
      api:
        path: api
        run: { command: node api.mjs, port: 3000 }
      web:
        path: web
        run: { command: node web.mjs, port: 3100 }
    targets:
      us: { kind: local }
      eu: { kind: local }
      ap: { kind: local }
    environments:
      production:
        branch: main
        watch: { duration: 1m }
        onFailure: stop
        waves: [[us-east-1], [eu-west-1, ap-south-1]]
        regions:
          us-east-1: { target: us }
          eu-west-1: { target: eu, portOffset: 10 }
          ap-south-1: { target: ap, portOffset: 20 }
  `;
  const result = parseConfigText(regions ? text : text.replace(/ {4}onFailure[^]*$/, ''), 'gantry.yaml');
  if (!result.ok) throw new Error(result.errors.map((e) => e.message).join('; '));
  return result.config;
};

const plan = (config: GantryConfig) => {
  const env = config.environments.production;
  if (!env) throw new Error('no production');
  return rolloutSteps(config, env, env.services, 'lock:production', [{ kind: 'health' }], {}, true);
};

describe('the plan of an environment with regions', () => {
  it('deploys, verifies and watches each region; a wave needs every step of the one before; finalize follows the last wave', () => {
    const steps = plan(load(true));
    const needs = Object.fromEntries(steps.map((s) => [s.key, s.needs]));
    expect(needs['deploy:production:api@us-east-1']).toEqual(['lock:production']);
    expect(needs['deploy:production:web@us-east-1']).toEqual(['deploy:production:api@us-east-1']);
    expect(needs['verify:production@us-east-1']).toEqual(['deploy:production:web@us-east-1']);
    expect(needs['watch:production@us-east-1']).toEqual(['verify:production@us-east-1']);
    // Both regions of wave 2 start together, once wave 1 was watched.
    expect(needs['deploy:production:api@eu-west-1']).toEqual(['watch:production@us-east-1']);
    expect(needs['deploy:production:api@ap-south-1']).toEqual(['watch:production@us-east-1']);
    expect(needs['finalize:production']).toEqual(['watch:production@eu-west-1', 'watch:production@ap-south-1']);
    const rollback = steps.find((s) => s.key === 'rollback:production');
    expect(rollback?.when).toBe('failure');
    expect(rollback?.needs).toHaveLength(steps.length - 1);
    expect(rollback?.spec).toMatchObject({ regions: { waves: [['us-east-1'], ['eu-west-1', 'ap-south-1']], onFailure: 'stop' } });
    // Each region's steps go to its own target, and its revisions learn their region.
    const eu = steps.find((s) => s.key === 'deploy:production:api@eu-west-1');
    expect(eu?.spec).toMatchObject({ target: 'eu', region: 'eu-west-1', env: { GANTRY_REGION: 'eu-west-1' } });
    expect(eu?.name).toBe('deploy api → production@eu-west-1 (rolling)');
    expect(steps.find((s) => s.key === 'watch:production@ap-south-1')?.spec).toMatchObject({ target: 'ap', region: 'ap-south-1' });
  });

  it('plans an environment without regions exactly as before: the same keys, needs and specs without a region', () => {
    const steps = plan(load(false));
    expect(steps.map((s) => [s.key, s.needs])).toEqual([
      ['deploy:production:api', ['lock:production']],
      ['deploy:production:web', ['deploy:production:api']],
      ['verify:production', ['deploy:production:web']],
      ['watch:production', ['verify:production']],
      ['finalize:production', ['watch:production']],
      ['rollback:production', ['deploy:production:api', 'deploy:production:web', 'verify:production', 'watch:production', 'finalize:production']],
    ]);
    for (const s of steps) expect(s.spec).not.toHaveProperty('region');
    expect(steps[0]?.spec).not.toHaveProperty('env.GANTRY_REGION');
    expect(steps.find((s) => s.kind === 'rollback')?.spec).not.toHaveProperty('regions');
  });
});

describe('regional step keys', () => {
  it('read back what they were built from', () => {
    expect(parseStepKey(deployKey('production', 'api', 'eu-west-1'))).toEqual({ kind: 'deploy', environment: 'production', service: 'api', region: 'eu-west-1' });
    expect(parseStepKey(verifyKey('production', 'eu-west-1'))).toEqual({ kind: 'verify', environment: 'production', region: 'eu-west-1' });
    expect(parseStepKey(watchKey('production'))).toEqual({ kind: 'watch', environment: 'production' });
    expect(parseStepKey('lock:production@eu-west-1')).toBeUndefined();
    expect(parseStepKey('deploy:production:api@')).toBeUndefined();
    // A branch may hold an @: the protection key keeps it whole.
    expect(parseStepKey('protection:release@2')).toEqual({ kind: 'protection', branch: 'release@2' });
  });

  it('find the earliest wave with a failed or cancelled step', () => {
    const waves = [['us-east-1'], ['eu-west-1', 'ap-south-1'], ['sa-east-1']];
    expect(failedWave([{ key: 'verify:production@ap-south-1', state: 'failed' }, { key: 'deploy:production:api@sa-east-1', state: 'cancelled' }], waves)).toBe(1);
    expect(failedWave([{ key: 'watch:production@us-east-1', state: 'succeeded' }, { key: 'lock:production', state: 'failed' }], waves)).toBeUndefined();
  });
});
