/**
 * Roles are held per environment: `approver:production`, `deployer:*`, or `admin` (everything).
 * The full role model (viewer, deployer, approver, admin on every route) grows from these rules.
 */
export const ROLE_NAMES = ['viewer', 'deployer', 'approver', 'admin'] as const;
export type RoleName = (typeof ROLE_NAMES)[number];

export interface Principal {
  readonly user: string;
  readonly email: string | null;
  readonly roles: readonly string[];
}

const ROLE_PATTERN = /^(viewer|deployer|approver|admin)(:([a-z][a-z0-9-]*|\*))?$/;

export function isValidRole(role: string): boolean {
  return ROLE_PATTERN.test(role);
}

/** Whether the principal holds `role` for `environment` (admin holds every role everywhere). */
export function hasRole(principal: Principal, role: RoleName, environment: string | null): boolean {
  return principal.roles.some((held) => {
    const [name, scope] = held.split(':');
    if (name === 'admin' && (scope === undefined || scope === '*' || scope === environment)) return true;
    if (name !== role) return false;
    return scope === undefined || scope === '*' || scope === environment;
  });
}
