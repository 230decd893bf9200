import { describe, expect, it } from 'vitest';
import { managedResources } from '../../src/steps/support/backup-resources.js';
import type { SecretSource } from '../../src/secrets/source.js';
import type { ManagedResources, Target } from '../../src/targets/target.js';

const KUBECONFIG = `apiVersion: v1
kind: Config
clusters:
- name: standin
  cluster:
    server: https://127.0.0.1:6443
    certificate-authority-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUJlekNDQVNHZ0F3SUJBZ0lVYQ==
users:
- name: gantry
  user:
    token: kR9xQ2mV7pL4sN8wT1yB6cF3hJ5dG0eA
`;
const secrets = (values: string[]): SecretSource => ({ values: () => ({}), allValues: () => values, versions: () => ({}) });
const target = (yaml: string): Target => ({ name: 'cluster', resources: (): Promise<ManagedResources> => Promise.resolve({ format: 'kubernetes-yaml', yaml, objects: ['Service/api'] }) }) as unknown as Target;
const SERVICE = 'apiVersion: v1\nkind: Service\nmetadata:\n  name: api\nspec:\n  ports:\n  - port: 8080\n';

describe('the objects a backup keeps', () => {
  it('are kept when they share only boilerplate lines (apiVersion: v1) with a kubeconfig secret', async () => {
    const kept = await managedResources(target(SERVICE), 'staging', secrets([KUBECONFIG, 's3cret-api-key']));
    expect(kept?.objects).toEqual(['Service/api']);
  });

  it('are refused when they hold a long line of a multi-line secret (its token) or a whole one-line secret in base64', async () => {
    await expect(managedResources(target(`${SERVICE}  token: kR9xQ2mV7pL4sN8wT1yB6cF3hJ5dG0eA\n`), 'staging', secrets([KUBECONFIG]))).rejects.toMatchObject({ code: 'BACKUP_RESOURCES_HOLD_SECRET' });
    await expect(managedResources(target(`${SERVICE}data:\n  API_KEY: ${Buffer.from('s3cret-api-key').toString('base64')}\n`), 'staging', secrets(['s3cret-api-key']))).rejects.toMatchObject({ code: 'BACKUP_RESOURCES_HOLD_SECRET' });
  });
});
