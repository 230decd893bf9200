import type { ConfigPath } from '../issues.js';
import type { EnvironmentInput, GantryConfigParsed, ServiceInput } from '../schema.js';

/** Helpers the rules share: walking the declared environments and what each one deploys. */

export interface DeployedService {
  readonly name: string;
  /** Where the environment names the service, or the environment itself when it deploys all by default. */
  readonly path: ConfigPath;
  readonly explicit: boolean;
}

export function environmentsOf(config: GantryConfigParsed): [string, EnvironmentInput][] {
  return Object.entries(config.environments ?? {});
}

/** As normalizeConfig resolves it: the listed services, or every service that has a run command. */
export function deployedServices(config: GantryConfigParsed, envName: string, env: EnvironmentInput): DeployedService[] {
  if (env.services) return env.services.map((name, index) => ({ name, path: ['environments', envName, 'services', index], explicit: true }));
  return Object.entries(config.services)
    .filter(([, service]) => service.run !== undefined)
    .map(([name]) => ({ name, path: ['environments', envName], explicit: false }));
}

/** Path of an optional key when the user wrote it, else of the entry that would hold it. */
export function pathOrOwner(present: boolean, owner: ConfigPath, key: string): ConfigPath {
  return present ? [...owner, key] : owner;
}

/** The declared service of that name; hasOwn, so that a service called `constructor` is not Object's. */
export function serviceNamed(config: GantryConfigParsed, name: string): ServiceInput | undefined {
  return Object.hasOwn(config.services, name) ? config.services[name] : undefined;
}
