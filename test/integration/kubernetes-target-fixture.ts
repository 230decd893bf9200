import pino from 'pino';
import { parseConfigText } from '../../src/config/loader.js';
import type { GantryConfig } from '../../src/config/types.js';
import { EnvSecretSource } from '../../src/secrets/source.js';
import { KubernetesTargets } from '../../src/targets/kubernetes/kubernetes-targets.js';
import type { KubernetesTarget } from '../../src/targets/kubernetes/kubernetes-target.js';

export interface KubeTargetSetup {
  readonly registryHost: string;
  readonly kubeconfig: string;
  readonly namespace: string;
  readonly environment: string;
  readonly services: readonly string[];
  readonly strategy: 'blue-green' | 'rolling' | 'canary';
  readonly serviceType: 'ClusterIP' | 'LoadBalancer';
  /** Extra lines under the environment's strategy (rolling: maxSurge, maxUnavailable; canary: steps). */
  readonly strategyLines?: string;
  readonly progressDeadline?: string;
}

/** gantry.yaml for a kubernetes target over the stand-in, parsed as the server parses it. */
export function kubeConfigYaml(s: KubeTargetSetup): GantryConfig {
  const services = s.services
    // Distinct ports: validation's port-conflict rule also applies to kubernetes targets (where each Service has its own address).
    .map((name, i) => `  ${name}:\n    path: services/${name}\n    build: { run: 'true', output: dist }\n    run: { command: node server.mjs, port: ${8080 + i} }\n    health: { path: /healthz }\n    image: { base: '${s.registryHost}/base/node:20' }\n`)
    .join('');
  const text = `version: 1
project: { name: gantrytest }
repository: { url: . }
registries:
  main: { url: ${s.registryHost} }
services:
${services}environments:
  ${s.environment}:
    branch: main
    target: cluster
    strategy:
      kind: ${s.strategy}
${s.strategyLines ?? ''}targets:
  cluster:
    kind: kubernetes
    namespace: ${s.namespace}
    kubeconfigSecret: KUBECONFIG_TEST
    serviceType: ${s.serviceType}
${s.progressDeadline === undefined ? '' : `    progressDeadline: ${s.progressDeadline}\n`}`;
  const result = parseConfigText(text, 'gantry.yaml');
  if (!result.ok) throw new Error(`test gantry.yaml refused: ${result.errors.map((e) => `${e.code} ${e.message}`).join('; ')}`);
  return result.config;
}

/** The `kubernetes` kind as the server makes it, with the kubeconfig in the secret source. */
export async function kubeTarget(s: KubeTargetSetup): Promise<{ target: KubernetesTarget; config: GantryConfig }> {
  const config = kubeConfigYaml(s);
  const kind = new KubernetesTargets({ config, secrets: new EnvSecretSource({ GANTRY_SECRET_KUBECONFIG_TEST: s.kubeconfig }), logger: pino({ level: 'silent' }) });
  return { target: await kind.get('cluster'), config };
}
