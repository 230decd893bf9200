import type { GantryConfig } from './types.js';

/**
 * The rules that guard environments (DESIGN invariant 9): they come from the server's pinned
 * gantry.yaml, never from the commit being deployed. A commit that changes them is shown the
 * difference; everything else in its gantry.yaml (gates, build, run commands) applies at once.
 */
export function guardRules(config: GantryConfig): Record<string, unknown> {
  const environments: Record<string, unknown> = {};
  for (const env of Object.values(config.environments)) {
    environments[env.name] = {
      branch: env.branch,
      target: env.target,
      autoDeploy: env.autoDeploy,
      requires: env.requires ?? null,
      approvals: { required: env.approvals.required, approvers: [...env.approvals.approvers].sort() },
      confirmation: env.confirmation ?? null,
      secrets: [...env.secrets].sort(),
      // Whether a chaos check may inject faults here: a commit must not turn faults on in production by itself.
      chaos: { allowed: env.chaos.allowed },
      // Where each region deploys is guarded like `target` (nothing for an environment without regions).
      regions: Object.fromEntries(env.regions.map((r) => [r.name, r.target])),
    };
  }
  const branches: Record<string, unknown> = {};
  for (const [pattern, rule] of Object.entries(config.branches)) branches[pattern] = rule.protection;
  // Who is in an approver group decides who may approve, so a group is guarded like the list naming it.
  const groups: Record<string, unknown> = {};
  for (const [name, group] of Object.entries(config.groups)) groups[name] = group.kind === 'users' ? [...group.users].sort() : { githubTeam: `${group.org}/${group.slug}` };
  return { environments, branches, groups };
}

function flatten(value: unknown, path: string, out: Map<string, string>): void {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) flatten(v, path ? `${path}.${k}` : k, out);
    return;
  }
  out.set(path, JSON.stringify(value));
}

/** The guard rules that differ, one line each: `environments.production.approvals.required: 2 → 1`. */
export function diffGuardRules(pinned: GantryConfig, proposed: GantryConfig): string[] {
  const before = new Map<string, string>();
  const after = new Map<string, string>();
  flatten(guardRules(pinned), '', before);
  flatten(guardRules(proposed), '', after);
  const keys = [...new Set([...before.keys(), ...after.keys()])].sort();
  return keys.filter((k) => before.get(k) !== after.get(k)).map((k) => `${k}: ${before.get(k) ?? '(none)'} → ${after.get(k) ?? '(removed)'}`);
}
