import { stringify } from 'yaml';

export interface KubeconfigInput {
  readonly url: string;
  readonly caPem: string;
  readonly token: string;
  readonly namespace?: string;
  readonly context?: string;
}

/**
 * A kubeconfig as `kind get kubeconfig` or a cloud CLI writes one: the cluster with its CA inline
 * (certificate-authority-data), a token user, and one context, current. Names derive from the
 * context so two stand-ins' kubeconfigs can be merged.
 */
export function kubeconfigYaml(input: KubeconfigInput): string {
  const context = input.context ?? 'standin';
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    preferences: {},
    clusters: [{ name: `${context}-cluster`, cluster: { server: input.url, 'certificate-authority-data': Buffer.from(input.caPem).toString('base64') } }],
    users: [{ name: `${context}-user`, user: { token: input.token } }],
    contexts: [{ name: context, context: { cluster: `${context}-cluster`, user: `${context}-user`, ...(input.namespace ? { namespace: input.namespace } : {}) } }],
    'current-context': context,
  });
}
