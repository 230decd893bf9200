import { createHmac, randomBytes } from 'node:crypto';

/**
 * Where secret values come from: the server's environment (`GANTRY_SECRET_<NAME>`, below) or the
 * encrypted per-environment store (secret-store.ts `StoreSecretSource`).
 */
export interface SecretSource {
  /**
   * Values of the named secrets that exist; missing names are left out. With an `environment`, a
   * scoped source reads that environment's secrets (and shared ones); without, only shared ones.
   */
  values(names: readonly string[], environment?: string | null): Record<string, string>;
  /** Every known value, for redaction. */
  allValues(): string[];
  /**
   * For each named secret that resolves (as `values` would), where it came from and which version:
   * it changes whenever the value does and reveals nothing of it. The gate cache is keyed on it.
   */
  versions(names: readonly string[], environment?: string | null): Record<string, string>;
}

export const SECRET_ENV_PREFIX = 'GANTRY_SECRET_';

const PROCESS_KEY = randomBytes(32);

export class EnvSecretSource implements SecretSource {
  constructor(private readonly env: NodeJS.ProcessEnv = process.env) {}

  /** The server's environment has no scopes: every environment reads the same values. */
  values(names: readonly string[], _environment?: string | null): Record<string, string> {
    const out: Record<string, string> = {};
    for (const name of names) {
      const value = this.env[`${SECRET_ENV_PREFIX}${name}`];
      if (value !== undefined) out[name] = value;
    }
    return out;
  }

  /**
   * The server's environment has no versions: a keyed digest of the value stands for one. The key is
   * new in every process, so a digest never outlives the server (nor lets anyone test guesses).
   */
  versions(names: readonly string[], _environment?: string | null): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [name, value] of Object.entries(this.values(names))) out[name] = `env:${createHmac('sha256', PROCESS_KEY).update(value).digest('hex').slice(0, 16)}`;
    return out;
  }

  allValues(): string[] {
    return Object.entries(this.env)
      .filter(([k, v]) => k.startsWith(SECRET_ENV_PREFIX) && v !== undefined && v !== '')
      .map(([, v]) => v as string);
  }
}

/** The environment a child process inherits: the server's own, minus Gantry's credentials and secrets. */
export function childEnvironment(base: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(base)) if (v !== undefined && !k.startsWith('GANTRY_')) out[k] = v;
  return out;
}
