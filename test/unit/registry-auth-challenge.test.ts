import { describe, expect, it } from 'vitest';
import { parseAuthChallenge, tokenUrl } from '../../src/artifacts/registry/index.js';

describe('parseAuthChallenge', () => {
  it('reads a Bearer challenge with realm, service and a scope that holds commas', () => {
    const challenge = parseAuthChallenge('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:samalba/my-app:pull,push"');
    expect(challenge).toEqual({
      scheme: 'bearer',
      params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:samalba/my-app:pull,push' },
    });
  });

  it('reads a Basic challenge, case-insensitive scheme and names, unquoted values and escapes', () => {
    expect(parseAuthChallenge('basic Realm="gantry \\"test\\""')).toEqual({ scheme: 'basic', params: { realm: 'gantry "test"' } });
    expect(parseAuthChallenge('BEARER realm=https://ghcr.io/token, service=ghcr.io')).toEqual({ scheme: 'bearer', params: { realm: 'https://ghcr.io/token', service: 'ghcr.io' } });
  });

  it('gives nothing for a missing or empty header', () => {
    expect(parseAuthChallenge(undefined)).toBeUndefined();
    expect(parseAuthChallenge('   ')).toBeUndefined();
  });
});

describe('tokenUrl', () => {
  it('asks the realm for the service and each scope the challenge names', () => {
    const url = tokenUrl({ scheme: 'bearer', params: { realm: 'https://auth.example/token?client=x', service: 'reg', scope: 'repository:a/b:pull repository:c:pull,push' } });
    expect(url?.origin).toBe('https://auth.example');
    expect(url?.searchParams.get('client')).toBe('x');
    expect(url?.searchParams.get('service')).toBe('reg');
    expect(url?.searchParams.getAll('scope')).toEqual(['repository:a/b:pull', 'repository:c:pull,push']);
  });

  it('gives nothing for a challenge without a usable realm', () => {
    expect(tokenUrl({ scheme: 'bearer', params: { service: 'reg' } })).toBeUndefined();
    expect(tokenUrl({ scheme: 'bearer', params: { realm: 'not a url' } })).toBeUndefined();
  });
});
