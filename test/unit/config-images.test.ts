import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/config/loader.js';
import type { ConfigIssue, LoadResult } from '../../src/config/loader.js';
import { parseMemorySize } from '../../src/config/memory-size.js';

const BASE = `version: 1
project: { name: shop }
repository: { url: . }
registries:
  main: { url: 127.0.0.1:5000 }
  prod: { url: registry.example.com, username: ci, passwordSecret: REGISTRY_PASSWORD }
images:
  registry: main
  scanner: { command: 'trivy image --format json "$GANTRY_IMAGE"' }
targets:
  web: { kind: docker, boot: 2, hosts: [{ name: web-1, address: '10.0.0.2:7443', tokenSecret: AGENT_TOKEN_WEB_1 }] }
services:
  api:
    path: services/api
    build: { run: npm run build, output: dist }
    run: { command: node server.mjs, port: 3000, limits: { cpus: 0.5, memory: 256m } }
    image: { base: '127.0.0.1:5000/base/node:20' }
`;

function load(text: string): LoadResult {
  return parseConfigText(text, 'gantry.yaml');
}
const codes = (result: LoadResult): string[] => (result.ok ? [] : result.errors.map((e: ConfigIssue) => `${e.code} ${e.path.join('.')}`));

describe('gantry.yaml: images, registries and docker targets', () => {
  it('resolves an image, its registry, limits and a docker target with hosts', () => {
    const result = load(`${BASE}environments:\n  production:\n    branch: main\n    target: web\n    registry: prod\n    imageScan: { failOn: high, ignore: [CVE-2024-1] }\n`);
    if (!result.ok) throw new Error(codes(result).join(', '));
    const { config } = result;
    expect(config.services['api']?.image).toEqual({ registry: 'main', repository: 'shop/api', build: { kind: 'assemble', base: '127.0.0.1:5000/base/node:20', workdir: '/app' } });
    expect(config.services['api']?.run?.limits).toEqual({ cpus: 0.5, memoryBytes: 256 * 1024 ** 2 });
    expect(config.registries['main']?.plainHttp).toBe(true);
    expect(config.registries['prod']).toMatchObject({ plainHttp: false, username: 'ci', passwordSecret: 'REGISTRY_PASSWORD' });
    expect(config.environments['production']).toMatchObject({ registry: 'prod', imageScan: { failOn: 'high', ignore: ['CVE-2024-1'] } });
    expect(config.targets['web']).toMatchObject({ kind: 'docker', boot: 2, network: 'auto', hosts: [{ name: 'web-1', address: '10.0.0.2:7443', tokenSecret: 'AGENT_TOKEN_WEB_1' }] });
    expect(config.images.scanner?.command).toContain('trivy');
  });

  it('refuses an image with both base and dockerfile, or neither', () => {
    const both = load(BASE.replace("image: { base: '127.0.0.1:5000/base/node:20' }", "image: { base: 'x/y:1', dockerfile: Dockerfile }"));
    expect(codes(both).join()).toContain('services.api.image');
    const neither = load(BASE.replace("image: { base: '127.0.0.1:5000/base/node:20' }", 'image: { workdir: /srv }'));
    expect(codes(neither).join()).toContain('services.api.image');
  });

  it('names an undeclared registry, with the nearest one as hint', () => {
    const result = load(`${BASE}environments:\n  production:\n    branch: main\n    registry: prd\n`);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const issue = result.errors.find((e) => e.code === 'CONFIG_UNKNOWN_REGISTRY');
    expect(issue?.path).toEqual(['environments', 'production', 'registry']);
    expect(issue?.hint).toContain('prod');
  });

  it('refuses a docker target for a service without an image, and a scan without a scanner', () => {
    const text = BASE.replace("    image: { base: '127.0.0.1:5000/base/node:20' }\n", '').replace(/images:\n {2}registry: main\n {2}scanner: .*\n/, '');
    const result = load(`${text}environments:\n  production:\n    branch: main\n    target: web\n    imageScan: { failOn: critical }\n`);
    expect(codes(result)).toEqual(expect.arrayContaining(['CONFIG_IMAGE_MISSING environments.production', 'CONFIG_MISSING_KEY environments.production.imageScan']));
  });

  it('refuses a memory limit the Docker engine would refuse, at its line', () => {
    expect(codes(load(BASE.replace('memory: 256m', 'memory: 4m')))).toEqual(['CONFIG_INVALID_VALUE services.api.run.limits.memory']);
  });

  it('reads memory sizes the way Docker and Kubernetes write them', () => {
    expect(parseMemorySize('256m')).toBe(268_435_456);
    expect(parseMemorySize('512Mi')).toBe(536_870_912);
    expect(parseMemorySize('1g')).toBe(1_073_741_824);
    expect(parseMemorySize('100MB')).toBe(100_000_000);
    expect(parseMemorySize(4096)).toBe(4096);
  });
});
