import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildSbom, finalBaseRef, ImageError, imageLabels, parseImageRef, parseStages, readLockedPackages, releaseTags, sbomTag } from '../../src/artifacts/images/index.js';
import { TempDirs } from '../support/temp.js';

const temp = new TempDirs();
afterAll(() => temp.cleanup());

describe('image references', () => {
  it('reads a host, a repository and a tag or digest', () => {
    expect(parseImageRef('127.0.0.1:5000/base/node:20')).toEqual({ registry: '127.0.0.1:5000', repository: 'base/node', reference: '20' });
    const digest = `sha256:${'c'.repeat(64)}`;
    expect(parseImageRef(`registry.example/a/b:1@${digest}`)).toEqual({ registry: 'registry.example', repository: 'a/b', reference: digest });
    expect(parseImageRef('localhost/x:y').registry).toBe('localhost');
  });

  it.each(['node:20', 'library/node:20', 'Registry.example/A:1', 'registry.example/a', 'registry.example/a@sha256:123'])('refuses %j with IMAGE_REF_INVALID', (ref) => {
    expect(() => parseImageRef(ref)).toThrow(ImageError);
    try {
      parseImageRef(ref);
    } catch (error: unknown) {
      expect((error as ImageError).code).toBe('IMAGE_REF_INVALID');
      expect((error as ImageError).message).toContain(ref);
    }
  });
});

describe('Dockerfile stages', () => {
  it('reads FROM lines with platforms, names and continuations', () => {
    const text = 'ARG V=1\nFROM --platform=linux/amd64 node:20 AS build\nRUN x\nFROM \\\n  reg.example/base@sha256:abc as Final\nFROM build\n';
    expect(parseStages(text)).toEqual([
      { from: 'node:20', name: 'build' },
      { from: 'reg.example/base@sha256:abc', name: 'final' },
      { from: 'build', name: undefined },
    ]);
  });
});

describe('the base of a Dockerfile build, for the SBOM', () => {
  const text = 'FROM reg.example/node:20 AS deps\nFROM deps AS build\nFROM reg.example/distroless@sha256:abc AS runtime\nFROM build AS test\n';

  it('is the FROM of the built stage, followed through stages built on earlier ones', () => {
    expect(finalBaseRef(text, undefined)).toBe('reg.example/node:20');
    expect(finalBaseRef(text, 'runtime')).toBe('reg.example/distroless@sha256:abc');
    expect(finalBaseRef(text, 'BUILD')).toBe('reg.example/node:20');
  });

  it('is unknown for scratch, a FROM made of build arguments, or a missing target', () => {
    expect(finalBaseRef('FROM scratch\n', undefined)).toBeUndefined();
    expect(finalBaseRef('ARG BASE\nFROM $BASE\n', undefined)).toBeUndefined();
    expect(finalBaseRef(text, 'nope')).toBeUndefined();
  });
});

describe('labels and tags', () => {
  it('puts the OCI labels over the user\'s, sorted, with the commit time in whole seconds', () => {
    const labels = imageLabels(
      { revision: 'abc', source: 'https://git.example/r.git', created: new Date('2026-01-02T03:04:05.678Z'), title: 'api', version: '1.0.0' },
      { zeta: '1', 'org.opencontainers.image.revision': 'spoofed' },
    );
    expect(labels['org.opencontainers.image.revision']).toBe('abc');
    expect(labels['org.opencontainers.image.created']).toBe('2026-01-02T03:04:05Z');
    expect(Object.keys(labels)).toEqual([...Object.keys(labels)].sort());
    expect(labels['zeta']).toBe('1');
  });

  it('names a release\'s tags: the sha and <env>-latest move, <env>-r<N> does not', () => {
    expect(releaseTags({ sha: 'abc', environment: 'production', revision: 7 })).toEqual({ movable: ['abc', 'production-latest'], immutable: ['production-r7'] });
    expect(releaseTags({ sha: 'abc', environment: 'dev' }).immutable).toEqual([]);
    expect(sbomTag(`sha256:${'d'.repeat(64)}`)).toBe(`sha256-${'d'.repeat(64)}.sbom`);
  });
});

describe('the SBOM', () => {
  it('lists the shipped npm packages of a v3 lock file, not dev or linked ones', async () => {
    const dir = await temp.make('gantry-lock-');
    const lockfile = join(dir, 'package-lock.json');
    await writeFile(
      lockfile,
      JSON.stringify({
        lockfileVersion: 3,
        packages: {
          '': { name: 'svc', version: '1.0.0' },
          'node_modules/zod': { version: '4.0.0', integrity: `sha512-${Buffer.alloc(64, 1).toString('base64')}` },
          'node_modules/a/node_modules/@s/b': { version: '1.0.0' },
          'node_modules/vitest': { version: '3.0.0', dev: true },
          'node_modules/local': { link: true, resolved: 'packages/local' },
        },
      }),
    );
    const packages = await readLockedPackages(lockfile);
    expect(packages?.map((p) => `${p.name}@${p.version}`)).toEqual(['@s/b@1.0.0', 'zod@4.0.0']);
    expect(packages?.[1]?.sha512).toBe('01'.repeat(64));
    expect(await readLockedPackages(join(dir, 'missing.json'))).toBeUndefined();
  });

  it('is the same document for the same input, and names the service, the base by digest and the packages', () => {
    const input = {
      service: 'api',
      version: '1.0.0',
      revision: 'abc',
      created: new Date('2026-01-02T03:04:05Z'),
      base: { ref: 'reg.example/base/node:20', digest: `sha256:${'e'.repeat(64)}` },
      packages: [{ name: '@s/b', version: '1.0.0' }, { name: 'zod', version: '4.0.0' }],
    };
    const one = buildSbom(input);
    expect(buildSbom(input)).toEqual(one);
    const bom = JSON.parse(one.json) as { specVersion: string; serialNumber: string; metadata: { timestamp: string; component: { name: string } }; components: Array<{ type: string; name: string; purl: string; version: string }> };
    expect(bom.specVersion).toBe('1.5');
    expect(bom.serialNumber).toMatch(/^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(bom.metadata.timestamp).toBe('2026-01-02T03:04:05.000Z');
    expect(bom.metadata.component.name).toBe('api');
    expect(bom.components.find((c) => c.type === 'container')).toMatchObject({ name: 'reg.example/base/node', version: input.base.digest });
    expect(bom.components.filter((c) => c.type === 'library').map((c) => c.purl)).toEqual(['pkg:npm/%40s/b@1.0.0', 'pkg:npm/zod@4.0.0']);
    expect(buildSbom({ ...input, packages: [] }).digest).not.toBe(one.digest);
  });
});
