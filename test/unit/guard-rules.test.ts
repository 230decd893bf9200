import { describe, expect, it } from 'vitest';
import { diffGuardRules } from '../../src/config/guard-rules.js';
import { parseConfigText } from '../../src/config/loader.js';
import type { GantryConfig } from '../../src/config/types.js';

const BASE = `version: 1
project: { name: p }
repository: { url: . }
services:
  api:
    path: api
    gates:
      - { name: lint, run: npm run lint }
environments:
  production:
    branch: main
    approvals: { required: 2, approvers: [alice, bob] }
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

describe('guard rules a commit would change', () => {
  it('are none when only gates, builds or run commands change', () => {
    expect(diffGuardRules(load(BASE), load(BASE.replace('npm run lint', 'npm run lint -- --max-warnings 0')))).toEqual([]);
  });
  it('name each changed approval, confirmation or protection rule, before and after', () => {
    const proposed = load(BASE.replace('required: 2', 'required: 1').replace('    confirmation: DEPLOY TO PRODUCTION\n', '').replace('allowDirectPush: false', 'allowDirectPush: true'));
    expect(diffGuardRules(load(BASE), proposed)).toEqual([
      'branches.main.allowDirectPush: false → true',
      'environments.production.approvals.required: 2 → 1',
      'environments.production.confirmation: "DEPLOY TO PRODUCTION" → null',
    ]);
  });
  it('name a change of who is in an approver group, since a group decides who may approve', () => {
    const grouped = `${BASE.replace('approvers: [alice, bob]', 'approvers: [alice, "@release"]')}groups:\n  release: [carol, dave]\n`;
    expect(diffGuardRules(load(grouped), load(grouped.replace('release: [carol, dave]', 'release: [dave, carol, mallory]')))).toEqual(['groups.release: ["carol","dave"] → ["carol","dave","mallory"]']);
    expect(diffGuardRules(load(grouped), load(grouped.replace('release: [carol, dave]', 'release: [dave, carol]')))).toEqual([]);
  });
});
