import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/config/loader.js';
import type { GantryConfig } from '../../src/config/types.js';
import { planRun } from '../../src/engine/planner.js';
import type { PlannedStep } from '../../src/domain/run.js';

function example(): GantryConfig {
  const r = parseConfigText(readFileSync('examples/volteryde/gantry.yaml', 'utf8'), 'gantry.yaml');
  if (!r.ok) throw new Error(r.errors.map((e) => e.message).join('; '));
  return r.config;
}

function plan(config: GantryConfig, environment: string): PlannedStep[] {
  const services = Object.keys(config.services);
  return [...planRun({ config, services, serviceTrees: Object.fromEntries(services.map((s) => [s, `tree-${s}`])), environment: config.environments[environment], changeNote: 'n' }).steps];
}

function onDocker(config: GantryConfig, scan: boolean): GantryConfig {
  const staging = config.environments['staging'];
  if (!staging) throw new Error('no staging');
  return {
    ...config,
    registries: { ...config.registries, prod: { name: 'prod', url: 'registry.example.com', plainHttp: false, username: 'ci', passwordSecret: 'REGISTRY_PASSWORD' } },
    targets: { ...config.targets, docker: { name: 'docker', kind: 'docker', engine: undefined, network: 'auto', port: undefined, hosts: [], boot: 1, bootTimeoutMs: undefined, endpoint: undefined } },
    environments: { ...config.environments, staging: { ...staging, target: 'docker', registry: 'prod', imageScan: scan ? { failOn: 'critical', ignore: [] } : undefined } },
    images: { engine: undefined, scanner: { command: 'scan "$GANTRY_IMAGE"', timeoutMs: 60_000 } },
  };
}

describe('planning images', () => {
  it('builds no image for an environment on a local target: it runs the bundle', () => {
    const steps = plan(example(), 'staging');
    expect(steps.filter((s) => s.kind === 'image' || s.kind === 'image-scan')).toEqual([]);
    expect(steps.find((s) => s.kind === 'deploy')?.spec).not.toHaveProperty('image');
  });

  it('builds each image after its bundle for a docker target, scans it, and deploys from the environment registry', () => {
    const steps = plan(onDocker(example(), true), 'staging');
    const image = steps.find((s) => s.key === 'image:nest-api');
    expect(image?.needs).toEqual(['build:nest-api']);
    expect(image?.spec).toMatchObject({ repository: 'volteryde/nest-api', registry: { name: 'main', url: '127.0.0.1:5000', plainHttp: true }, build: { kind: 'assemble', base: '127.0.0.1:5000/volteryde/node-base:20', workdir: '/app' } });
    const scan = steps.find((s) => s.key === 'image-scan:staging:nest-api');
    expect(scan?.needs).toEqual(['image:nest-api']);
    // Scanned where the image is when the scan runs: the build registry (the deploy copies the same digest on).
    expect(scan?.spec).toMatchObject({ failOn: 'critical', registry: { name: 'main' } });
    // Nothing is promoted, approved, locked or deployed before every image is scanned.
    const first = steps.find((s) => s.kind === 'promotion' || s.kind === 'approval' || s.kind === 'environment-lock');
    expect(first?.needs).toEqual(expect.arrayContaining(['image-scan:staging:nest-api', 'image-scan:staging:billing']));
    const deploy = steps.find((s) => s.key === 'deploy:staging:nest-api');
    expect(deploy?.spec).toMatchObject({ image: { repository: 'volteryde/nest-api', from: { name: 'main' }, to: { name: 'prod', url: 'registry.example.com', username: 'ci', passwordSecret: 'REGISTRY_PASSWORD' } } });
  });

  it('reads a base image from the declared registry it is on, when that is not the build registry', () => {
    const base = onDocker(example(), false);
    const api = base.services['nest-api'];
    if (!api?.image) throw new Error('no nest-api image');
    const config: GantryConfig = { ...base, services: { ...base.services, 'nest-api': { ...api, image: { ...api.image, build: { kind: 'assemble', base: 'registry.example.com/library/node:20', workdir: '/app' } } } } };
    const steps = plan(config, 'staging');
    expect(steps.find((s) => s.key === 'image:nest-api')?.spec).toMatchObject({ baseRegistry: { name: 'prod', url: 'registry.example.com' } });
    expect(steps.find((s) => s.key === 'image:billing')?.spec).toMatchObject({ baseRegistry: null });
  });

  it('plans no scan where the environment asks for none', () => {
    const steps = plan(onDocker(example(), false), 'staging');
    expect(steps.some((s) => s.kind === 'image')).toBe(true);
    expect(steps.some((s) => s.kind === 'image-scan')).toBe(false);
  });
});
