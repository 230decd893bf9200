import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/config/loader.js';
import type { GantryConfig } from '../../src/config/types.js';
import { planRun } from '../../src/engine/planner.js';
import { parseStepSpec } from '../../src/engine/step-specs/index.js';

const CONFIG = `version: 1
project: { name: shop }
repository: { url: . }
registries:
  main: { url: 127.0.0.1:5000 }
  prod: { url: registry.example.com, username: ci, passwordSecret: REGISTRY_PASSWORD }
images:
  registry: main
  scanner: { command: 'trivy image --format json --quiet "$GANTRY_IMAGE"', timeout: 5m }
services:
  api:
    path: services/api
    build: { run: npm run build, output: dist }
    run: { command: node server.mjs, port: 3000 }
    image: { base: '127.0.0.1:5000/base/node:20' }
environments:
  staging: { branch: staging, portOffset: 100 }
  production:
    branch: main
    registry: prod
    imageScan: { failOn: high, ignore: [CVE-2023-45853] }
`;

function config(): GantryConfig {
  const r = parseConfigText(CONFIG, 'gantry.yaml');
  if (!r.ok) throw new Error(r.errors.map((e) => e.message).join('; '));
  return r.config;
}

const plan = (environment: string) => {
  const c = config();
  return planRun({ config: c, services: ['api'], serviceTrees: { api: 'tree-api' }, environment: c.environments[environment], changeNote: 'n' }).steps;
};

describe('planning the image scan', () => {
  it('scans the image in the registry the image step pushed it to, before the deploy, with the environment policy and the scanner settings', () => {
    const steps = plan('production');
    const scan = steps.find((s) => s.kind === 'image-scan');
    expect(scan).toMatchObject({ key: 'image-scan:production:api', service: 'api', environment: 'production', needs: ['image:api'] });
    // The environment's own registry (prod) gets the digest only when its deploy copies it there.
    expect(parseStepSpec('image-scan', scan?.key ?? '', JSON.parse(JSON.stringify(scan?.spec)))).toMatchObject({
      imageStep: 'image:api',
      registry: { name: 'main', url: '127.0.0.1:5000', plainHttp: true },
      repository: 'shop/api',
      scanner: { command: 'trivy image --format json --quiet "$GANTRY_IMAGE"', timeoutMs: 300_000 },
      failOn: 'high',
      ignore: ['CVE-2023-45853'],
      timeoutMs: 330_000,
    });
    const deploy = steps.find((s) => s.kind === 'deploy');
    const before = new Set<string>();
    const visit = (key: string): void => {
      for (const need of steps.find((s) => s.key === key)?.needs ?? []) {
        if (before.has(need)) continue;
        before.add(need);
        visit(need);
      }
    };
    visit(deploy?.key ?? '');
    expect(before.has('image-scan:production:api')).toBe(true);
  });

  it('plans no scan for an environment without imageScan', () => {
    expect(plan('staging').filter((s) => s.kind === 'image-scan')).toEqual([]);
  });
});
