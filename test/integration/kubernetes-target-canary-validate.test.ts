import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { TempDirs } from '../support/temp.js';

/**
 * `gantry validate` (a process) on a canary environment of a kubernetes target: the target splits
 * by replica ratio, so a weight its pods cannot give is a warning at the step, and `match` (header
 * routing, which it cannot do) an error at its line.
 */
const config = (replicas: number, strategyExtra = ''): string => `version: 1
project: { name: shop }
repository: { url: . }
registries:
  main: { url: 127.0.0.1:5000 }
services:
  api:
    path: services/api
    build: { run: npm run build, output: dist }
    run: { command: node server.mjs, port: 3000 }
    health: { path: /healthz }
    image: { base: '127.0.0.1:5000/base/node:20' }
    replicas: ${replicas}
environments:
  prod:
    branch: main
    target: cluster
    strategy:
      kind: canary
      steps:
        - setWeight: 10
        - setWeight: 50
${strategyExtra}targets:
  cluster:
    kind: kubernetes
    namespace: shop-prod
    kubeconfigSecret: KUBECONFIG_PROD
`;

describe('gantry validate: a canary on a kubernetes target', () => {
  const temp = new TempDirs();
  afterAll(() => temp.cleanup());
  const validate = async (text: string) => {
    const dir = await temp.make();
    await mkdir(join(dir, 'services', 'api'), { recursive: true });
    const file = join(dir, 'gantry.yaml');
    await writeFile(file, text);
    return runCli(['validate', '--config', file], { CI: 'true' });
  };

  it('warns at a step whose weight the service\'s replicas cannot give, with the share it gets, and accepts the config', async () => {
    const text = config(2);
    const r = await validate(text);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    const out = r.stdout + r.stderr;
    const line = text.split('\n').findIndex((l) => l.includes('setWeight: 10')) + 1;
    expect(out).toContain(`gantry.yaml:${line}`);
    expect(out).toMatch(/environments\.prod\.strategy\.steps\[0\]\.setWeight is 10 %, but the kubernetes target cluster moves whole pods: api \(2 replicas\) at 50 %/);
    expect(out).toMatch(/10 replicas make 10 % steps exact/);
    // 50 % of 2 replicas is exact: no word about the second step.
    expect(out).not.toMatch(/steps\[1\]/);
  });

  it('says nothing when the replicas give every step exactly', async () => {
    const r = await validate(config(10));
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(r.stdout + r.stderr).not.toMatch(/moves whole pods/);
  });

  it('refuses match: the target cannot route by header', async () => {
    const r = await validate(config(10, '      match: { header: x-canary, value: always }\n'));
    expect(r.code).not.toBe(0);
    expect(r.stdout + r.stderr).toMatch(/environments\.prod\.strategy\.match needs a router that routes by header, but the kubernetes target cluster splits a canary by replica ratio/);
  });
});
