import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { OciLayout, packBundle } from '../../src/artifacts/index.js';
import { parseConfigText } from '../../src/config/loader.js';
import { ociLayoutRef } from '../../src/targets/artifact-ref.js';
import type { TargetRegistry } from '../../src/targets/registry.js';
import { RoutedTargets } from '../../src/targets/routers/routed-targets.js';
import { freePorts, spawnAgent } from '../support/agent-process.js';
import { startHaproxyWith } from '../support/haproxy.js';
import { CONTRACT_SERVICE_JS, targetContract, type ContractSubject } from '../support/target-contract.js';
import { TempDirs } from '../support/temp.js';

/**
 * The local target with `router: haproxy` in front (RoutedTarget, as gantry server builds it)
 * against the target contract: a real `gantry agent` (run the server build first) and a real
 * HAProxy whose frontend picks each service's backend by the first path segment
 * (`url: http://127.0.0.1:<port>/{service}`), its runtime API on a unix socket. No match backend:
 * header routing is not claimed.
 */
const temp = new TempDirs();
afterAll(() => temp.cleanup());

const SERVICES = ['s0', 's1', 's2', 's3', 's4', 's5', 's6'];
const PREVIEW_OFFSET = 100;

function contractConfig(base: number, runtimeApi: string, url: string): string {
  const services = SERVICES.map((name, i) => `  ${name}:\n    path: svc\n    run:\n      command: node server.mjs\n      port: ${base + i}\n    health:\n      path: /healthz\n`).join('');
  return `version: 1
project:
  name: contract
repository:
  url: .
services:
${services}environments:
  contract:
    branch: main
    strategy:
      kind: blue-green
      previewPortOffset: ${PREVIEW_OFFSET}
    router:
      kind: haproxy
      runtimeApi: ${runtimeApi}
      url: ${url}/{service}
`;
}

async function packed(): Promise<{ layout: string; digest: string; otherDigest: string }> {
  const root = await temp.make('gantry-contract-artifact-');
  const layout = new OciLayout(join(root, 'layout'));
  await layout.init();
  const digests: string[] = [];
  for (const [i, text] of [CONTRACT_SERVICE_JS, `${CONTRACT_SERVICE_JS}// the other artifact\n`].entries()) {
    const dir = join(root, `service-${i}`);
    await mkdir(dir);
    await writeFile(join(dir, 'server.mjs'), text);
    digests.push((await layout.put('svc', await packBundle(dir))).manifestDigest);
  }
  return { layout: layout.root, digest: digests[0] ?? '', otherDigest: digests[1] ?? '' };
}

targetContract('local behind haproxy (router: haproxy)', async (): Promise<ContractSubject> => {
  const artifacts = await packed();
  const base = await freePorts(23_000, 990, PREVIEW_OFFSET + SERVICES.length);
  const proxy = await startHaproxyWith(temp, '  use_backend contract_%[path,field(2,/)]\n', SERVICES.map((s) => `contract_${s}`), 'unix');
  try {
    const configText = contractConfig(base, proxy.runtimeApi, proxy.url);
    const loaded = parseConfigText(configText, 'gantry.yaml');
    if (!loaded.ok) throw new Error(loaded.errors.map((e) => e.message).join('; '));
    const agent = await spawnAgent(temp, configText);
    const inner: TargetRegistry = { get: async () => agent.target, traffic: async () => agent.target, observe: async () => agent.target, observeTraffic: async () => agent.target };
    return {
      target: await new RoutedTargets(inner, loaded.config.environments).get('local'),
      environment: 'contract',
      services: SERVICES,
      artifact: { digest: artifacts.digest, ref: ociLayoutRef(artifacts.layout, artifacts.digest) },
      command: 'node server.mjs',
      otherDigest: artifacts.otherDigest,
      refFor: (digest) => ociLayoutRef(artifacts.layout, digest),
      close: async () => {
        await agent.stop();
        await proxy.stop();
      },
    };
  } catch (error: unknown) {
    await proxy.stop();
    throw error;
  }
});
