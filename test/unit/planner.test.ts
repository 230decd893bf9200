import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/config/loader.js';
import type { GantryConfig } from '../../src/config/types.js';
import { gateCacheKey, planRun } from '../../src/engine/planner.js';
import { SCAN_STEP_KEY } from '../../src/engine/step-keys.js';

const YAML = `version: 1
project: { name: p }
repository: { url: . }
services:
  api:
    path: api
    gates:
      - { name: lint, run: npm run lint }
      - { name: test, run: npm test, retries: 2 }
  web:
    path: web
    gates:
      - { name: lint, run: npm run lint }
  docs:
    path: docs
environments:
  dev: { branch: develop }
`;

function config(): GantryConfig {
  const r = parseConfigText(YAML, 'gantry.yaml');
  if (!r.ok) throw new Error(r.errors.map((e) => e.message).join('; '));
  return r.config;
}

describe('planRun', () => {
  it('chains one service’s gates in declared order and leaves services independent', () => {
    const plan = planRun({ config: config(), services: ['api', 'web'], serviceTrees: { api: 't1', web: 't2' }, environment: undefined, changeNote: 'n' });
    expect(plan.steps.map((s) => [s.key, s.needs])).toEqual([
      ['scan:security', []],
      ['gate:api:lint', ['scan:security']],
      ['gate:api:test', ['gate:api:lint']],
      ['gate:web:lint', ['scan:security']],
    ]);
    expect(plan.steps[2]?.maxAttempts).toBe(3);
  });

  it('plans only the security scan for a change that no gate checks, and nothing when no file changed', () => {
    const docs = planRun({ config: config(), services: ['docs'], serviceTrees: {}, environment: undefined, changeNote: 'n', changedFiles: ['docs/a.md'] });
    expect(docs.steps.map((s) => s.key)).toEqual([SCAN_STEP_KEY]);
    const outside = planRun({ config: config(), services: [], serviceTrees: {}, environment: undefined, changeNote: 'n', changedFiles: ['deploy/key.pem'] });
    expect(outside.steps.map((s) => s.spec)).toEqual([expect.objectContaining({ files: ['deploy/key.pem'], services: [] })]);
    expect(planRun({ config: config(), services: [], serviceTrees: {}, environment: undefined, changeNote: 'n', changedFiles: [] }).steps).toEqual([]);
  });

  it('plans no deployment for an environment whose services have no run command, and says so', () => {
    const c = config();
    const plan = planRun({ config: c, services: ['api', 'web'], serviceTrees: {}, environment: c.environments.dev, changeNote: 'n' });
    expect(plan.steps.every((s) => s.kind === 'gate' || s.kind === 'scan')).toBe(true);
    expect(plan.notes.join(' ')).toMatch(/dev deploys nothing: none of its services has a `run` command/);
  });

  it('keys the gate cache on content, command, env and secrets, and nothing else', () => {
    const gate = config().services.api?.gates[0];
    if (!gate) throw new Error('no gate');
    const key = gateCacheKey('tree-a', gate, []);
    expect(gateCacheKey('tree-a', gate, [])).toBe(key);
    expect(gateCacheKey('tree-b', gate, [])).not.toBe(key);
    expect(gateCacheKey('tree-a', { ...gate, run: 'npm run lint -- --fix' }, [])).not.toBe(key);
    expect(gateCacheKey('tree-a', { ...gate, env: { NODE_ENV: 'test' } }, [])).not.toBe(key);
    expect(gateCacheKey('tree-a', gate, ['NPM_TOKEN'])).not.toBe(key);
  });
});
