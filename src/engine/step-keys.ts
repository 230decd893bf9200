/**
 * Step keys: a step's name within its run, stable across re-plans and shown by the API, the CLI
 * (`--step`) and the dashboard. Built and read here only, so the format is stated once.
 * Service, gate and environment names are `[a-z][a-z0-9-]*` (config/schema.ts), so `:` never
 * occurs inside a part; a branch may contain one, so the protection key keeps the rest whole.
 * An environment with regions has a deploy, verify and watch step per region: `@<region>` ends
 * their key (region names are names too, so `@` never occurs inside one); without regions the keys
 * are as they always were.
 */

export const SCAN_STEP_KEY = 'scan:security';

export const gateKey = (service: string, gate: string): string => `gate:${service}:${gate}`;
export const buildKey = (service: string): string => `build:${service}`;
export const imageKey = (service: string): string => `image:${service}`;
export const imageScanKey = (environment: string, service: string): string => `image-scan:${environment}:${service}`;
export const protectionKey = (branch: string): string => `protection:${branch}`;
export const promotionKey = (environment: string): string => `promotion:${environment}`;
export const approvalKey = (environment: string): string => `approval:${environment}`;
export const lockKey = (environment: string): string => `lock:${environment}`;
export const backupKey = (environment: string): string => `backup:${environment}`;
export const restoreResourcesKey = (environment: string): string => `restore-resources:${environment}`;
const inRegion = (key: string, region: string | undefined): string => (region ? `${key}@${region}` : key);
export const deployKey = (environment: string, service: string, region?: string): string => inRegion(`deploy:${environment}:${service}`, region);
export const verifyKey = (environment: string, region?: string): string => inRegion(`verify:${environment}`, region);
export const watchKey = (environment: string, region?: string): string => inRegion(`watch:${environment}`, region);
export const finalizeKey = (environment: string): string => `finalize:${environment}`;
export const rollbackKey = (environment: string): string => `rollback:${environment}`;

/** What a key names; `undefined` for a key none of the builders above makes. */
export type ParsedStepKey =
  | { readonly kind: 'scan' }
  | { readonly kind: 'gate'; readonly service: string; readonly gate: string }
  | { readonly kind: 'build' | 'image'; readonly service: string }
  | { readonly kind: 'protection'; readonly branch: string }
  | { readonly kind: 'promotion' | 'approval' | 'lock' | 'backup' | 'finalize' | 'rollback'; readonly environment: string }
  | { readonly kind: 'verify' | 'watch'; readonly environment: string; readonly region?: string }
  | { readonly kind: 'image-scan'; readonly environment: string; readonly service: string }
  | { readonly kind: 'deploy'; readonly environment: string; readonly service: string; readonly region?: string };

const REGIONAL = new Set(['deploy', 'verify', 'watch']);

/** `deploy:production:api@eu-west-1` → the key without its region, and the region. */
function splitRegion(prefix: string, rest: string): { rest: string; region?: string } | undefined {
  const at = rest.lastIndexOf('@');
  if (at < 0 || prefix === 'protection') return { rest };
  if (!REGIONAL.has(prefix) || at === rest.length - 1) return undefined;
  return { rest: rest.slice(0, at), region: rest.slice(at + 1) };
}

const PER_ENVIRONMENT = new Set(['promotion', 'approval', 'lock', 'backup', 'verify', 'watch', 'finalize', 'rollback'] as const);
const isPerEnvironment = (prefix: string): prefix is 'promotion' | 'approval' | 'lock' | 'backup' | 'verify' | 'watch' | 'finalize' | 'rollback' =>
  (PER_ENVIRONMENT as ReadonlySet<string>).has(prefix);

export function parseStepKey(key: string): ParsedStepKey | undefined {
  if (key === SCAN_STEP_KEY) return { kind: 'scan' };
  const colon = key.indexOf(':');
  if (colon <= 0) return undefined;
  const prefix = key.slice(0, colon);
  const rest = key.slice(colon + 1);
  if (rest === '') return undefined;
  if (prefix === 'protection') return { kind: 'protection', branch: rest };
  const split = splitRegion(prefix, rest);
  if (!split) return undefined;
  const where = split.region === undefined ? {} : { region: split.region };
  const parts = split.rest.split(':');
  if (parts.length === 1) {
    if (prefix === 'build') return { kind: 'build', service: rest };
    if (prefix === 'image') return { kind: 'image', service: rest };
    if (prefix === 'verify' || prefix === 'watch') return { kind: prefix, environment: split.rest, ...where };
    return isPerEnvironment(prefix) ? { kind: prefix, environment: rest } : undefined;
  }
  const [first, second] = parts;
  if (parts.length !== 2 || !first || !second) return undefined;
  if (prefix === 'gate') return { kind: 'gate', service: first, gate: second };
  if (prefix === 'deploy') return { kind: 'deploy', environment: first, service: second, ...where };
  if (prefix === 'image-scan') return { kind: 'image-scan', environment: first, service: second };
  return undefined;
}

/** The gate a `gate:<service>:<gate>` key names, or undefined for any other key. */
export function gateOfKey(key: string): { readonly service: string; readonly gate: string } | undefined {
  const parsed = parseStepKey(key);
  return parsed?.kind === 'gate' ? parsed : undefined;
}
