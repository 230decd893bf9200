import { RegistryClient, type RegistryCredentials } from '../../artifacts/registry/index.js';
import type { RegistryAccess } from '../../engine/step-specs/index.js';
import { GantryError } from '../../errors/index.js';
import type { SecretSource } from '../../secrets/source.js';

/**
 * The registry account for one environment (null scope: the build's, shared secrets only): the
 * guide keeps one account per environment, so the same secret name is read in each one's scope.
 */
export function registryCredentials(access: RegistryAccess, secrets: SecretSource, environment: string | null): RegistryCredentials | undefined {
  if (access.username === null || access.passwordSecret === null) return undefined;
  const password = secrets.values([access.passwordSecret], environment)[access.passwordSecret];
  if (password === undefined) {
    throw new GantryError('REGISTRY_CREDENTIALS_MISSING', `registry ${access.name} needs the secret ${access.passwordSecret}${environment === null ? '' : ` in ${environment}`}, which is not set`, {
      where: `registries.${access.name}.passwordSecret`,
      hint: `Set it: gantry secrets set ${access.passwordSecret}${environment === null ? '' : ` --env ${environment}`}.`,
    });
  }
  return { username: access.username, password };
}

export function registryClient(access: RegistryAccess, secrets: SecretSource, environment: string | null): RegistryClient {
  const credentials = registryCredentials(access, secrets, environment);
  return new RegistryClient({ url: `${access.plainHttp ? 'http' : 'https'}://${access.url}`, ...(credentials ? { credentials } : {}) });
}
