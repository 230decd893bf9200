import { describe, expect, it } from 'vitest';
import { withGuardRules } from '../../src/config/guard-overlay.js';
import { diffGuardRules } from '../../src/config/guard-rules.js';
import { parseConfigText } from '../../src/config/loader.js';
import type { GantryConfig } from '../../src/config/types.js';

const SERVER = `version: 1
project: { name: p }
repository: { url: /srv/repos/p.git }
services:
  api:
    path: api
    gates:
      - { name: lint, run: npm run lint }
    run: { command: node server.js, port: 18000 }
environments:
  staging:
    branch: staging
  production:
    branch: main
    portOffset: 10
    requires: staging
    approvals: { required: 2, approvers: [alice, bob, carol] }
    confirmation: DEPLOY TO PRODUCTION
branches:
  main:
    protection: { allowDirectPush: false }
`;

const load = (text: string): GantryConfig => {
  const r = parseConfigText(text, 'gantry.yaml');
  if (!r.ok) throw new Error(r.errors.map((e) => e.message).join('; '));
  return r.config;
};

/** A commit's gantry.yaml: its own repository url and commands, and the guard changes of each test. */
const commit = (text: string): GantryConfig => load(text.replace('/srv/repos/p.git', '.').replace('npm run lint', 'npm run lint:strict').replace('node server.js', 'node dist/server.js'));

describe("a commit's guard rules laid over the server's gantry.yaml", () => {
  it('take approvals, confirmation and branch protection from the commit, and nothing else', () => {
    const server = load(SERVER);
    const proposed = commit(SERVER.replace('required: 2', 'required: 1').replace('    confirmation: DEPLOY TO PRODUCTION\n', '').replace('allowDirectPush: false', 'allowDirectPush: true'));
    const { config, unapplied } = withGuardRules(server, proposed);
    expect(unapplied).toEqual([]);
    expect(diffGuardRules(config, proposed)).toEqual([]);
    expect(diffGuardRules(server, config)).toEqual([
      'branches.main.allowDirectPush: false → true',
      'environments.production.approvals.required: 2 → 1',
      'environments.production.confirmation: "DEPLOY TO PRODUCTION" → null',
    ]);
    // Where the server connects and what services run stay the server's.
    expect(config.repository.url).toBe('/srv/repos/p.git');
    expect(config.services.api?.gates[0]?.run).toBe('npm run lint');
    expect(config.services.api?.run?.command).toBe('node server.js');
    expect(config.environments.production?.approvals.timeoutMs).toBe(server.environments.production?.approvals.timeoutMs);
    expect(Object.isFrozen(config) && Object.isFrozen(config.environments.production)).toBe(true);
  });

  it('take approver groups from the commit, but not a GitHub team the server has no github: to read', () => {
    const server = load(SERVER);
    const proposed = commit(`${SERVER.replace('approvers: [alice, bob, carol]', 'approvers: [alice, "@release", "@leads"]')}groups:\n  release: [dave, erin]\n  leads: { githubTeam: volteryde/leads }\ngithub: { repo: volteryde/p, webhookSecret: { secret: WEBHOOK_SECRET } }\n`);
    const { config, unapplied } = withGuardRules(server, proposed);
    expect(config.groups).toEqual({ release: { kind: 'users', users: ['dave', 'erin'] } });
    expect(unapplied).toEqual(['groups.leads.githubTeam: (none) → "volteryde/leads"']);
  });

  it('equal the server rules when the commit changes no guard rule', () => {
    const server = load(SERVER);
    const { config, unapplied } = withGuardRules(server, commit(SERVER));
    expect(unapplied).toEqual([]);
    expect(diffGuardRules(server, config)).toEqual([]);
  });

  it('leave out, and name, an environment the commit adds or removes', () => {
    const server = load(SERVER);
    const added = commit(`${SERVER.replace('branches:', '  qa:\n    branch: qa\n    portOffset: 20\nbranches:')}`);
    expect(withGuardRules(server, added).unapplied).toEqual(expect.arrayContaining(['environments.qa.branch: (none) → "qa"']));
    expect(Object.keys(withGuardRules(server, added).config.environments)).toEqual(['staging', 'production']);

    const removed = commit(SERVER.replace('  staging:\n    branch: staging\n', '').replace('    requires: staging\n', ''));
    expect(withGuardRules(server, removed).unapplied).toEqual(expect.arrayContaining(['environments.staging.branch: "staging" → (removed)']));
  });

  it('leave out, and name, a target the server does not declare', () => {
    const server = load(SERVER);
    const proposed = commit(SERVER.replace('    requires: staging\n', '    requires: staging\n    target: edge\n').replace('branches:', 'targets:\n  edge: { kind: local }\nbranches:'));
    const { config, unapplied } = withGuardRules(server, proposed);
    expect(unapplied).toEqual(['environments.production.target: "local" → "edge"']);
    expect(config.environments.production?.target).toBe('local');
  });
});
