import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { OciLayout, packBundle } from '../../src/artifacts/index.js';
import { parseConfigText } from '../../src/config/loader.js';
import { ociLayoutRef } from '../../src/targets/artifact-ref.js';
import type { TargetRegistry } from '../../src/targets/registry.js';
import { RoutedTargets } from '../../src/targets/routers/routed-targets.js';
import { spawnAgent } from './agent-process.js';
import { ROUTER_SERVICE_JS, type RouterSubject } from './router-suite.js';
import type { TempDirs } from './temp.js';

/** A gantry.yaml with one service `web` on `port` and one environment `dev` whose `router:` is `routerYaml` (indented under it). */
export function routerConfig(port: number, routerYaml: string): string {
  return `version: 1
project:
  name: routers
repository:
  url: .
services:
  web:
    path: svc
    run:
      command: node server.mjs
      port: ${port}
    health:
      path: /healthz
environments:
  dev:
    branch: main
    router: ${routerYaml}
`;
}

/**
 * A real `gantry agent` on `configText` (run the server build first), and the `local` target as the
 * control plane's registry hands it out: RoutedTargets over the agent, built from the same
 * gantry.yaml, so the environment's `router:` decides what applies the weights.
 */
export async function routerSubject(temp: TempDirs, configText: string, onClose: () => Promise<void> = async () => undefined): Promise<RouterSubject> {
  const loaded = parseConfigText(configText, 'gantry.yaml');
  if (!loaded.ok) throw new Error(`the test's gantry.yaml is invalid: ${loaded.errors.map((e) => `${e.code} ${e.message}`).join('; ')}`);
  const root = await temp.make('gantry-router-artifact-');
  await mkdir(join(root, 'service'));
  await writeFile(join(root, 'service', 'server.mjs'), ROUTER_SERVICE_JS);
  const layout = new OciLayout(join(root, 'layout'));
  await layout.init();
  const digest = (await layout.put('svc', await packBundle(join(root, 'service')))).manifestDigest;
  const agent = await spawnAgent(temp, configText);
  const inner: TargetRegistry = {
    get: async () => agent.target,
    traffic: async () => agent.target,
    observe: async () => agent.target,
    observeTraffic: async () => agent.target,
  };
  const registry = new RoutedTargets(inner, loaded.config.environments);
  return {
    target: await registry.get('local'),
    traffic: await registry.traffic('local'),
    environment: 'dev',
    service: 'web',
    artifact: { digest, ref: ociLayoutRef(layout.root, digest) },
    command: 'node server.mjs',
    close: async () => {
      await agent.stop();
      await onClose();
    },
  };
}
