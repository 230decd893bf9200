import { describe, expect, it } from 'vitest';
import { isAuthor, judgeApproval, type ApprovalRequest } from '../../src/domain/approval-rules.js';
import { judgePromotion } from '../../src/domain/promotion.js';
import { hasRole, isValidRole, type Principal } from '../../src/domain/roles.js';

const request: ApprovalRequest = {
  environment: 'production',
  authors: ['Ada Lovelace <ada@shop.test>'],
  triggeredBy: 'git push',
  approvedBy: [],
  approvers: [],
  groups: {},
  confirmation: 'DEPLOY TO PRODUCTION',
};
const user = (name: string, roles: string[], email: string | null = `${name}@shop.test`): Principal => ({ user: name, email, roles });
const PHRASE = 'DEPLOY TO PRODUCTION';

describe('roles', () => {
  it('are held per environment, for every environment with *, and admin holds them all', () => {
    expect(hasRole(user('a', ['approver:production']), 'approver', 'production')).toBe(true);
    expect(hasRole(user('a', ['approver:production']), 'approver', 'staging')).toBe(false);
    expect(hasRole(user('a', ['approver:*']), 'approver', 'staging')).toBe(true);
    expect(hasRole(user('a', ['deployer:production']), 'approver', 'production')).toBe(false);
    expect(hasRole(user('a', ['admin']), 'approver', 'production')).toBe(true);
  });
  it('are spelled role[:environment|*]', () => {
    expect(isValidRole('approver:production')).toBe(true);
    expect(isValidRole('deployer:*')).toBe(true);
    expect(isValidRole('root')).toBe(false);
    expect(isValidRole('approver:Prod')).toBe(false);
  });
});

describe('judging an approval (invariant 5)', () => {
  it('accepts a distinct approver with the role and the exact phrase', () => {
    expect(judgeApproval(user('bob', ['approver:production']), request, PHRASE)).toEqual({ ok: true });
  });
  it('refuses a user without the approver role for that environment', () => {
    expect(judgeApproval(user('carol', ['approver:staging']), request, PHRASE)).toMatchObject({ ok: false, code: 'APPROVAL_ROLE_MISSING' });
  });
  it('refuses the author, matched by e-mail, by name or by the e-mail’s local part', () => {
    expect(judgeApproval(user('someone', ['approver:*'], 'ADA@shop.test'), request, PHRASE)).toMatchObject({ code: 'APPROVAL_SELF' });
    expect(judgeApproval(user('ada lovelace', ['approver:*'], null), request, PHRASE)).toMatchObject({ code: 'APPROVAL_SELF' });
    expect(judgeApproval(user('ada', ['approver:*'], null), request, PHRASE)).toMatchObject({ code: 'APPROVAL_SELF' });
    expect(isAuthor(user('adam', ['x'], null), request.authors[0] ?? null)).toBe(false);
  });
  it('refuses the user who started the run', () => {
    expect(judgeApproval(user('dan', ['approver:*']), { ...request, triggeredBy: 'dan' }, PHRASE)).toMatchObject({ code: 'APPROVAL_SELF' });
  });
  it('refuses a second approval by the same user', () => {
    expect(judgeApproval(user('bob', ['approver:*']), { ...request, approvedBy: ['bob'] }, PHRASE)).toMatchObject({ code: 'APPROVAL_DUPLICATE' });
  });
  it('refuses a user the config does not list when it lists approvers by name', () => {
    expect(judgeApproval(user('eve', ['approver:*']), { ...request, approvers: ['bob', 'chioma'] }, PHRASE)).toMatchObject({ code: 'APPROVAL_NOT_LISTED' });
    expect(judgeApproval(user('bob', ['approver:*']), { ...request, approvers: ['bob', 'chioma'] }, PHRASE)).toEqual({ ok: true });
  });
  it('refuses an author of any commit being merged, not only of the head', () => {
    const merged = { ...request, authors: ['Mia Merger <mia@shop.test>', 'Ada Lovelace <ada@shop.test>', 'Carol Coauthor <carol@shop.test>'] };
    const v = judgeApproval(user('ada', ['approver:*']), merged, PHRASE);
    expect(v).toMatchObject({ ok: false, code: 'APPROVAL_SELF' });
    if (!v.ok) expect(v.reason).toBe('ada wrote one of the commits this run brings in (as Ada Lovelace <ada@shop.test>) and cannot approve it');
    expect(judgeApproval(user('carol', ['approver:*']), merged, PHRASE)).toMatchObject({ code: 'APPROVAL_SELF' });
    expect(judgeApproval(user('bob', ['approver:*']), merged, PHRASE)).toEqual({ ok: true });
  });
  it('lets an @group narrow the approvers to its members, whatever role others hold', () => {
    const grouped = { ...request, approvers: ['@release-managers', 'chioma'], groups: { 'release-managers': ['alice', 'Bob'] } };
    expect(judgeApproval(user('alice', ['approver:*']), grouped, PHRASE)).toEqual({ ok: true });
    expect(judgeApproval(user('bob', ['approver:*']), grouped, PHRASE)).toEqual({ ok: true });
    expect(judgeApproval(user('chioma', ['approver:*']), grouped, PHRASE)).toEqual({ ok: true });
    const eve = judgeApproval(user('eve', ['approver:production']), grouped, PHRASE);
    expect(eve).toMatchObject({ ok: false, code: 'APPROVAL_NOT_LISTED' });
    if (!eve.ok) expect(eve.reason).toBe('eve is not among the approvers of production in gantry.yaml (chioma; @release-managers: alice, Bob)');
    const team = { ...grouped, groups: { 'release-managers': Array.from({ length: 120 }, (_, i) => `engineer-${i}`) } };
    const crowd = judgeApproval(user('eve', ['approver:production']), team, PHRASE);
    expect(crowd).toMatchObject({ ok: false, code: 'APPROVAL_NOT_LISTED' });
    if (!crowd.ok) expect(crowd.reason).toMatch(/@release-managers: engineer-0, .*, engineer-7 and 112 more\)$/);
  });
  it('refuses everyone for a group it does not know, and says so when a group could not be read', () => {
    expect(judgeApproval(user('eve', ['approver:*']), { ...request, approvers: ['@ghosts'] }, PHRASE)).toMatchObject({ code: 'APPROVAL_NOT_LISTED' });
    const down = { ...request, approvers: ['@release-managers', 'chioma'], groups: { 'release-managers': null } };
    expect(judgeApproval(user('alice', ['approver:*']), down, PHRASE)).toMatchObject({ ok: false, code: 'APPROVAL_GROUP_UNRESOLVED' });
    expect(judgeApproval(user('chioma', ['approver:*']), down, PHRASE)).toEqual({ ok: true });
  });
  it('refuses a missing or wrong phrase, exactly as typed', () => {
    expect(judgeApproval(user('bob', ['approver:*']), request, undefined)).toMatchObject({ code: 'CONFIRMATION_MISMATCH' });
    expect(judgeApproval(user('bob', ['approver:*']), request, 'deploy to production')).toMatchObject({ code: 'CONFIRMATION_MISMATCH' });
    expect(judgeApproval(user('bob', ['approver:*']), { ...request, confirmation: undefined }, undefined)).toEqual({ ok: true });
  });
});

describe('the promotion policy (invariant 4)', () => {
  it('passes when every service’s digest succeeded in the required environment', () => {
    expect(judgePromotion({ environment: 'production', requires: 'staging', digests: { api: 'sha256:a', web: 'sha256:b' }, succeededThere: { api: ['sha256:0', 'sha256:a'], web: ['sha256:b'] } })).toEqual({ ok: true });
  });
  it('names the services whose artifact never succeeded there', () => {
    const v = judgePromotion({ environment: 'production', requires: 'staging', digests: { api: 'sha256:new', web: 'sha256:b' }, succeededThere: { api: ['sha256:a'], web: ['sha256:b'] } });
    expect(v).toMatchObject({ ok: false, missing: ['api'] });
    if (!v.ok) expect(v.reason).toMatch(/api has not succeeded in staging/);
  });
});
