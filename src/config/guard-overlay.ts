import { diffGuardRules } from './guard-rules.js';
import type { EnvironmentConfig, GantryConfig } from './types.js';

export interface GuardOverlay {
  /** `base` with `proposed`'s guard rules wherever they can apply. */
  readonly config: GantryConfig;
  /** The guard-rule changes that could not apply, one line each (as diffGuardRules words them). */
  readonly unapplied: readonly string[];
}

/**
 * `base` (the server's gantry.yaml) with the rules that guard environments taken from `proposed`
 * (a commit's): for each environment both declare, its branch, target, autoDeploy, requires,
 * approvals (required, approvers), confirmation, secrets and chaos.allowed; branch protection and approver
 * groups, whole.
 * Everything else stays `base`'s: services, strategies, and where the server connects (repository,
 * targets, notifications, GitHub), which a commit's gantry.yaml cannot know.
 *
 * Some changes cannot apply while the server runs: an environment only one side declares (it has
 * ports, services and an agent to set up), or a target or required environment `base` lacks. They
 * are left out and listed in `unapplied`, so a caller can refuse the whole change.
 */
export function withGuardRules(base: GantryConfig, proposed: GantryConfig): GuardOverlay {
  const environments: Record<string, EnvironmentConfig> = {};
  for (const [name, env] of Object.entries(base.environments)) {
    const p = proposed.environments[name];
    environments[name] = p ? overlayEnvironment(base, env, p) : env;
  }
  // A GitHub team group needs the server's `github:` to be read; without it, it stays unapplied.
  const groups = Object.freeze(Object.fromEntries(Object.entries(proposed.groups).filter(([, g]) => g.kind === 'users' || base.github !== undefined)));
  const config: GantryConfig = Object.freeze({ ...base, environments: Object.freeze(environments), branches: proposed.branches, groups });
  return { config, unapplied: diffGuardRules(config, proposed) };
}

function overlayEnvironment(base: GantryConfig, env: EnvironmentConfig, p: EnvironmentConfig): EnvironmentConfig {
  return Object.freeze({
    ...env,
    branch: p.branch,
    target: p.target in base.targets ? p.target : env.target,
    autoDeploy: p.autoDeploy,
    requires: p.requires === undefined || p.requires in base.environments ? p.requires : env.requires,
    approvals: Object.freeze({ ...env.approvals, required: p.approvals.required, approvers: p.approvals.approvers }),
    confirmation: p.confirmation,
    secrets: p.secrets,
    chaos: p.chaos,
  });
}
