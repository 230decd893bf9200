import { finding, formatPath } from '../issues.js';
import type { ConfigPath, Finding } from '../issues.js';
import type { EnvironmentInput, GantryConfigParsed } from '../schema.js';
import { replicaShare } from '../../domain/replica-ratio.js';
import { deployedServices, environmentsOf, serviceNamed } from './context.js';
import type { ConfigRule } from './rule.js';

type TargetInput = NonNullable<GantryConfigParsed['targets']>[string];
type KubernetesInput = Extract<TargetInput, { kind: 'kubernetes' }>;

/** The placeholders an endpoint template may use; the target fills them per route. */
const ENDPOINT_PLACEHOLDERS = ['service', 'route', 'environment'] as const;
/** Kubernetes keeps CPU in millicores: a smaller request cannot be written as a quantity. */
const MIN_CPUS = 0.001;

/** One way to reach the cluster, complete: a kubeconfig, or a server with a service-account token. */
function credentials(name: string, t: KubernetesInput): Finding[] {
  const at = (key: string): ConfigPath => ['targets', name, key];
  const token = t.server !== undefined || t.tokenSecret !== undefined;
  if (t.kubeconfigSecret !== undefined) {
    return (['server', 'tokenSecret', 'caSecret'] as const)
      .filter((key) => t[key] !== undefined)
      .map((key) =>
        finding('CONFIG_INVALID_VALUE', at(key), `${formatPath(at(key))} cannot be used with kubeconfigSecret: the target reaches its cluster one way`, {
          anchor: 'key',
          hint: `Keep kubeconfigSecret (the kubeconfig names the server and its CA), or remove it and use server + tokenSecret${key === 'caSecret' ? ' + caSecret' : ''}.`,
        }),
      );
  }
  if (!token) {
    const path = ['targets', name];
    return [
      finding('CONFIG_MISSING_KEY', path, `${formatPath(path)} has no credentials for its cluster`, {
        anchor: 'key',
        hint: 'Add kubeconfigSecret: KUBECONFIG_<ENV> (a secret holding a kubeconfig), or server: https://… with tokenSecret (a service-account token) and optionally caSecret.',
      }),
    ];
  }
  const found: Finding[] = [];
  if (t.server === undefined) found.push(finding('CONFIG_MISSING_KEY', ['targets', name], `${formatPath(at('tokenSecret'))} needs ${formatPath(at('server'))}, the API server the token is for`, { anchor: 'key', hint: 'Add server: https://<api-server>:6443, or use kubeconfigSecret instead.' }));
  if (t.tokenSecret === undefined) found.push(finding('CONFIG_MISSING_KEY', ['targets', name], `${formatPath(at('server'))} needs ${formatPath(at('tokenSecret'))}, a secret holding a service-account token`, { anchor: 'key', hint: 'Add tokenSecret: <SECRET> (and caSecret for a private CA), or use kubeconfigSecret instead.' }));
  if (t.context !== undefined) found.push(finding('CONFIG_INVALID_VALUE', at('context'), `${formatPath(at('context'))} only applies with kubeconfigSecret`, { anchor: 'key', hint: 'Remove context: a server + tokenSecret target has no kubeconfig to choose a context from.' }));
  return found;
}

function endpointTemplate(name: string, t: KubernetesInput): Finding[] {
  if (t.endpoint === undefined) return [];
  const path = ['targets', name, 'endpoint'];
  const unknown = [...t.endpoint.matchAll(/\{([^}]*)\}/g)].map((m) => m[1] ?? '').filter((p) => !(ENDPOINT_PLACEHOLDERS as readonly string[]).includes(p));
  if (unknown.length === 0) return [];
  return [
    finding('CONFIG_INVALID_VALUE', path, `${formatPath(path)} uses ${unknown.map((p) => `{${p}}`).join(', ')}, which the target cannot fill`, {
      hint: `An endpoint template may use ${ENDPOINT_PLACEHOLDERS.map((p) => `{${p}}`).join(', ')}, e.g. https://{service}-{route}.{environment}.example.com.`,
    }),
  ];
}

/** What an environment on a kubernetes target deploys must fit what a Deployment accepts. */
function deploys(config: GantryConfigParsed, envName: string, env: EnvironmentInput, target: string): Finding[] {
  const found: Finding[] = [];
  const strategy = env.strategy;
  if (typeof strategy === 'object' && strategy.kind === 'rolling' && (strategy.maxSurge ?? 1) === 0 && (strategy.maxUnavailable ?? 0) === 0) {
    const path = ['environments', envName, 'strategy'];
    found.push(
      finding('CONFIG_INVALID_VALUE', path, `${formatPath(path)} has maxSurge 0 and maxUnavailable 0 on the kubernetes target ${target}: such a rolling update could never replace a pod, and Kubernetes refuses it`, {
        hint: 'Set maxSurge to 1 or more (start new pods first), or maxUnavailable to 1 or more (stop old pods first).',
      }),
    );
  }
  if (typeof strategy === 'object' && strategy.kind === 'canary') found.push(...canaryOnReplicas(config, envName, env, target));
  for (const { name } of deployedServices(config, envName, env)) {
    const cpus = serviceNamed(config, name)?.run?.limits?.cpus;
    if (cpus === undefined || cpus >= MIN_CPUS) continue;
    const path = ['services', name, 'run', 'limits', 'cpus'];
    found.push(finding('CONFIG_INVALID_VALUE', path, `${formatPath(path)} is ${cpus}, below Kubernetes' smallest CPU quantity (1m, 0.001 CPU), and ${envName} deploys ${name} to the kubernetes target ${target}`, { hint: 'Set cpus to 0.001 or more (0.1 = 100m).' }));
  }
  return found;
}

/**
 * A canary on a kubernetes target splits by replica ratio (docs/targets.md): no header routing, and
 * weights rounded to whole pods, which the team should know before production runs 10 % at 50 %.
 */
function canaryOnReplicas(config: GantryConfigParsed, envName: string, env: EnvironmentInput, target: string): Finding[] {
  const strategy = env.strategy;
  if (typeof strategy !== 'object' || strategy.kind !== 'canary') return [];
  const found: Finding[] = [];
  if (strategy.match !== undefined) {
    const path = ['environments', envName, 'strategy', 'match'];
    found.push(finding('CONFIG_INVALID_VALUE', path, `${formatPath(path)} needs a router that routes by header, but the kubernetes target ${target} splits a canary by replica ratio`, { hint: 'Remove match: testers reach the canary through its share of pods.' }));
  }
  const services = deployedServices(config, envName, env).flatMap(({ name }) => {
    const s = serviceNamed(config, name);
    return s?.run === undefined ? [] : [{ name, replicas: s.replicas ?? 1 }];
  });
  strategy.steps.forEach((step, i) => {
    if (!('setWeight' in step) || step.setWeight <= 0 || step.setWeight >= 100) return;
    const weight = step.setWeight;
    const off = services.filter((s) => replicaShare(s.replicas, weight) !== weight);
    if (off.length === 0) return;
    const path = ['environments', envName, 'strategy', 'steps', i, 'setWeight'];
    const runs = off.map((s) => `${s.name} (${s.replicas} ${s.replicas === 1 ? 'replica' : 'replicas'}) at ${replicaShare(s.replicas, weight)} %`).join(', ');
    found.push(
      finding('CONFIG_INVALID_VALUE', path, `${formatPath(path)} is ${weight} %, but the kubernetes target ${target} moves whole pods: ${runs}`, {
        severity: 'warning',
        hint: 'Give the service enough replicas for the steps (10 replicas make 10 % steps exact), or choose weights its pods can give.',
      }),
    );
  });
  return found;
}

/**
 * A kubernetes target must know how to reach its cluster, and what it deploys must become valid
 * Kubernetes objects; each caught offline by `gantry validate` rather than by the API server mid-deploy.
 * (The namespace's DNS-label shape is the schema's; a missing image is the images rule's.)
 */
export const kubernetes: ConfigRule = {
  name: 'kubernetes',
  check(config) {
    const found: Finding[] = [];
    const targets = Object.entries(config.targets ?? {});
    for (const [name, t] of targets) {
      if (t.kind !== 'kubernetes') continue;
      found.push(...credentials(name, t), ...endpointTemplate(name, t));
    }
    const seen = new Set<string>();
    for (const [envName, env] of environmentsOf(config)) {
      const target = targets.find(([name]) => name === env.target);
      if (target?.[1].kind !== 'kubernetes') continue;
      // One finding per service limit, however many environments deploy it there.
      for (const f of deploys(config, envName, env, target[0])) {
        const key = `${f.path.join('.')}`;
        if (f.path[0] === 'services' && seen.has(key)) continue;
        seen.add(key);
        found.push(f);
      }
    }
    return found;
  },
};
