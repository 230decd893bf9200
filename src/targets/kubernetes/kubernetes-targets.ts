import { KubeConfig } from '@kubernetes/client-node';
import type { GantryConfig, KubernetesTargetConfig } from '../../config/types.js';
import { TargetError } from '../../errors/index.js';
import type { Logger } from '../../kernel/logger.js';
import type { SecretSource } from '../../secrets/source.js';
import type { TargetKind } from '../target-kind.js';
import { isForbidden, KubeApi } from './kube-api.js';
import { KubernetesTarget } from './kubernetes-target.js';
import { namespaceManifest, type KubeContext } from './revision-objects.js';

export interface KubernetesTargetsOptions {
  readonly config: GantryConfig;
  readonly secrets: SecretSource;
  readonly logger: Logger;
}

/**
 * The `kubernetes` kind: one KubernetesTarget per target name, reaching its cluster with the
 * credentials in the secret store (a kubeconfig, or a server with a service-account token and CA),
 * read in the scope of the one environment that names the target (shared scope when several do).
 * Never a file path: environments must not share credentials through the server's disk.
 */
export class KubernetesTargets implements TargetKind {
  readonly kind = 'kubernetes';
  private readonly targets = new Map<string, KubernetesTarget>();

  constructor(private readonly o: KubernetesTargetsOptions) {}

  private spec(name: string): KubernetesTargetConfig {
    const spec = this.o.config.targets[name];
    if (spec?.kind !== 'kubernetes') throw new TargetError('CONFIG_UNKNOWN_TARGET', `gantry.yaml declares no kubernetes target "${name}"`);
    return spec;
  }

  /** Nothing is created by making it: the namespace is applied with the first revision. */
  get(name: string): Promise<KubernetesTarget> {
    try {
      const known = this.targets.get(name) ?? this.make(this.spec(name));
      this.targets.set(name, known);
      return Promise.resolve(known);
    } catch (e: unknown) {
      // A missing secret is not kept: the next deploy reads the store again.
      return Promise.reject(e instanceof Error ? e : new Error(String(e)));
    }
  }

  traffic(name: string): Promise<KubernetesTarget> {
    return this.get(name);
  }

  /** Observing makes nothing on the cluster either (only reads): the same target. */
  observe(name: string): Promise<KubernetesTarget | undefined> {
    return this.get(name);
  }

  observeTraffic(name: string): Promise<KubernetesTarget | undefined> {
    return this.get(name);
  }

  private make(target: KubernetesTargetConfig): KubernetesTarget {
    const api = new KubeApi(this.kubeConfig(target), `target ${target.name} (namespace ${target.namespace})`);
    let namespace: Promise<void> | undefined;
    const context: KubeContext = {
      api,
      target,
      config: this.o.config,
      ensureNamespace: () => {
        // A service account bound to its namespace may not apply Namespaces: the namespace then exists already (or the next apply says it does not).
        namespace ??= api.apply(namespaceManifest(target.namespace)).catch((e: unknown) => {
          if (!isForbidden(e)) throw e;
        });
        namespace.catch(() => (namespace = undefined));
        return namespace;
      },
    };
    return new KubernetesTarget(context);
  }

  private kubeConfig(target: KubernetesTargetConfig): KubeConfig {
    const credentials = target.credentials;
    if (credentials === undefined) throw new TargetError('CONFIG_INVALID_VALUE', `target ${target.name} names no credentials`, { where: `targets.${target.name}`, hint: 'Give it kubeconfigSecret, or server and tokenSecret.' });
    const users = Object.values(this.o.config.environments).filter((e) => e.target === target.name);
    const environment = users.length === 1 ? (users[0]?.name ?? null) : null;
    const names = credentials.kind === 'kubeconfig' ? [credentials.secret] : [credentials.tokenSecret, ...(credentials.caSecret === undefined ? [] : [credentials.caSecret])];
    const values = this.o.secrets.values(names, environment);
    const missing = names.find((n) => values[n] === undefined);
    if (missing !== undefined) {
      const scope = environment === null ? 'the shared scope' : `environment ${environment}`;
      const file = credentials.kind === 'kubeconfig' ? 'kubeconfig' : missing === credentials.tokenSecret ? 'token' : 'ca.pem';
      throw new TargetError('TARGET_ERROR', `target ${target.name} needs the secret ${missing} in ${scope}, which is not set`, {
        where: `targets.${target.name}`,
        hint: `Set it: gantry secrets set ${environment ?? 'shared'} ${missing} < ${file}`,
      });
    }
    const kc = new KubeConfig();
    if (credentials.kind === 'kubeconfig') {
      try {
        kc.loadFromString(values[credentials.secret] ?? '');
        if (credentials.context !== undefined) kc.setCurrentContext(credentials.context);
      } catch (e: unknown) {
        throw new TargetError('TARGET_ERROR', `the kubeconfig in secret ${credentials.secret} of target ${target.name} cannot be read: ${e instanceof Error ? e.message : String(e)}`, { where: `targets.${target.name}`, hint: 'Store the kubeconfig YAML itself (kubectl config view --raw --minify).' });
      }
      if (kc.getCurrentCluster() === null) throw new TargetError('TARGET_ERROR', `the kubeconfig in secret ${credentials.secret} of target ${target.name} has no current cluster${credentials.context === undefined ? '' : ` for context ${credentials.context}`}`, { where: `targets.${target.name}` });
      return kc;
    }
    const ca = credentials.caSecret === undefined ? undefined : values[credentials.caSecret];
    kc.loadFromOptions({
      clusters: [{ name: target.name, server: credentials.server, ...(ca === undefined ? {} : { caData: Buffer.from(ca).toString('base64') }), skipTLSVerify: false }],
      users: [{ name: target.name, token: values[credentials.tokenSecret] }],
      contexts: [{ name: target.name, cluster: target.name, user: target.name, namespace: target.namespace }],
      currentContext: target.name,
    });
    return kc;
  }
}
