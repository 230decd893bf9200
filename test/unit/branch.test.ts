import { describe, expect, it } from 'vitest';
import { branchMatches, servicesTouched } from '../../src/domain/branch.js';

describe('branch patterns', () => {
  it('matches exact names, one segment with *, and many with **', () => {
    expect(branchMatches('main', 'main')).toBe(true);
    expect(branchMatches('main', 'main2')).toBe(false);
    expect(branchMatches('feature/*', 'feature/login')).toBe(true);
    expect(branchMatches('feature/*', 'feature/a/b')).toBe(false);
    expect(branchMatches('release/**', 'release/2026/11')).toBe(true);
    expect(branchMatches('v1.*', 'v1x2')).toBe(false);
  });
});

describe('servicesTouched', () => {
  const services = [
    { name: 'api', path: 'services/api', watch: ['proto'] },
    { name: 'web', path: 'apps/web', watch: [] },
    { name: 'web-admin', path: 'apps/web-admin', watch: [] },
  ];
  it('finds the services whose folder or watched paths changed', () => {
    expect(servicesTouched(['services/api/src/a.ts'], services, [])).toEqual(['api']);
    expect(servicesTouched(['proto/x.proto'], services, [])).toEqual(['api']);
    expect(servicesTouched(['README.md'], services, [])).toEqual([]);
  });
  it('does not confuse a folder with another that starts with the same name', () => {
    expect(servicesTouched(['apps/web-admin/index.html'], services, [])).toEqual(['web-admin']);
  });
  it('counts a shared path as a change of every service', () => {
    expect(servicesTouched(['libs/shared/x.ts'], services, ['libs/shared'])).toEqual(['api', 'web', 'web-admin']);
  });
});
